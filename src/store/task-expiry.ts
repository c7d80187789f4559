// A queued task whose window has ended is `expired`. Every task of a job shares the job's window,
// so expiry is derived when reading, from the window and the clock, instead of being written by a
// sweeper: no write can be missed, and every driver answers the same.

import type { StatusCounts, TaskStatus } from '../wire/task-status.js';

export function windowHasEnded(windowEnd: Date, now: Date): boolean {
  return now.getTime() > windowEnd.getTime();
}

/** The status a stored status means at `now`. */
export function effectiveStatus(stored: TaskStatus, windowEnd: Date, now: Date): TaskStatus {
  return stored === 'queued' && windowHasEnded(windowEnd, now) ? 'expired' : stored;
}

/** The stored statuses that mean `wanted` at `now`; empty when none can. */
export function storedStatusesMeaning(wanted: TaskStatus, windowEnd: Date, now: Date): TaskStatus[] {
  const ended = windowHasEnded(windowEnd, now);
  if (wanted === 'queued') return ended ? [] : ['queued'];
  if (wanted === 'expired') return ended ? ['expired', 'queued'] : ['expired'];
  return [wanted];
}

/** Folds stored queued tasks into `expired` once the window has ended. */
export function effectiveCounts(stored: StatusCounts, windowEnd: Date, now: Date): StatusCounts {
  if (!windowHasEnded(windowEnd, now)) return stored;
  return { ...stored, expired: stored.expired + stored.queued, queued: 0 };
}
