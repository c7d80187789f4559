// The life of one node's task, as the contract's status table describes it.

export const TASK_STATUSES = [
  'queued',
  'pending',
  'running',
  'success',
  'failed',
  'timed_out',
  'expired',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** What a node may report; the seed's exact set, in the seed's order (it appears in an error message). */
export const REPORTABLE_STATUSES = ['pending', 'running', 'failed', 'success'] as const;
export type ReportableStatus = (typeof REPORTABLE_STATUSES)[number];

/**
 * What a node's report may carry: the seed's set, and `cancelled`, which the server accepts only
 * for a task an administrator asked to stop (otherwise it answers the seed's status message).
 */
export type NodeReportStatus = ReportableStatus | 'cancelled';

/** A task in one of these is never reopened (a late `success`/`failed` may still replace `timed_out`). */
export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['success', 'failed', 'timed_out', 'expired', 'cancelled']);

/** Still to finish: an operator following a job waits while any task is in one of these. */
export const ACTIVE_STATUSES: ReadonlySet<TaskStatus> = new Set(['queued', 'pending', 'running']);

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

export function isReportableStatus(value: unknown): value is ReportableStatus {
  return typeof value === 'string' && (REPORTABLE_STATUSES as readonly string[]).includes(value);
}

export type StatusCounts = Record<TaskStatus, number>;

export function emptyStatusCounts(): StatusCounts {
  return { queued: 0, pending: 0, running: 0, success: 0, failed: 0, timed_out: 0, expired: 0, cancelled: 0 };
}
