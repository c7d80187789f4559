import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import type { BearerCheck } from '../auth.js';
import type { CheckInRecorder } from '../check-in-recorder.js';
import { optionalCursor, readLimit } from '../page-query.js';
import { nodeOverviewJson } from '../wire-json.js';

export interface AdminNodeRoutesOptions {
  store: Store;
  checkIns: CheckInRecorder;
  requireAdmin: BearerCheck;
}

const DEFAULT_NODE_LIST_LIMIT = 100;

/** Every node the server knows (targeted by a job or seen polling), so silent ones stand out. */
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
}
