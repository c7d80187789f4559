// Proof of life while a provider runs: `running` is re-reported at the configured interval, so
// that the server tells a live node's long task from a dead node's (the task's lease). At most
// one heartbeat is in flight: a tick that finds the previous one unanswered is skipped, and a
// failed one is simply tried again at the next tick. Heartbeats go straight to the server, not
// through the outbox: an old heartbeat is worth nothing, and the final report never waits on one.

import { formatGoDuration } from '../wire/go-duration.js';
import { setLongTimeout, type LongTimer } from './long-timer.js';
import type { Logger } from './log.js';
import { ServerUnavailableError, type DeliveryAnswer, type StatusReport } from './node-api.js';

export interface HeartbeatOptions {
  jobId: string;
  intervalMs: number;
  send: (report: StatusReport) => Promise<DeliveryAnswer>;
  /** Called with every answer the server gave (e.g. to act on a cancel). */
  onAnswer: (answer: DeliveryAnswer) => void;
  logger: Logger;
}

/** The `running` report this client sends, first and at every heartbeat. */
export function runningReport(jobId: string, intervalMs: number): StatusReport {
  return { job_id: jobId, status: 'running', heartbeat_interval: formatGoDuration(intervalMs) };
}

export class Heartbeat {
  private timer: LongTimer | undefined;
  private inFlight = false;
  private stopped = false;
  /** Logged once per failure streak, not at every tick. */
  private failing = false;
  private refusalLogged = false;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    this.schedule();
  }

  /** No more heartbeats; one in flight is left to finish on its own and its answer ignored. */
  stop(): void {
    this.stopped = true;
    this.timer?.clear();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setLongTimeout(() => {
      this.schedule();
      if (!this.inFlight) void this.beat();
    }, this.options.intervalMs);
  }

  private async beat(): Promise<void> {
    const { jobId, intervalMs, logger } = this.options;
    this.inFlight = true;
    try {
      const answer = await this.options.send(runningReport(jobId, intervalMs));
      if (this.stopped) return;
      if (this.failing) logger.info('heartbeat delivered again', { job: jobId });
      this.failing = false;
      if (answer.kind === 'refused' && !this.refusalLogged) {
        // E.g. 409: the server already holds a final status; the provider's own result still counts.
        this.refusalLogged = true;
        logger.warn('heartbeat refused by the server', { job: jobId, answer: answer.status, message: answer.message });
      }
      this.options.onAnswer(answer);
    } catch (error) {
      if (this.stopped) return;
      if (!this.failing) {
        const message = error instanceof ServerUnavailableError ? error.message : (error as Error).message;
        logger.warn('heartbeat not delivered, trying again at the next one', { job: jobId, error: message });
      }
      this.failing = true;
    } finally {
      this.inFlight = false;
    }
  }
}
