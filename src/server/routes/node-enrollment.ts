// A node enrolls its own public key, once, with the enrollment secret: the first key enrolled for
// `org/name` wins; the same key again changes nothing; another key is refused until an
// administrator resets the node's key.

import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import type { BearerCheck } from '../auth.js';
import { conflict } from '../errors.js';
import type { NodeKeyCache } from '../node-key-cache.js';
import { nodeFromPath, nodeKeyJson, nodeKeyRecord, publicKeyFromBody } from '../node-key-input.js';

export interface NodeEnrollmentRoutesOptions {
  store: Store;
  nodeKeys: NodeKeyCache;
  /** `requireEnrollmentSecret` from node-auth.ts: enrollment is the one node route that takes no node credential. */
  requireEnrollmentSecret: BearerCheck;
}

interface NodeParams {
  org: string;
  name: string;
}

export async function nodeEnrollmentRoutes(app: FastifyInstance, options: NodeEnrollmentRoutesOptions): Promise<void> {
  const { store, nodeKeys } = options;
  app.addHook('onRequest', options.requireEnrollmentSecret);

  app.post<{ Params: NodeParams }>('/organizations/:org/foodtruck/nodes/:name/key', async (request) => {
    const node = nodeFromPath(request.params);
    const key = publicKeyFromBody(request.body);
    const record = nodeKeyRecord(node, key, 'enrollment', new Date());
    const outcome = await store.enrollNodeKey(record);
    const nodeName = `${node.org}/${node.name}`;
    if (outcome.kind === 'conflict') {
      request.log.warn({ node: nodeName, fingerprint: key.fingerprint }, 'enrollment refused: the node already has another key');
      throw conflict(`node ${nodeName} already has another key: an administrator must reset it first`);
    }
    nodeKeys.forget(node);
    request.log.info({ node: nodeName, fingerprint: key.fingerprint, outcome: outcome.kind }, 'node key enrolled');
    const stored = outcome.kind === 'enrolled' ? record : ((await store.getNodeKey(node)) ?? record);
    return nodeKeyJson(stored, key.fingerprint);
  });
}
