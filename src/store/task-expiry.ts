// What a stored task means at a given moment. Two things end a task without anyone writing it:
// its window (a queued task whose window has ended is `expired`) and its lease (a handed-out task
// whose node gave no sign of life in time is `timed_out`, or `cancelled` when an administrator had
// asked it to stop). Both are derived when reading, from stored times and the clock, instead of
// being written by a sweeper: no write can be missed, and every driver answers the same, because
// every driver calls these functions (for single tasks, for counts, and to build its filters).

import { emptyStatusCounts, type StatusCounts, type TaskStatus } from '../wire/task-status.js';

/** What a driver stores about a task's state. */
export interface StoredTaskState {
  status: TaskStatus;
  /** Set while the task is handed out (`pending` or `running`); see task-lease.ts. */
  leaseExpiresAt?: Date | null;
  /** An administrator asked the node to stop it (the answer to its next report says so). */
  stopRequested?: boolean;
}

export function windowHasEnded(windowEnd: Date, now: Date): boolean {
  return now.getTime() > windowEnd.getTime();
}

/** A handed-out task without a lease (none is stored before it is handed out) never ends by it. */
export function leaseHasEnded(leaseExpiresAt: Date | null | undefined, now: Date): boolean {
  return leaseExpiresAt !== undefined && leaseExpiresAt !== null && now.getTime() > leaseExpiresAt.getTime();
}

/** The stored statuses of a handed-out task: only these can end by their lease. */
export const HANDED_OUT_STATUSES = ['pending', 'running'] as const satisfies readonly TaskStatus[];
const HANDED_OUT: ReadonlySet<TaskStatus> = new Set(HANDED_OUT_STATUSES);

/**
 * The status of a group of stored tasks that share a stored status, whether their lease has ended
 * and whether a stop was requested, in a job whose window has or has not ended.
 */
export function effectiveStatusOf(stored: TaskStatus, leaseEnded: boolean, stopRequested: boolean, windowEnded: boolean): TaskStatus {
  if (stored === 'queued') return windowEnded ? 'expired' : 'queued';
  if (HANDED_OUT.has(stored) && leaseEnded) return stopRequested ? 'cancelled' : 'timed_out';
  return stored;
}

/** The status a stored task means at `now`. */
export function effectiveStatus(task: StoredTaskState, windowEnd: Date, now: Date): TaskStatus {
  return effectiveStatusOf(
    task.status,
    leaseHasEnded(task.leaseExpiresAt, now),
    task.stopRequested === true,
    windowHasEnded(windowEnd, now),
  );
}

/** A condition on stored fields that a driver turns into its query language. */
export interface StoredCondition {
  status: TaskStatus;
  /** `live`: lease_expires_at >= now; `ended`: lease_expires_at < now. Absent: any. */
  lease?: 'live' | 'ended';
  /** Absent: any. */
  stopRequested?: boolean;
}

/** The stored states that mean `wanted` at `now`, as alternatives; empty when none can. */
export function storedConditionsMeaning(wanted: TaskStatus, windowEnd: Date, now: Date): StoredCondition[] {
  const ended = windowHasEnded(windowEnd, now);
  switch (wanted) {
    case 'queued':
      return ended ? [] : [{ status: 'queued' }];
    case 'expired':
      return ended ? [{ status: 'expired' }, { status: 'queued' }] : [{ status: 'expired' }];
    case 'pending':
    case 'running':
      return [{ status: wanted, lease: 'live' }];
    case 'timed_out':
      return [
        { status: 'pending', lease: 'ended', stopRequested: false },
        { status: 'running', lease: 'ended', stopRequested: false },
      ];
    case 'cancelled':
      return [
        { status: 'cancelled' },
        { status: 'pending', lease: 'ended', stopRequested: true },
        { status: 'running', lease: 'ended', stopRequested: true },
      ];
    default:
      return [{ status: wanted }];
  }
}

/** Stored tasks counted by stored status, lease state and stop request, as a driver groups them. */
export interface StoredCount {
  status: TaskStatus;
  leaseEnded: boolean;
  stopRequested: boolean;
  count: number;
}

/** Folds stored counts into counts by effective status at `now`. */
export function effectiveCounts(stored: Iterable<StoredCount>, windowEnd: Date, now: Date): StatusCounts {
  const windowEnded = windowHasEnded(windowEnd, now);
  const counts = emptyStatusCounts();
  for (const group of stored) {
    counts[effectiveStatusOf(group.status, group.leaseEnded, group.stopRequested, windowEnded)] += group.count;
  }
  return counts;
}

/**
 * A stored task that is unfinished at `now`, as alternatives each driver turns into its query
 * (the window is the task's own): queued with its window open (`window_end >= now`), or handed out
 * with a lease that has not ended (no lease, or `lease_expires_at >= now`). The same tasks that
 * `effectiveStatusOf` calls `queued`, `pending` or `running`.
 */
export const UNFINISHED_STORED_STATES: ReadonlyArray<{ status: TaskStatus; windowOpen?: true; leaseNotEnded?: true }> = [
  { status: 'queued', windowOpen: true },
  { status: 'pending', leaseNotEnded: true },
  { status: 'running', leaseNotEnded: true },
];
