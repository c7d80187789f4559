// POST /admin/jobs/:id/rerun: a new job with the same task for exactly the nodes whose task is,
// at this moment, in one of the chosen statuses. Built from two store operations (read the
// statuses, create the job); the new job records `rerun_of`.

import type { NewJob, NodeRef } from '../wire/job-request.js';
import { INVALID_REQUEST_JSON } from '../wire/job-request.js';
import { parseRfc3339 } from '../wire/rfc3339.js';
import { rerunJobRequestSchema } from '../wire/schemas.js';
import { compileShapeCheck } from '../wire/shape-check.js';
import type { TaskStatus } from '../wire/task-status.js';
import type { JobSummary, Store } from '../store/store.js';
import { badRequest } from './errors.js';

export const DEFAULT_RERUN_STATUSES: readonly TaskStatus[] = ['failed', 'timed_out', 'expired'];
const STATUS_PAGE = 10_000;

const checkShape = compileShapeCheck(rerunJobRequestSchema);

interface RawRerunRequest {
  statuses?: TaskStatus[];
  window_start?: string;
  window_end?: string;
}

/**
 * The new job for a rerun of `original`, or a 400 naming what is wrong: the body's shape, its
 * window (checked as job creation checks it), or no node in the chosen statuses. Without a window
 * the new job starts now and lasts as long as the original window did.
 */
export async function rerunOf(store: Store, original: JobSummary, body: unknown, now: Date): Promise<NewJob> {
  const raw = (body === undefined ? {} : body) as RawRerunRequest;
  const problem = checkShape(raw);
  if (problem) throw badRequest(`${INVALID_REQUEST_JSON}: ${problem}`);
  const statuses = [...new Set(raw.statuses ?? DEFAULT_RERUN_STATUSES)];
  const windowStart = raw.window_start === undefined ? now : parseRfc3339(raw.window_start);
  if (!windowStart) throw badRequest(`${INVALID_REQUEST_JSON}: window_start is not an RFC 3339 time`);
  const length = original.task.windowEnd.getTime() - original.task.windowStart.getTime();
  const windowEnd = raw.window_end === undefined ? new Date(windowStart.getTime() + length) : parseRfc3339(raw.window_end);
  if (!windowEnd) throw badRequest(`${INVALID_REQUEST_JSON}: window_end is not an RFC 3339 time`);
  if (windowEnd < windowStart) throw badRequest('window_end must be after window_start');
  if (windowEnd < now) throw badRequest('window has already expired');

  const nodes: NodeRef[] = [];
  for (const status of statuses) {
    let cursor: string | undefined;
    do {
      const page = await store.listTaskStatuses(original.id, { status, limit: STATUS_PAGE, ...(cursor ? { cursor } : {}) }, now);
      if (!page) break;
      nodes.push(...page.items.map((item) => item.node));
      cursor = page.nextCursor;
    } while (cursor);
  }
  if (nodes.length === 0) throw badRequest(`no node of job ${original.id} is ${statuses.join(' or ')}: nothing to rerun`);

  const job: NewJob = { task: { ...original.task, windowStart, windowEnd }, nodes, rerunOf: original.id };
  if (original.name !== undefined) job.name = original.name;
  if (original.maxConcurrency !== undefined) job.maxConcurrency = original.maxConcurrency;
  if (original.maxErrors !== undefined) job.maxErrors = original.maxErrors;
  return job;
}
