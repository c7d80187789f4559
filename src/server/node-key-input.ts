// The input of the routes that store a node's key: the node in the path and `{"public_key": "<PEM>"}`.

import type { NodeKey, NodeKeySource } from '../store/store.js';
import type { NodeRef } from '../wire/job-request.js';
import { isValidNodePart } from '../wire/names.js';
import { formatRfc3339 } from '../wire/rfc3339.js';
import { badRequest } from './errors.js';
import { parseNodePublicKey, type NodePublicKey } from './node-public-key.js';

export const INVALID_NODE = 'invalid node: org and name take 1 to 255 letters, digits, ".", "_", "-", ":" or "@"';

export function nodeFromPath(params: { org: string; name: string }): NodeRef {
  if (!isValidNodePart(params.org) || !isValidNodePart(params.name)) throw badRequest(INVALID_NODE);
  return { org: params.org, name: params.name };
}

export function publicKeyFromBody(body: unknown): NodePublicKey {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('expected a JSON object {"public_key": "<PEM>"}');
  const parsed = parseNodePublicKey((body as { public_key?: unknown }).public_key);
  if (!parsed.ok) throw badRequest(parsed.message);
  return parsed.value;
}

export function nodeKeyRecord(node: NodeRef, key: NodePublicKey, source: NodeKeySource, now: Date): NodeKey {
  return { node, publicKey: key.pem, source, createdAt: now };
}

export function nodeKeyJson(stored: NodeKey, fingerprint: string, withKey = false) {
  const json: { node_name: string; fingerprint: string; source: NodeKeySource; created_at: string; public_key?: string } = {
    node_name: `${stored.node.org}/${stored.node.name}`,
    fingerprint,
    source: stored.source,
    created_at: formatRfc3339(stored.createdAt),
  };
  if (withKey) json.public_key = stored.publicKey;
  return json;
}
