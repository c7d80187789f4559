// A job's progress on one line: a bar of finished nodes and the count of each status.

import { ACTIVE_STATUSES, TASK_STATUSES, type StatusCounts } from '../wire/task-status.js';

const BAR_WIDTH = 30;

export function finishedCount(counts: StatusCounts): number {
  return TASK_STATUSES.filter((status) => !ACTIVE_STATUSES.has(status)).reduce((sum, status) => sum + counts[status], 0);
}

export function isFinished(counts: StatusCounts): boolean {
  return [...ACTIVE_STATUSES].every((status) => counts[status] === 0);
}

/** `queued 3  running 1  success 10`: the statuses that have any. */
export function countsText(counts: StatusCounts): string {
  const parts = TASK_STATUSES.filter((status) => counts[status] > 0).map((status) => `${status} ${counts[status]}`);
  return parts.length === 0 ? 'no tasks' : parts.join('  ');
}

export function progressLine(counts: StatusCounts, total: number): string {
  const finished = finishedCount(counts);
  const filled = total === 0 ? BAR_WIDTH : Math.floor((finished / total) * BAR_WIDTH);
  const percent = total === 0 ? 100 : Math.floor((finished / total) * 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}% ${finished}/${total}  ${countsText(counts)}`;
}
