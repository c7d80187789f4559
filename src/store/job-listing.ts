// The job list filtered by state, shared by the drivers: a job's state comes from its counts at
// read, so jobs are examined newest first until the page is full.

import { JOB_STATE_SCAN_LIMIT, type JobListEntry, type JobListQuery, type Page } from './store.js';
import { ACTIVE_STATUSES } from '../wire/task-status.js';

export function isActive(summary: JobListEntry): boolean {
  return [...ACTIVE_STATUSES].some((status) => summary.summary[status] > 0);
}

/**
 * A page of the jobs in `rows` (newest first, at most JOB_STATE_SCAN_LIMIT + 1 of them) whose
 * state is `query.state`. When the examined jobs run out before the page is full but more exist,
 * the page ends early with a cursor at the last job examined.
 */
export async function pageByState<Row>(
  rows: Row[],
  query: JobListQuery,
  summaryOf: (row: Row) => JobListEntry | Promise<JobListEntry>,
  idOf: (row: Row) => string,
  scanLimit = JOB_STATE_SCAN_LIMIT,
): Promise<Page<JobListEntry>> {
  const wantActive = query.state === 'active';
  const page: Page<JobListEntry> = { items: [] };
  const more = rows.length > scanLimit;
  const examined = more ? rows.slice(0, scanLimit) : rows;
  for (const row of examined) {
    const summary = await summaryOf(row);
    if (isActive(summary) !== wantActive) continue;
    if (page.items.length === query.limit) {
      page.nextCursor = (page.items[page.items.length - 1] as JobListEntry).id;
      return page;
    }
    page.items.push(summary);
  }
  if (more && page.nextCursor === undefined) page.nextCursor = idOf(examined[examined.length - 1] as Row);
  return page;
}
