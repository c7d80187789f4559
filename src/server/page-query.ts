// The query parameters every paged admin list shares: `limit` and `cursor`.

import { badRequest } from './errors.js';

/**
 * The largest page any list answers (jobs, nodes, a job's statuses): above it, 400. It bounds the
 * database work and the memory one request can take.
 */
export const MAX_PAGE_LIMIT = 1_000;

export function readLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
    throw badRequest(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

export function optionalCursor(cursor: string | undefined): { cursor?: string } {
  if (cursor === undefined) return {};
  if (cursor === '' || cursor.length > 600) throw badRequest('invalid cursor');
  return { cursor };
}
