// Whether a node's report changes its task: the one rule both drivers apply, from the task's
// stored state and the clock (see reportStatus in store.ts).

import type { StatusReport } from '../wire/status-report.js';
import { FINAL_STATUSES } from '../wire/task-status.js';
import type { ReportOutcome } from './store.js';
import { effectiveStatus, type StoredTaskState } from './task-expiry.js';

export function decideReport(
  task: StoredTaskState,
  windowEnd: Date,
  report: Pick<StatusReport, 'status'>,
  now: Date,
): ReportOutcome {
  const handedOut = task.status === 'pending' || task.status === 'running';
  const stopRequested = task.stopRequested === true;
  if (report.status === 'cancelled') {
    if (!stopRequested) return { kind: 'cancel_not_requested' };
    // Taken even after the lease ended: it is what the administrator asked for, with the output so far.
    if (handedOut) return { kind: 'updated', stopRequested: false };
    return { kind: 'final', status: effectiveStatus(task, windowEnd, now) };
  }
  const current = effectiveStatus(task, windowEnd, now);
  if (FINAL_STATUSES.has(current)) {
    // Ended by its lease only: the node's own final word replaces timed_out (or cancelled).
    const endedByLease = handedOut;
    if (endedByLease && (report.status === 'success' || report.status === 'failed')) {
      return { kind: 'updated', stopRequested: false };
    }
    return { kind: 'final', status: current };
  }
  const stillRunning = report.status === 'pending' || report.status === 'running';
  return { kind: 'updated', stopRequested: stopRequested && stillRunning };
}
