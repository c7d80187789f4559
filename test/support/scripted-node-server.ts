// A stand-in for the server's two node routes, answering as a test script says, to see exactly
// what the real client sends and when (heartbeats, cancel answers, a hanging or failing server).
// Tests of the whole system use the real server; this is for what only a scripted answer can show.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedReport {
  at: number;
  body: Record<string, unknown>;
}

/** What to answer to one status report: a status and body, after an optional delay (ms). */
export interface ScriptedAnswer {
  status: number;
  body: unknown;
  delayMs?: number;
}

export interface ScriptedNodeServer {
  url: string;
  reports: RecordedReport[];
  /** Hands this task out on the next poll. */
  offer(task: Record<string, unknown>): void;
  /** Decides the answer to each status report; by default `200 {}`. */
  answerReports(answer: (report: Record<string, unknown>, index: number) => ScriptedAnswer): void;
  close(): Promise<void>;
}

export async function startScriptedNodeServer(): Promise<ScriptedNodeServer> {
  const tasks: Array<Record<string, unknown>> = [];
  const reports: RecordedReport[] = [];
  let answer: (report: Record<string, unknown>, index: number) => ScriptedAnswer = () => ({ status: 200, body: {} });
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: unknown) => {
        if (response.destroyed) return;
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.url?.endsWith('/tasks/next')) {
        const task = tasks.shift();
        return task ? send(200, task) : send(404, { message: 'no tasks available' });
      }
      if (request.url?.endsWith('/tasks/status')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        reports.push({ at: Date.now(), body });
        const scripted = answer(body, reports.length - 1);
        if (scripted.delayMs) setTimeout(() => send(scripted.status, scripted.body), scripted.delayMs);
        else send(scripted.status, scripted.body);
        return;
      }
      send(404, { message: 'not found' });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    reports,
    offer: (task) => tasks.push(task),
    answerReports: (next) => {
      answer = next;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
