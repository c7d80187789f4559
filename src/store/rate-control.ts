// Rate control: how many of a job's tasks may be out at once, and how many failures stop it. The
// rules both drivers apply, as pure functions of stored values and the clock.
//
// - max_concurrency: at most this many of the job's tasks are `pending` or `running` at any
//   moment. A percentage of the job's nodes rounds up, and is at least 1 ("10%" of 5 nodes is 1,
//   of 25 nodes 3).
// - max_errors: once more tasks than this are `failed` or `timed_out`, the job stops: no more
//   tasks are handed out, its queued tasks become `cancelled`, and it carries
//   `stopped: {reason, at}`. 0 stops it at the first failure. A percentage rounds down ("10%" of
//   25 nodes is 2: the third failure stops it). Exactly: no task is handed out after the failure
//   report that crosses the limit. The embedded store writes the stop in that report's
//   transaction; MongoDB, without transactions, has each claim count the failures after taking
//   its task's unique hand-out record, so the claim is ordered before or after the failure.

import { percentageOf, type RateLimit } from '../wire/job-options.js';
import type { StatusCounts, TaskStatus } from '../wire/task-status.js';

export function concurrencyLimitOf(limit: RateLimit, nodeCount: number): number {
  const percent = percentageOf(limit);
  if (percent === undefined) return limit as number;
  return Math.max(1, Math.ceil((nodeCount * percent) / 100));
}

export function errorLimitOf(limit: RateLimit, nodeCount: number): number {
  const percent = percentageOf(limit);
  if (percent === undefined) return limit as number;
  return Math.floor((nodeCount * percent) / 100);
}

export function failuresOf(counts: Pick<StatusCounts, 'failed' | 'timed_out'>): number {
  return counts.failed + counts.timed_out;
}

/** Whether the job must stop; its failures counted at `now`. */
export function failuresExceed(failures: number, errorLimit: number | undefined): boolean {
  return errorLimit !== undefined && failures > errorLimit;
}

export function stopReason(failures: number, maxErrors: RateLimit, errorLimit: number): string {
  const limit = typeof maxErrors === 'string' ? `${maxErrors} = ${errorLimit}` : String(errorLimit);
  return `${failures} tasks failed or timed out, more than max_errors (${limit})`;
}

/**
 * MongoDB only: a concurrency slot whose holder's lease ended is taken back this long after the
 * end, not at once. A server process that read the holder just before its lease ended may still be
 * writing a report that extends it; the margin outlasts any such write (a database operation
 * times out well within it), so a slot is never taken back from a task that is still running.
 * The embedded store decides in one transaction and needs no margin.
 */
export const SLOT_RECLAIM_MARGIN_MS = 60_000;

/** What a MongoDB concurrency slot's holder looks like when the slot is considered. */
export interface SlotHolder {
  status: TaskStatus;
  leaseExpiresAt?: Date | null;
}

/**
 * Whether a slot taken at `takenAt` by a task now in `holder` state (undefined: not found) may be
 * taken by another hand-out at `now`. A holder still queued is a claim that stopped before its
 * hand-out: its slot is free once that hand-out's lease would have ended (`deliveryGraceMs` after
 * it, task-lease.ts), plus the margin.
 */
export function slotIsFree(holder: SlotHolder | undefined, takenAt: Date, now: Date, deliveryGraceMs: number): boolean {
  const at = now.getTime();
  if (!holder) return false;
  switch (holder.status) {
    case 'queued':
      return takenAt.getTime() + deliveryGraceMs + SLOT_RECLAIM_MARGIN_MS < at;
    case 'pending':
    case 'running':
      return (
        holder.leaseExpiresAt !== undefined &&
        holder.leaseExpiresAt !== null &&
        holder.leaseExpiresAt.getTime() + SLOT_RECLAIM_MARGIN_MS < at
      );
    default:
      return true;
  }
}
