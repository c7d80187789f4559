// Nodes' public keys as parsed KeyObjects, kept in memory so that a poll costs one RSA
// verification and no store read. A key changed through this process (enrollment, an admin's
// set or reset) takes effect at once; one changed through another server process sharing the
// store takes effect here within `ttlMs`.

import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { NodeRef } from '../wire/job-request.js';

interface Entry {
  /** Null: the node has no key (also kept, so that unknown nodes do not read the store each time). */
  pem: string | null;
  key: KeyObject | null;
  loadedAt: number;
}

export const NODE_KEY_CACHE_TTL_MS = 10_000;
/** Beyond this many nodes the cache starts over rather than grow without bound. */
const MAX_ENTRIES = 500_000;

export class NodeKeyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<KeyObject | null>>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = NODE_KEY_CACHE_TTL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The key when it is known and fresh (null: known to have none); undefined: call `load`. */
  peek(node: NodeRef): KeyObject | null | undefined {
    const entry = this.#entries.get(`${node.org}/${node.name}`);
    if (!entry || this.clock() - entry.loadedAt >= this.ttlMs) return undefined;
    return entry.key;
  }

  /** Reads the node's key from the store (once for concurrent callers) and keeps it. */
  load(node: NodeRef): Promise<KeyObject | null> {
    const id = `${node.org}/${node.name}`;
    const pending = this.#loading.get(id);
    if (pending) return pending;
    const loading = this.store
      .getNodeKey(node)
      .then((stored) => {
        const pem = stored?.publicKey ?? null;
        const previous = this.#entries.get(id);
        // The same text as before: keep the parsed key, parsing is the expensive part.
        const key = pem === null ? null : previous?.pem === pem ? previous.key : createPublicKey(pem);
        if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
        this.#entries.set(id, { pem, key, loadedAt: this.clock() });
        return key;
      })
      .finally(() => this.#loading.delete(id));
    this.#loading.set(id, loading);
    return loading;
  }

  /** After a change of the node's key in this process: the next request reads it again. */
  forget(node: NodeRef): void {
    this.#entries.delete(`${node.org}/${node.name}`);
  }
}
