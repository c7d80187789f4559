import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import type { BearerCheck } from '../auth.js';
import type { CheckInRecorder } from '../check-in-recorder.js';
import { conflict, notFound } from '../errors.js';
import { nodeFromPath } from '../node-key-input.js';
import { optionalCursor, readLimit } from '../page-query.js';
import { forgottenNodeJson, nodeOverviewJson } from '../wire-json.js';

export interface AdminNodeRoutesOptions {
  store: Store;
  checkIns: CheckInRecorder;
  requireAdmin: BearerCheck;
}

const DEFAULT_NODE_LIST_LIMIT = 100;

/**
 * Every node the server knows (targeted by a job or seen polling), so silent ones stand out; and
 * forgetting one (see forgetNode in store.ts).
 */
export async function adminNodeRoutes(app: FastifyInstance, options: AdminNodeRoutesOptions): Promise<void> {
  const { store, checkIns } = options;
  app.addHook('onRequest', options.requireAdmin);

  app.get<{ Querystring: { limit?: string; cursor?: string } }>('/admin/nodes', async (request) => {
    const limit = readLimit(request.query.limit) ?? DEFAULT_NODE_LIST_LIMIT;
    const cursor = optionalCursor(request.query.cursor);
    // Operators list nodes rarely: writing this process's gathered check-ins first (one batch)
    // makes the list exact for it. Other server processes' show within their flush interval.
    await checkIns.flush();
    const page = await store.listNodes({ limit, ...cursor }, new Date());
    return { nodes: page.items.map(nodeOverviewJson), next_cursor: page.nextCursor ?? null };
  });

  app.delete<{ Params: { org: string; name: string } }>('/admin/nodes/:org/:name', async (request) => {
    const node = nodeFromPath(request.params);
    const nodeName = `${node.org}/${node.name}`;
    // Its latest poll, if still in memory, is written first, so that it is the one forgotten.
    await checkIns.flush();
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
        request.log.info(
          { audit: 'node forgotten', node: nodeName, finished_tasks: outcome.finishedTasks, key_kept: outcome.keyKept },
          'admin write',
        );
        return forgottenNodeJson(node, outcome);
    }
  });
}
