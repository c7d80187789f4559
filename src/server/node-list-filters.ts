// The node list's own filters beside the selector terms (`GET /admin/nodes?search=web&never_seen=true&unfinished=true`):
// what an operator looks for in a long list, whether or not the nodes reported facts.

import type { NodeListQuery } from '../store/store.js';
import { badRequest } from './errors.js';

/** `org/name` is at most 255 + 1 + 255 characters: a longer text can match nothing. */
export const MAX_NODE_SEARCH_LENGTH = 511;

export interface NodeListFilterQuery {
  search?: unknown;
  never_seen?: unknown;
  unfinished?: unknown;
}

export type NodeListFilters = Pick<NodeListQuery, 'nameContains' | 'neverSeen' | 'unfinished'>;

export function readNodeListFilters(query: NodeListFilterQuery): NodeListFilters {
  const filters: NodeListFilters = {};
  if (query.search !== undefined && query.search !== '') {
    if (typeof query.search !== 'string' || [...query.search].length > MAX_NODE_SEARCH_LENGTH) {
      throw badRequest(`search must be text of at most ${MAX_NODE_SEARCH_LENGTH} characters`);
    }
    filters.nameContains = query.search;
  }
  if (readFlag(query.never_seen, 'never_seen')) filters.neverSeen = true;
  if (readFlag(query.unfinished, 'unfinished')) filters.unfinished = true;
  return filters;
}

function readFlag(value: unknown, name: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`${name} must be true or false`);
}
