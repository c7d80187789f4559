// Administrators register a node's public key (e.g. exported from a Chef Infra Server's clients,
// so a Chef-managed fleet needs no enrollment secret), read it, or reset it so the node may enroll
// again.

import { createPublicKey } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import type { BearerCheck } from '../auth.js';
import { notFound } from '../errors.js';
import type { NodeKeyCache } from '../node-key-cache.js';
import { nodeFromPath, nodeKeyJson, nodeKeyRecord, publicKeyFromBody } from '../node-key-input.js';
import { nodePublicKeyOf } from '../node-public-key.js';

export interface AdminNodeKeyRoutesOptions {
  store: Store;
  nodeKeys: NodeKeyCache;
  requireAdmin: BearerCheck;
}

interface NodeParams {
  org: string;
  name: string;
}

const ROUTE = '/admin/nodes/:org/:name/key';

export async function adminNodeKeyRoutes(app: FastifyInstance, options: AdminNodeKeyRoutesOptions): Promise<void> {
  const { store, nodeKeys } = options;
  app.addHook('onRequest', options.requireAdmin);

  app.get<{ Params: NodeParams }>(ROUTE, async (request) => {
    const node = nodeFromPath(request.params);
    const stored = await store.getNodeKey(node);
    if (!stored) throw notFound(`node ${node.org}/${node.name} has no key`);
    return nodeKeyJson(stored, nodePublicKeyOf(createPublicKey(stored.publicKey)).fingerprint, true);
  });

  app.put<{ Params: NodeParams }>(ROUTE, async (request) => {
    const node = nodeFromPath(request.params);
    const key = publicKeyFromBody(request.body);
    const record = nodeKeyRecord(node, key, 'admin', new Date());
    await store.setNodeKey(record);
    nodeKeys.forget(node);
    request.auditDetail = { fingerprint: key.fingerprint };
    return nodeKeyJson(record, key.fingerprint);
  });

  app.delete<{ Params: NodeParams }>(ROUTE, async (request) => {
    const node = nodeFromPath(request.params);
    const removed = await store.resetNodeKey(node);
    nodeKeys.forget(node);
    request.auditDetail = { removed };
    return { node_name: `${node.org}/${node.name}`, removed };
  });
}
