// The node agent's loop: deliver what is owed, poll for a task, run it, report it; back off when
// the server is unavailable; stop cleanly when asked.

import { formatGoDuration } from '../wire/go-duration.js';
import { FINAL_STATUSES, type TaskStatus } from '../wire/task-status.js';
import { backoffDelay, sleep } from './backoff.js';
import type { ClientConfig } from './config.js';
import type { Logger } from './log.js';
import { Heartbeat, runningReport } from './heartbeat.js';
import { setLongTimeout, type LongTimer } from './long-timer.js';
import { LineSplitter } from './output-tail.js';
import { ServerUnavailableError, type DeliveryAnswer, type NodeApi, type StatusReport } from './node-api.js';
import type { FactsReporter } from './facts-reporter.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import { findProvider, providerExecutableName } from './provider-lookup.js';
import { runProvider, type ProviderRun } from './provider-runner.js';
import type { RunningTaskFile } from './running-task.js';
import { CANCEL_GRACE_MS, cancelledReport, TaskCancel } from './task-cancel.js';
import type { Task } from './task.js';

/** As much output as the server keeps with a status. */
export const OUTPUT_LIMIT_BYTES = 64 * 1024;
/** The first poll comes at a random point within this (or the interval, if shorter). */
const FIRST_POLL_SPREAD_MS = 60_000;
/** Retries after an error start at this (or the interval, if shorter) and double. */
const BACKOFF_BASE_MS = 5_000;
/** Environment that stays with the client: providers never see the node's credentials. */
const WITHHELD_FROM_PROVIDERS = new Set(['NODES_API_KEY', 'NODE_API_KEY', 'FOODTRUCK_ENROLLMENT_SECRET']);
/** No exit code: the provider did not start, or did not exit by itself. */
const NO_EXIT_CODE = -1;
/**
 * How long the provider's start waits for the server's answer to `running`, which may say the
 * task was cancelled meanwhile. Bounded: a slow server must not hold the task back.
 */
const RUNNING_ANSWER_WAIT_MS = 5_000;

export interface AgentOptions {
  config: ClientConfig;
  logger: Logger;
  api: NodeApi;
  outbox: Outbox;
  runningTask: RunningTaskFile;
  env: Record<string, string | undefined>;
  random?: () => number;
  /** Reports the node's facts when they changed; checked before each poll (no request when unchanged). */
  facts?: Pick<FactsReporter, 'reportIfChanged'>;
}

type PollOutcome =
  | { kind: 'idle'; waitMs: number | undefined; tookMs: number }
  | { kind: 'ran-task' }
  | { kind: 'error'; message: string };

export class Agent {
  private readonly config: ClientConfig;
  private readonly logger: Logger;
  private readonly random: () => number;
  /** Aborted on the first stop request: no more polls. */
  private readonly stopping = new AbortController();
  /** Aborted when the running provider must stop now. */
  private readonly stopProvider = new AbortController();
  private stopSignal = '';
  private providerRunning = false;
  private graceTimer: LongTimer | undefined;
  /** The task being run, to match the server's cancel answers against. */
  private cancel: TaskCancel | undefined;
  private deliveries: Promise<unknown> = Promise.resolve();
  /** Statuses whose delivery failed at least once, to log when they finally arrive. */
  private readonly delayed = new Set<string>();
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: AgentOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.random = options.random ?? Math.random;
  }

  /** Runs until `stop` is called; by then the running task, if any, is finished and reported. */
  async run(): Promise<void> {
    this.recoverInterruptedTask();
    // What an earlier run could not deliver goes out first, without waiting for the first poll.
    await this.deliverOutbox();
    await this.options.facts?.reportIfChanged();
    await sleep(this.random() * Math.min(this.config.intervalMs, FIRST_POLL_SPREAD_MS), this.stopping.signal);

    let failures = 0;
    while (!this.stopping.signal.aborted) {
      await this.options.facts?.reportIfChanged();
      const outcome = await this.pollOnce();
      let delay: number;
      if (outcome.kind === 'error') {
        const base = Math.min(this.config.intervalMs, BACKOFF_BASE_MS);
        delay = backoffDelay(failures++, base, Math.max(this.config.maxBackoffMs, this.config.intervalMs), this.random);
        this.logger.warn(outcome.message, { retry_in: formatGoDuration(Math.round(delay)) });
      } else {
        failures = 0;
        // After a task, ask again at once: more may be waiting. After a long poll, at once too.
        delay = outcome.kind === 'ran-task' ? 0 : this.options.api.longPoll.idleDelayMs(outcome, this.config.intervalMs, this.random);
      }
      await sleep(delay, this.stopping.signal);
    }
    // One last attempt for anything still owed; what fails stays on disk for the next start.
    await this.deliverOutbox();
  }

  /**
   * The first call stops polling and gives a running provider the grace period to finish; a
   * second call, or the end of the grace period, stops the provider at once.
   */
  stop(signal: string): void {
    if (this.stopping.signal.aborted) {
      this.logger.warn('stopping now', { signal });
      this.stopProvider.abort();
      return;
    }
    this.stopSignal = signal;
    this.stopping.abort();
    if (this.providerRunning) {
      this.logger.info('stopping: waiting for the running provider', {
        signal,
        grace: formatGoDuration(this.config.shutdownGraceMs),
      });
      this.graceTimer = setLongTimeout(() => this.stopProvider.abort(), this.config.shutdownGraceMs);
    } else {
      this.logger.info('stopping', { signal });
    }
  }

  private async pollOnce(): Promise<PollOutcome> {
    // Results first: while the server does not take them, do not take more work from it.
    if (!(await this.deliverOutbox())) return { kind: 'error', message: 'statuses still undelivered, not polling yet' };
    let answer;
    try {
      answer = await this.options.api.pollNextTask(this.stopping.signal);
    } catch (error) {
      if (!(error instanceof ServerUnavailableError)) throw error;
      if (this.stopping.signal.aborted) return { kind: 'idle', waitMs: undefined, tookMs: 0 };
      return { kind: 'error', message: `polling for a task failed: ${error.message}` };
    }
    if (answer.kind === 'none') return { kind: 'idle', waitMs: answer.waitMs, tookMs: answer.tookMs };
    const parsed = answer.parsed;
    if (!parsed.ok) {
      if (parsed.jobId === undefined) return { kind: 'error', message: `received an unusable task: ${parsed.reason}` };
      this.logger.error('received a task that cannot be run', { job: parsed.jobId, reason: parsed.reason });
      this.queue({ job_id: parsed.jobId, status: 'failed', result: { exit_code: NO_EXIT_CODE, reason: parsed.reason } });
      await this.deliverOutbox();
      return { kind: 'ran-task' };
    }
    await this.runTask(parsed.task);
    return { kind: 'ran-task' };
  }

  private async runTask(task: Task): Promise<void> {
    const log = { job: task.jobId, provider: task.provider };
    if (this.stopping.signal.aborted) {
      // Handed out while a stop was under way: say so rather than leave it pending.
      const reason = `not run: the client was stopping (${this.stopSignal}) when the task arrived`;
      this.logger.warn('task not started', { ...log, reason });
      this.queue({ job_id: task.jobId, status: 'failed', result: { exit_code: NO_EXIT_CODE, reason } });
      await this.deliverOutbox();
      return;
    }

    const started = new Date();
    this.options.runningTask.write({
      job_id: task.jobId,
      provider: task.provider,
      started_at: started.toISOString(),
      client_pid: process.pid,
    });
    const cancel = new TaskCancel(task.jobId);
    this.cancel = cancel;
    // From here a stop request gives the task the grace period, as for a running provider.
    this.providerRunning = true;
    try {
      this.queue(runningReport(task.jobId, this.config.heartbeatMs));
      // The answer may already say "cancel"; waited for only briefly: if the server is slow or
      // down, the provider starts anyway and `running` stays queued in the outbox.
      const waited = new AbortController();
      await Promise.race([this.deliverOutbox(), sleep(RUNNING_ANSWER_WAIT_MS, waited.signal)]);
      waited.abort();
      if (cancel.requested) {
        this.logger.info('task cancelled before it started', log);
        await this.finishTask(task, cancelledReport(task.jobId, NO_EXIT_CODE, '', false), 0);
        return;
      }

      this.logger.info('task started', {
        ...log,
        timeout: task.timeoutText,
      });
      const heartbeat = new Heartbeat({
        jobId: task.jobId,
        intervalMs: this.config.heartbeatMs,
        send: (report) => this.options.api.reportStatus(report),
        onAnswer: (answer) => this.takeAnswer(task.jobId, answer),
        logger: this.logger,
      });
      heartbeat.start();
      let run: ProviderRun;
      try {
        run = await this.runProvider(task, cancel.signal);
      } finally {
        heartbeat.stop();
      }
      this.providerRunning = false;
      this.graceTimer?.clear();
      await this.finishTask(task, this.finalReport(task, run), run.durationMs);
    } finally {
      this.providerRunning = false;
      this.graceTimer?.clear();
      this.cancel = undefined;
    }
  }

  private async finishTask(task: Task, report: StatusReport, durationMs: number): Promise<void> {
    const log = { job: task.jobId, provider: task.provider };
    this.queue(report);
    this.options.runningTask.clear();
    this.logger.info('task finished', {
      ...log,
      status: report.status,
      exit_code: report.result?.exit_code,
      duration: formatGoDuration(Math.round(durationMs)),
      reason: report.result?.reason || undefined,
    });
    await this.deliverOutbox();
  }

  /** Acts on what the server answered to a report of `jobId`: it may ask to stop that task. */
  private takeAnswer(jobId: string, answer: DeliveryAnswer): void {
    if (this.cancel?.takeAnswer(jobId, answer)) {
      this.logger.warn('the server asked to stop the task: an administrator cancelled it', {
        job: jobId,
        grace: formatGoDuration(CANCEL_GRACE_MS),
      });
    }
  }

  private async runProvider(task: Task, cancel: AbortSignal): Promise<ProviderRun> {
    const file = findProvider(task.provider, this.config.providerDirs);
    if (file === undefined) {
      // The words of Go's exec.LookPath, which the seed's client reported.
      const error = new Error(`exec: "${providerExecutableName(task.provider)}": executable file not found in $PATH`);
      return { outcome: { kind: 'not-started', error }, output: '', durationMs: 0 };
    }
    const lines = {
      stdout: new LineSplitter((line) => this.logger.info(`[${task.jobId} stdout] ${line}`)),
      stderr: new LineSplitter((line) => this.logger.info(`[${task.jobId} stderr] ${line}`)),
    };
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    const run = await runProvider({
      file,
      stdin: Buffer.from(task.specJson, 'utf8'),
      env: this.providerEnv(task),
      timeoutMs: task.timeoutMs,
      stop: this.stopProvider.signal,
      cancel,
      cancelGraceMs: CANCEL_GRACE_MS,
      outputLimitBytes: OUTPUT_LIMIT_BYTES,
      onOutput: (stream, chunk) => lines[stream].push(decoders[stream].decode(chunk, { stream: true })),
    });
    lines.stdout.flush();
    lines.stderr.flush();
    return run;
  }

  private finalReport(task: Task, run: ProviderRun): StatusReport {
    const { outcome } = run;
    const result = (exitCode: number, reason: string) => ({ exit_code: exitCode, reason, output: run.output });
    switch (outcome.kind) {
      case 'exited':
        return outcome.exitCode === 0
          ? { job_id: task.jobId, status: 'success', result: result(0, '') }
          : { job_id: task.jobId, status: 'failed', result: result(outcome.exitCode, 'exit error') };
      case 'signalled':
        return { job_id: task.jobId, status: 'failed', result: result(NO_EXIT_CODE, `exit error: killed by signal ${outcome.signal}`) };
      case 'timed-out':
        return {
          job_id: task.jobId,
          status: 'failed',
          result: result(
            NO_EXIT_CODE,
            `timeout exceeded: the provider ran longer than the task's timeout of ${task.timeoutText ?? formatGoDuration(outcome.timeoutMs)} and was stopped`,
          ),
        };
      case 'stopped':
        return {
          job_id: task.jobId,
          status: 'failed',
          result: result(
            NO_EXIT_CODE,
            `the client was stopped (${this.stopSignal}) and the provider did not finish within the ${formatGoDuration(this.config.shutdownGraceMs)} grace period`,
          ),
        };
      case 'cancelled':
        return cancelledReport(task.jobId, NO_EXIT_CODE, run.output, true);
      case 'not-started':
        return { job_id: task.jobId, status: 'failed', result: result(NO_EXIT_CODE, outcome.error.message) };
    }
  }

  private providerEnv(task: Task): Record<string, string | undefined> {
    const env: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(this.options.env)) {
      if (!WITHHELD_FROM_PROVIDERS.has(key.toUpperCase())) env[key] = value;
    }
    env.FOODTRUCK_JOB_ID = task.jobId;
    env.FOODTRUCK_PROVIDER = task.provider;
    env.FOODTRUCK_NODE_ORG = this.config.node.org;
    env.FOODTRUCK_NODE_NAME = this.config.node.name;
    return env;
  }

  /** A task whose provider was running when an earlier client died is reported failed now. */
  private recoverInterruptedTask(): void {
    let note;
    try {
      note = this.options.runningTask.read();
    } catch (error) {
      this.logger.error('unreadable running-task note, ignored', { error: (error as Error).message });
      this.options.runningTask.clear();
      return;
    }
    if (!note) return;
    const queued = this.options.outbox.get(note.job_id);
    if (!queued || !FINAL_STATUSES.has(queued.report.status as TaskStatus)) {
      const reason = `the client stopped while the provider was running (started ${note.started_at}); its outcome is unknown`;
      this.queue({ job_id: note.job_id, status: 'failed', result: { exit_code: NO_EXIT_CODE, reason } });
      this.logger.warn('task interrupted by a client restart, reported failed', {
        job: note.job_id,
        provider: note.provider,
      });
    }
    this.options.runningTask.clear();
  }

  private queue(report: StatusReport): void {
    this.options.outbox.put(report);
  }

  /** Sends every queued status, oldest first, one delivery at a time; true when none is left. */
  private deliverOutbox(): Promise<boolean> {
    const delivery = this.deliveries.then(
      () => this.deliverQueued(),
    ).catch((error: unknown) => {
      // A local failure (the state directory went read-only, ...): keep going, try again later.
      this.logger.error('delivering queued statuses failed', { error: (error as Error).message });
      return false;
    });
    this.deliveries = delivery;
    return delivery;
  }

  private async deliverQueued(): Promise<boolean> {
    const entries = this.options.outbox.entries((problem) =>
      this.logger.error('unreadable queued status set aside', { file: problem.file, error: problem.message }),
    );
    for (const entry of entries) {
      if (!(await this.deliver(entry))) return false;
    }
    return true;
  }

  private async deliver(entry: OutboxEntry): Promise<boolean> {
    const { report } = entry;
    const log = { job: report.job_id, status: report.status };
    try {
      const answer = await this.options.api.reportStatus(report);
      this.options.outbox.remove(entry);
      this.takeAnswer(report.job_id, answer);
      const wasDelayed = this.delayed.delete(entry.seq) || entry.queued_at < this.startedAt;
      if (answer.kind === 'refused') {
        this.logger.warn('status refused by the server, dropped', { ...log, answer: answer.status, message: answer.message });
      } else if (wasDelayed) {
        this.logger.info('status delivered', { ...log, queued_at: entry.queued_at });
      }
      return true;
    } catch (error) {
      if (!(error instanceof ServerUnavailableError)) throw error;
      this.delayed.add(entry.seq);
      this.logger.warn('status not delivered, kept for a later attempt', { ...log, error: error.message });
      return false;
    }
  }
}
