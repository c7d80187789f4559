// Runs the operators' CLI executable as a user would, and collects what it printed.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../../bin/foodtruck', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs?: number;
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout or stderr (as `stream` says) matches `pattern`. */
  waitFor: (pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number) => Promise<void>;
  /** Resolves when the command exits (it is SIGKILLed after `timeoutMs`). */
  done: Promise<CliRun>;
}

/** Starts the CLI and answers at once, to follow what it prints while it runs. */
export function startFoodtruck(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const done = (once(child, 'exit') as Promise<[number | null]>).then(([code]) => {
    clearTimeout(timer);
    return { code, stdout, stderr };
  });
  const waitFor = async (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void done.then(() => (exited = true));
    for (;;) {
      if (pattern.test(stream === 'stdout' ? stdout : stderr)) return;
      if (exited || Date.now() > deadline) {
        throw new Error(`the CLI's ${stream} never matched ${pattern}${exited ? ' (it exited)' : ''}:\n${stdout}\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { child, stdout: () => stdout, stderr: () => stderr, waitFor, done };
}

export function runFoodtruck(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return startFoodtruck(args, options).done;
}
