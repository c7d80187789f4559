// An administrator's stop request for the task this client runs. The server can only say so in
// its answer to one of our reports (`{"cancel": true}`, to the first `running` or to a heartbeat);
// this turns that answer into a signal that stops the provider, and into the final report.

import type { StatusReport } from './node-api.js';

/** Between SIGTERM to the provider's process tree and SIGKILL, when a task is cancelled. */
export const CANCEL_GRACE_MS = 10_000;
export const CANCEL_REASON = 'cancelled by an administrator';

export class TaskCancel {
  private readonly controller = new AbortController();

  constructor(readonly jobId: string) {}

  /** Aborted once the server asked to stop this task. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get requested(): boolean {
    return this.controller.signal.aborted;
  }

  /** Acts on the server's answer to a report of `jobId`; true when that answer asked to stop this task. */
  takeAnswer(jobId: string, answer: { kind: string; cancel?: boolean }): boolean {
    if (jobId !== this.jobId || answer.kind !== 'accepted' || answer.cancel !== true || this.requested) return false;
    this.controller.abort();
    return true;
  }
}

/** The final report of a cancelled task: what the provider printed so far, if it had started. */
export function cancelledReport(jobId: string, exitCode: number, output: string, started: boolean): StatusReport {
  const reason = started ? CANCEL_REASON : `${CANCEL_REASON} before the provider started`;
  return { job_id: jobId, status: 'cancelled', result: { exit_code: exitCode, reason, output } };
}
