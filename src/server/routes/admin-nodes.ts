import type { FastifyInstance } from 'fastify';
import type { NodeOverview, Store } from '../../store/store.js';
import { parseNodeSelector } from '../../wire/node-selector.js';
import type { BearerCheck } from '../auth.js';
import type { CheckInRecorder } from '../check-in-recorder.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { readNodeListFilters } from '../node-list-filters.js';
import { nodeFromPath } from '../node-key-input.js';
import { REPEATABLE_SELECTOR_TERMS, readNodeSelectorQuery } from '../node-selector-query.js';
import { optionalCursor, readLimit } from '../page-query.js';
import { forgottenNodeJson, nodeOverviewJson } from '../wire-json.js';

export interface AdminNodeRoutesOptions {
  store: Store;
  checkIns: CheckInRecorder;
  requireAdmin: BearerCheck;
}

const DEFAULT_NODE_LIST_LIMIT = 100;

interface NodeListQuerystring {
  limit?: string;
  cursor?: string;
  search?: string;
  never_seen?: string;
  unfinished?: string;
  [selectorTerm: string]: string | string[] | undefined;
}

/**
 * Every node the server knows (targeted by a job or seen polling), so silent ones stand out;
 * filtered by selector terms and by name text, never seen, or unfinished tasks; and forgetting one
 * (see forgetNode in store.ts).
 */
export async function adminNodeRoutes(app: FastifyInstance, options: AdminNodeRoutesOptions): Promise<void> {
  const { store, checkIns } = options;
  app.addHook('onRequest', options.requireAdmin);

  app.get<{ Querystring: NodeListQuerystring }>('/admin/nodes', { config: { repeatableQueryParameters: REPEATABLE_SELECTOR_TERMS } }, async (request) => {
    const limit = readLimit(request.query.limit as string | undefined) ?? DEFAULT_NODE_LIST_LIMIT;
    const cursor = optionalCursor(request.query.cursor as string | undefined);
    const selector = readNodeSelectorQuery(request.query);
    const filters = readNodeListFilters(request.query);
    if (selector && filters.neverSeen) {
      throw badRequest('never_seen=true cannot go with selector terms: a selector picks only nodes that polled or reported facts');
    }
    // Operators list nodes rarely: writing this process's due check-ins first (one batch) lets the
    // store's filters see every node that polled here, within the check-in resolution; the list
    // then shows each node's latest poll this process noted. Other processes' show within their
    // resolution and flush.
    await checkIns.flush();
    const page = await store.listNodes({ limit, ...cursor, ...filters, ...(selector ? { selector } : {}) }, new Date());
    return { nodes: page.items.map((item) => nodeOverviewJson(withLatestCheckIn(item, checkIns))), next_cursor: page.nextCursor ?? null };
  });

  app.delete<{ Params: { org: string; name: string } }>('/admin/nodes/:org/:name', async (request) => {
    const node = nodeFromPath(request.params);
    const nodeName = `${node.org}/${node.name}`;
    // Its latest poll, if still in memory, is written first, so that it is the one forgotten.
    await checkIns.flush();
    const latest = checkIns.latest(node);
    const outcome = await store.forgetNode(node, new Date());
    switch (outcome.kind) {
      case 'unknown':
        throw notFound(`node ${nodeName} not found`);
      case 'busy':
        throw conflict(
          `node ${nodeName} has ${outcome.unfinished} unfinished task${outcome.unfinished === 1 ? '' : 's'} ` +
            '(queued, pending or running): cancel them or let them finish, then forget it',
        );
      case 'active':
        throw new Error('forgetNode answered "active" without idleSince');
      case 'forgotten':
        // Its next poll is a first one again, written at the next flush.
        checkIns.drop(node);
        request.auditDetail = { finished_tasks: outcome.finishedTasks, key_kept: outcome.keyKept };
        return forgottenNodeJson(node, { ...outcome, lastCheckIn: later(outcome.lastCheckIn, latest) });
    }
  });

  // The blast radius of a selector before a job is created with it: how many nodes, and the first page.
  app.post<{ Querystring: { limit?: string; cursor?: string } }>('/admin/nodes/resolve', async (request) => {
    const limit = readLimit(request.query.limit) ?? DEFAULT_NODE_LIST_LIMIT;
    const cursor = optionalCursor(request.query.cursor);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('targets' in body)) {
      throw badRequest('the body must be {"targets": {...}}, the selector as a job takes it');
    }
    const extra = Object.keys(body).find((key) => key !== 'targets');
    if (extra !== undefined) throw badRequest(`unknown field ${JSON.stringify(extra)}: the body is {"targets": {...}}`);
    const selector = parseNodeSelector((body as { targets: unknown }).targets, 'targets');
    if (!selector.ok) throw badRequest(selector.message);
    await checkIns.flush();
    const now = new Date();
    const [count, page] = await Promise.all([
      store.countNodes(selector.value, now),
      store.listNodes({ limit, ...cursor, selector: selector.value }, now),
    ]);
    return { count, nodes: page.items.map((item) => nodeOverviewJson(withLatestCheckIn(item, checkIns))), next_cursor: page.nextCursor ?? null };
  });
}

/** The listed node with the latest poll this process noted, when later than the stored check-in. */
function withLatestCheckIn(item: NodeOverview, checkIns: CheckInRecorder): NodeOverview {
  const lastCheckIn = later(item.lastCheckIn, checkIns.latest(item.node));
  return lastCheckIn === item.lastCheckIn ? item : { ...item, lastCheckIn };
}

function later(stored: Date | undefined, noted: Date | undefined): Date | undefined {
  return noted !== undefined && (stored === undefined || noted > stored) ? noted : stored;
}
