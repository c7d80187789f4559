// Starts the real server executable on a real port, as an operator would, for tests over TCP.

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './temp-dir.js';

export const SERVER_BIN = fileURLToPath(new URL('../../../bin/foodtruck-server', import.meta.url));

export interface ServerProcessOptions {
  /** Extra environment, e.g. MongoDB settings; replaces the defaults below where given. */
  env?: Record<string, string | undefined>;
  /** Reuse a data directory (e.g. to restart on the same store); a fresh one otherwise. */
  dataDir?: string;
  /** Listen on this port; 0 (the default) lets the system pick one. */
  port?: number;
  adminKey?: string;
  nodesKey?: string;
  /** Send the server's log to this file instead of keeping it in memory (benchmarks). */
  logFile?: string;
  /** Another build's bin/foodtruck-server, e.g. to compare two builds in a bench. */
  serverBin?: string;
}

export interface ServerProcess {
  url: string;
  port: number;
  adminKey: string;
  nodesKey: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output: () => string;
  /** SIGTERM and wait for the exit; answers the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL and wait for the exit: a crash. */
  kill: () => Promise<void>;
  /** Removes the data directory if this helper made it. */
  cleanup: () => void;
}

export const randomKey = () => randomBytes(20).toString('hex');

export async function startServer(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const temp = options.dataDir ? undefined : makeTempDir('foodtruck-server-');
  const dataDir = options.dataDir ?? (temp as { dir: string }).dir;
  const adminKey = options.adminKey ?? randomKey();
  const nodesKey = options.nodesKey ?? randomKey();
  const child = spawn(process.execPath, [options.serverBin ?? SERVER_BIN], {
    env: {
      PATH: process.env.PATH,
      FOODTRUCK_DATA_DIR: dataDir,
      FOODTRUCK_LISTEN_ADDR: `127.0.0.1:${options.port ?? 0}`,
      ADMIN_API_KEY: adminKey,
      NODES_API_KEY: nodesKey,
      ...options.env,
    },
    stdio: ['ignore', options.logFile ? openSync(options.logFile, 'a') : 'pipe', 'pipe'],
  });
  let captured = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (captured += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (captured += chunk));
  const output = () => (options.logFile ? readFileSync(options.logFile, 'utf8') : '') + captured;
  const exited = once(child, 'exit');

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`server did not start in time:\n${output()}`));
    }, 20_000);
    const look = () => {
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output());
      if (match) {
        clearTimeout(timer);
        clearInterval(poll);
        child.stdout?.off('data', look);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', look);
    // A log file has no data events: look at it now and then.
    const poll = setInterval(look, options.logFile ? 25 : 1000);
    void exited.then(([code]) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`server exited with ${String(code)} before listening:\n${output()}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminKey,
    nodesKey,
    dataDir,
    child,
    output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    cleanup: () => temp?.remove(),
  };
}

/** Runs the server executable to its exit, e.g. to see a configuration error. */
export async function runServerToExit(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [SERVER_BIN], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

export interface ServerGroup {
  servers: ServerProcess[];
  adminKey: string;
  nodesKey: string;
  /** SIGTERM to every server, wait for their exits, remove their data directories. */
  stop: () => Promise<void>;
}

/**
 * `count` server processes with the same keys and environment, e.g. several stateless servers
 * sharing one MongoDB database, started at once.
 */
export async function startServerGroup(count: number, options: ServerProcessOptions = {}): Promise<ServerGroup> {
  const adminKey = options.adminKey ?? randomKey();
  const nodesKey = options.nodesKey ?? randomKey();
  const started = await Promise.allSettled(Array.from({ length: count }, () => startServer({ ...options, adminKey, nodesKey })));
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    for (const server of servers) server.cleanup();
  };
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { servers, adminKey, nodesKey, stop };
}
