// Runs the real client executable, as an operator would, and the provider scripts it runs.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from './api-client.js';

export const CLIENT_BIN = fileURLToPath(new URL('../../../bin/foodtruck-client', import.meta.url));

export interface ClientProcess {
  child: ChildProcess;
  /** Everything it logged so far. */
  output: () => string;
  /** Resolves with the first match of `pattern` in the output (searched from `from`). */
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait: a crash. */
  kill: () => Promise<void>;
}

/** Starts `node bin/foodtruck-client <configFile>`, or another command line when `command` is given. */
export function startClient(
  configFile: string,
  options: { env?: Record<string, string | undefined>; command?: string[] } = {},
): ClientProcess {
  const command = options.command ?? [process.execPath, CLIENT_BIN];
  const child = spawn(command[0] as string, [...command.slice(1), configFile], {
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    child,
    output: () => output,
    waitForOutput: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.exec(output) ?? undefined, timeoutMs, () => `client output never matched ${pattern}:\n${output}`),
    stop: async (signal = 'SIGTERM') => {
      if (running()) child.kill(signal);
      const [code, signalCode] = await exited;
      return { code, signal: signalCode };
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the client to its exit (e.g. to see a usage or configuration error). */
export async function runClientToExit(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLIENT_BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Writes an executable `foodtruck-provider-<name>` into `dir`. */
export function writeProvider(dir: string, name: string, script: string): string {
  const file = path.join(dir, `foodtruck-provider-${name}`);
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return file;
}

/** Writes a client configuration file into `dir` and answers its path. */
export function writeClientConfig(dir: string, config: Record<string, unknown>, name = 'client.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface NodeStatus {
  job_id: string;
  node_name: string;
  status: string;
  last_updated?: string;
  result?: { exit_code: number; reason: string; output?: string };
}

/** Waits until the node's status in the job satisfies `until` (by default: final), and answers it. */
export async function waitForStatus(
  serverUrl: () => string,
  adminKey: string,
  jobId: string,
  nodeName: string,
  until: (status: NodeStatus) => boolean = (status) => ['success', 'failed', 'expired', 'cancelled'].includes(status.status),
  timeoutMs = 30_000,
): Promise<NodeStatus> {
  let last: unknown;
  return waitFor(
    async () => {
      try {
        const answer = await call(`${serverUrl()}/admin/jobs/${jobId}?fetchStatuses=true`, { key: adminKey });
        last = answer.body;
        const status = (answer.body?.statuses as NodeStatus[] | undefined)?.find((entry) => entry.node_name === nodeName);
        return status && until(status) ? status : undefined;
      } catch (error) {
        last = error;
        return undefined;
      }
    },
    timeoutMs,
    () => `status of ${nodeName} in job ${jobId} never came; last answer: ${JSON.stringify(last)}`,
  );
}

/**
 * The process ids a provider script wrote to `file`, once it holds exactly `count` of them. The
 * file may be seen created but not yet written: an empty one must never read as pid 0, which
 * `process.kill` takes as the test runner's whole process group.
 */
export function readPids(file: string, count: number): number[] | undefined {
  if (!existsSync(file)) return undefined;
  const pids = readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return pids.length === count && pids.every((pid) => Number.isInteger(pid) && pid > 1) ? pids : undefined;
}

export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
