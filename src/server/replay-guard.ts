// Refuses a signed request seen before. A signature is only accepted within ±15 minutes of its
// timestamp, so a signature needs remembering only that long; and per node, only the newest few:
// each node gets a floor, and a request signed before its floor is refused outright, so memory
// stays bounded (at most MAX_PER_NODE signatures per node) whatever a node sends. A well-behaved
// node signs with the current time, so the floor never refuses it.
//
// Per process: another server process sharing the store has its own memory, so a request
// captured on its way to one process can be replayed once to another within the window.

import { createHash } from 'node:crypto';
import { SIGNATURE_TIME_SKEW_MS } from './node-signature.js';

const MAX_PER_NODE = 64;
const KEEP_AFTER_PRUNE = 32;
const SWEEP_INTERVAL_MS = 60_000;

interface NodeMemory {
  /** Requests signed before this (ms) are refused. */
  floor: number;
  /** Signature digest -> signing time (ms). */
  seen: Map<string, number>;
}

export class ReplayGuard {
  readonly #nodes = new Map<string, NodeMemory>();
  #lastSweep = 0;

  constructor(private readonly windowMs = SIGNATURE_TIME_SKEW_MS) {}

  /**
   * True when this signature of `node`, signed at `signedAt`, was not seen before: it is now
   * remembered. False for a replay, or for a request signed before the node's floor.
   */
  claim(node: string, signature: string, signedAt: number, now: number): boolean {
    if (now - this.#lastSweep > SWEEP_INTERVAL_MS) this.#sweep(now);
    let memory = this.#nodes.get(node);
    if (!memory) {
      memory = { floor: 0, seen: new Map() };
      this.#nodes.set(node, memory);
    }
    if (signedAt < memory.floor) return false;
    // A digest: 16 bytes instead of a 344-character signature.
    const digest = createHash('sha256').update(signature).digest('base64').slice(0, 22);
    if (memory.seen.has(digest)) return false;
    memory.seen.set(digest, signedAt);
    if (memory.seen.size > MAX_PER_NODE) prune(memory);
    return true;
  }

  /** Forgets signatures old enough that the timestamp check refuses them anyway. */
  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [node, memory] of this.#nodes) {
      for (const [digest, signedAt] of memory.seen) {
        if (signedAt + this.windowMs < now) memory.seen.delete(digest);
      }
      if (memory.seen.size === 0 && memory.floor + this.windowMs < now) this.#nodes.delete(node);
    }
  }
}

/**
 * Keeps the newest signatures and raises the floor to the oldest kept. Should all share one second
 * (more than MAX_PER_NODE requests signed within it), the floor passes that second: the node's
 * further requests signed in it are refused.
 */
function prune(memory: NodeMemory): void {
  const times = [...memory.seen.values()].sort((a, b) => b - a);
  memory.floor = times[KEEP_AFTER_PRUNE - 1] as number;
  if (memory.floor === times[times.length - 1]) memory.floor += 1000;
  for (const [digest, signedAt] of memory.seen) if (signedAt < memory.floor) memory.seen.delete(digest);
}
