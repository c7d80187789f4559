// `PUT /organizations/:org/foodtruck/nodes/:name/facts`: a node says what it is. Our client sends
// this when it starts and when its facts change; the original Go client never does.

import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { parseNodeFacts } from '../../wire/node-facts.js';
import { badRequest } from '../errors.js';
import { applyNodeAuth, type NodeAuth } from '../node-auth.js';
import { nodeOf, type NodeParams } from '../node-params.js';

export interface NodeFactRoutesOptions {
  store: Store;
  /** The one node authentication (node-auth.ts) every node route goes through. */
  nodeAuth: NodeAuth;
}

/** 64 tags and 64 attributes of at most 255 characters each, with room for JSON escaping. */
const FACTS_BODY_LIMIT_BYTES = 256 * 1024;

export async function nodeFactRoutes(app: FastifyInstance, options: NodeFactRoutesOptions): Promise<void> {
  const { store } = options;
  applyNodeAuth(app, options.nodeAuth);

  app.put<{ Params: NodeParams }>(
    '/organizations/:org/foodtruck/nodes/:name/facts',
    { bodyLimit: FACTS_BODY_LIMIT_BYTES },
    async (request) => {
      const node = nodeOf(request);
      const parsed = parseNodeFacts(request.body);
      if (!parsed.ok) throw badRequest(parsed.message);
      await store.recordNodeFacts([{ node, facts: parsed.value, at: new Date() }]);
      request.log.info({ node: `${node.org}/${node.name}`, tags: parsed.value.tags.length }, 'node facts recorded');
      return {};
    },
  );
}
