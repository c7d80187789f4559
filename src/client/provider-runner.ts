// Runs one provider: no shell, the spec on stdin, output kept and streamed, and the whole process
// tree stopped when the task's timeout passes, the client must stop, or an administrator cancels it.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { setLongTimeout, type LongTimer } from './long-timer.js';
import { OutputTail } from './output-tail.js';

export type ProviderOutcome =
  | { kind: 'exited'; exitCode: number }
  | { kind: 'signalled'; signal: string }
  | { kind: 'timed-out'; timeoutMs: number }
  | { kind: 'stopped' }
  | { kind: 'cancelled' }
  | { kind: 'not-started'; error: Error };

export interface ProviderRun {
  outcome: ProviderOutcome;
  /** The tail of stdout and stderr, interleaved as they arrived. */
  output: string;
  durationMs: number;
}

export interface ProviderRunOptions {
  file: string;
  stdin: Buffer;
  env: Record<string, string | undefined>;
  /** Undefined: no limit. */
  timeoutMs: number | undefined;
  /** Aborting it stops the provider now (the client is shutting down). */
  stop: AbortSignal;
  /** Aborting it stops the provider because an administrator cancelled the task. */
  cancel?: AbortSignal;
  /** Between SIGTERM and SIGKILL when cancelled (default: the same as for a timeout). */
  cancelGraceMs?: number;
  outputLimitBytes: number;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  platform?: NodeJS.Platform;
}

/** Between asking a process tree to stop and making it. */
const KILL_AFTER_MS = 5_000;
/** After the provider exits, how long its output pipes may stay open (held by something it left running). */
const OUTPUT_DRAIN_MS = 2_000;

export function runProvider(options: ProviderRunOptions): Promise<ProviderRun> {
  const platform = options.platform ?? process.platform;
  const started = Date.now();
  const tail = new OutputTail(options.outputLimitBytes);

  return new Promise<ProviderRun>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawnProvider(options.file, options.env, platform);
    } catch (error) {
      resolve({ outcome: { kind: 'not-started', error: error as Error }, output: '', durationMs: Date.now() - started });
      return;
    }

    /** Why the client stopped the provider, if it did: the first reason wins. */
    let stoppedFor: 'timed-out' | 'stopped' | 'cancelled' | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let startError: Error | undefined;
    const timers: LongTimer[] = [];

    /** Once the client started stopping the tree: settles when nothing of it is left. */
    let treeGone: Promise<void> | undefined;

    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      // A stopped task is over only when all its processes are: report it after the SIGKILL, if one is needed.
      if (treeGone) void treeGone.then(settle);
      else settle();
    };
    const settle = () => {
      for (const timer of timers) timer.clear();
      options.stop.removeEventListener('abort', onStop);
      options.cancel?.removeEventListener('abort', onCancel);
      const durationMs = Date.now() - started;
      const output = tail.text();
      if (startError && !exit) return resolve({ outcome: { kind: 'not-started', error: startError }, output, durationMs });
      if (stoppedFor === 'timed-out') {
        return resolve({ outcome: { kind: 'timed-out', timeoutMs: options.timeoutMs as number }, output, durationMs });
      }
      if (stoppedFor) return resolve({ outcome: { kind: stoppedFor }, output, durationMs });
      const { code, signal } = exit as { code: number | null; signal: NodeJS.Signals | null };
      if (code !== null) return resolve({ outcome: { kind: 'exited', exitCode: code }, output, durationMs });
      return resolve({ outcome: { kind: 'signalled', signal: signal ?? 'unknown' }, output, durationMs });
    };

    const stopTree = (killAfterMs = KILL_AFTER_MS) => {
      killTree(child, platform, 'SIGTERM');
      // Watched beyond the provider's own exit: what it started may outlive it and ignore SIGTERM.
      const deadline = Date.now() + killAfterMs;
      let killed = false;
      treeGone = new Promise<void>((gone) => {
        const watch = setInterval(() => {
          if (!treeExists(child, platform)) {
            clearInterval(watch);
            gone();
          } else if (killed && Date.now() >= deadline + KILL_AFTER_MS) {
            // SIGKILL cannot be refused, but a process stuck in the kernel can take its time: do not wait forever.
            clearInterval(watch);
            gone();
          } else if (!killed && Date.now() >= deadline) {
            killed = true;
            killTree(child, platform, 'SIGKILL');
          }
        }, 100);
      });
    };
    const onStop = () => {
      if (exit || startError || stoppedFor) return;
      stoppedFor = 'stopped';
      stopTree();
    };
    const onCancel = () => {
      if (exit || startError || stoppedFor) return;
      stoppedFor = 'cancelled';
      stopTree(options.cancelGraceMs);
    };

    for (const [stream, source] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
      source?.on('data', (chunk: Buffer) => {
        tail.push(chunk);
        options.onOutput?.(stream, chunk);
      });
      source?.on('error', () => undefined);
    }
    // A provider that does not read its stdin may exit before taking it all: not an error of ours.
    child.stdin?.on('error', () => undefined);

    // Kept listening: an 'error' event nobody listens to would end the client.
    child.on('error', (error) => {
      // Emitted when the executable could not be started; then neither 'exit' nor 'close' may follow.
      if (child.pid === undefined) {
        startError = error;
        finish();
      }
    });
    child.once('spawn', () => {
      child.stdin?.end(options.stdin);
      if (options.timeoutMs !== undefined) {
        timers.push(
          setLongTimeout(() => {
            if (exit || stoppedFor) return;
            stoppedFor = 'timed-out';
            stopTree();
          }, options.timeoutMs),
        );
      }
      if (options.stop.aborted) onStop();
      else options.stop.addEventListener('abort', onStop, { once: true });
      if (options.cancel?.aborted) onCancel();
      else options.cancel?.addEventListener('abort', onCancel, { once: true });
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // Something the provider started may keep its output pipes open; do not wait on it forever.
      timers.push(
        setLongTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, OUTPUT_DRAIN_MS),
      );
    });
    child.once('close', () => finish());
  });
}

function spawnProvider(file: string, env: Record<string, string | undefined>, platform: NodeJS.Platform): ChildProcess {
  const stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
  if (platform === 'win32') {
    const extension = path.win32.extname(file).toLowerCase();
    if (extension === '.cmd' || extension === '.bat') {
      // Windows runs batch files only through cmd.exe. The path is quoted and takes no arguments;
      // provider names cannot hold cmd.exe's special characters. `/s` strips the outer quotes.
      return spawn(env.ComSpec ?? env.COMSPEC ?? 'cmd.exe', ['/d', '/s', '/c', `""${file}""`], {
        env,
        stdio,
        shell: false,
        windowsHide: true,
        windowsVerbatimArguments: true,
      });
    }
    return spawn(file, [], { env, stdio, shell: false, windowsHide: true });
  }
  // Its own process group, so that the whole tree it starts can be stopped at once.
  return spawn(file, [], { env, stdio, shell: false, detached: true });
}

/** Whether anything of the provider's process group is left; on Windows taskkill /F already forced it. */
function treeExists(child: ChildProcess, platform: NodeJS.Platform): boolean {
  if (child.pid === undefined || platform === 'win32') return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals the provider and everything it started. */
function killTree(child: ChildProcess, platform: NodeJS.Platform, signal: 'SIGTERM' | 'SIGKILL'): void {
  if (child.pid === undefined) return;
  if (platform === 'win32') {
    // taskkill /T walks the tree; /F because console programs ignore a polite close request.
    const killer = spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    killer.on('error', () => child.kill());
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}
