// The issue-10 measurements: from a job's creation to each node receiving its task, with a fleet
// holding long polls beside one polling on a 5 s interval; and what holding many polls costs a
// server process at idle (RSS, CPU). The fleets are child processes (bench/poll-fleet.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerProcess } from '../test/support/server-process.js';

export interface HandOutFigures {
  nodes: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** The fleet's first error lines (node and status or socket error), to say what failed. */
  firstErrors: string[];
}

/** Sockets one fleet process opens at most: below the per-process file limit (20,000 here). */
export const SOCKETS_PER_FLEET_PROCESS = 9_000;

interface Fleet {
  child: ChildProcess;
  received: Map<number, number>;
  errors: string[];
  polling: Promise<void>;
  stop: () => Promise<void>;
}

/** What a fleet needs of a server, and what the held-poll figures read of it. */
export interface PolledServer {
  url: string;
  nodesKey: string;
  child: ChildProcess;
}

function startFleet(server: PolledServer, options: { prefix: string; from: number; count: number; mode: 'hold' | 'interval'; waitMs?: number; intervalMs?: number }): Fleet {
  const args = {
    url: server.url,
    key: server.nodesKey,
    prefix: options.prefix,
    from: options.from,
    count: options.count,
    mode: options.mode,
    waitMs: options.waitMs ?? 60_000,
    intervalMs: options.intervalMs ?? 5_000,
    sourceAddresses: 4,
  };
  const child = spawn(process.execPath, [fileURLToPath(new URL('./poll-fleet.js', import.meta.url)), JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const received = new Map<number, number>();
  const errors: string[] = [];
  let resolvePolling: () => void = () => undefined;
  const polling = new Promise<void>((resolve) => (resolvePolling = resolve));
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'task') received.set(Number(a), Number(b));
      else if (kind === 'polling') resolvePolling();
      else if (kind === 'error') errors.push(line);
    }
  });
  // Should the bench be interrupted, its fleets must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  return {
    child,
    received,
    errors,
    polling,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Starts fleets of at most SOCKETS_PER_FLEET_PROCESS nodes each, spread over the servers in turn. */
function startFleets(servers: PolledServer[], prefix: string, count: number, mode: 'hold' | 'interval', intervalMs?: number): Fleet[] {
  const fleets: Fleet[] = [];
  const perProcess = Math.min(SOCKETS_PER_FLEET_PROCESS, Math.ceil(count / servers.length));
  for (let from = 0, i = 0; from < count; from += perProcess, i++) {
    const server = servers[i % servers.length] as PolledServer;
    fleets.push(startFleet(server, { prefix, from, count: Math.min(perProcess, count - from), mode, ...(intervalMs ? { intervalMs } : {}) }));
  }
  return fleets;
}

export async function heldPolls(server: PolledServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^foodtruck_held_polls (\S+)$/m.exec(text)?.[1] ?? 0);
}

async function waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/**
 * `count` nodes poll (held long polls, or every `intervalMs`), spread over `servers`; a job for
 * all of them is created through the first server; answers the time from the job's 200 to each
 * node's receipt of its task.
 */
export async function measureHandOut(
  servers: ServerProcess[],
  options: { prefix: string; count: number; mode: 'hold' | 'interval'; intervalMs?: number; timeoutMs: number },
): Promise<HandOutFigures> {
  const fleets = startFleets(servers, options.prefix, options.count, options.mode, options.intervalMs);
  try {
    await Promise.all(fleets.map((fleet) => fleet.polling));
    if (options.mode === 'hold') {
      const held = await waitUntil(async () => (await Promise.all(servers.map(heldPolls))).reduce((a, b) => a + b, 0) >= options.count, 120_000);
      if (!held) throw new Error(`the fleet never held its ${options.count} polls`);
    } else {
      // One whole interval, so that every node is in its steady pace.
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5_000));
    }
    const server = servers[0] as ServerProcess;
    const now = Date.now();
    const body = {
      task: { window_start: new Date(now - 60_000).toISOString(), window_end: new Date(now + 3_600_000).toISOString(), provider: 'infra', spec: {} },
      nodes: Array.from({ length: options.count }, (_, i) => ({ org: 'bench', name: `${options.prefix}${i}` })),
    };
    const answer = await fetch(`${server.url}/admin/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const created = Date.now();
    if (answer.status !== 200) throw new Error(`job: ${answer.status} ${await answer.text()}`);
    await waitUntil(() => fleets.reduce((sum, fleet) => sum + fleet.received.size, 0) >= options.count, options.timeoutMs);
    const latencies = fleets.flatMap((fleet) => [...fleet.received.values()].map((at) => at - created)).sort((a, b) => a - b);
    const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN;
    return {
      nodes: options.count,
      received: latencies.length,
      p50Ms: quantile(0.5),
      p99Ms: quantile(0.99),
      maxMs: latencies[latencies.length - 1] ?? NaN,
      errors: fleets.reduce((sum, fleet) => sum + fleet.errors.length, 0),
      firstErrors: fleets.flatMap((fleet) => fleet.errors.slice(0, 3)),
    };
  } finally {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
  }
}

export interface HeldFigures {
  held: number;
  rssMiB: number;
  baselineRssMiB: number;
  idleCpuPercent: number;
  seconds: number;
}

/**
 * `count` nodes hold long polls on the server; its RSS, and its CPU over `seconds` of idle.
 * `countHeld` reads how many polls it holds (the bare server answers it differently).
 */
export async function measureHeldConnections(
  server: PolledServer,
  count: number,
  seconds: number,
  countHeld: (server: PolledServer) => Promise<number> = heldPolls,
): Promise<HeldFigures> {
  const baselineRssMiB = rssMiB(server);
  const fleets = startFleets([server], 'held-', count, 'hold');
  try {
    await Promise.all(fleets.map((fleet) => fleet.polling));
    await waitUntil(async () => (await countHeld(server)) >= count, 180_000);
    const held = await countHeld(server);
    // Past the check-in flush of the fleet's first polls (every 5 s).
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    const cpuBefore = cpuMs(server.child);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const idleCpuPercent = ((cpuMs(server.child) - cpuBefore) / (seconds * 1000)) * 100;
    return { held, rssMiB: rssMiB(server), baselineRssMiB, idleCpuPercent, seconds };
  } finally {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
  }
}

function rssMiB(server: PolledServer): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** User plus system CPU time of the process, from /proc (Linux, 100 ticks a second). */
export function cpuMs(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The file-descriptor limit of this process, which a child inherits (raising it needs privileges this bench may lack). */
export function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  return Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? 1024);
}
