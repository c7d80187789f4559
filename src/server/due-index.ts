// Which nodes have a queued task due, and from when: one entry per node with work (the earliest
// window start among its queued tasks), kept in memory by each server process. A poll of a node
// whose entry is absent, or starts later than now, is answered "no tasks available" without
// touching the store: the fleet's steady state costs no database read.
//
// The one rule: the index may over-report (a node it calls due may have nothing the store hands
// out: claimed by another process, cancelled, expired, waiting for a rate-control slot; such a
// poll reads the store, which answers correctly), but it must never under-report. So an entry is
// only lowered or removed from what the store itself answered (`settle`), and a change noted while
// that answer was being read wins over it.

export class DueIndex {
  readonly #entries = new Map<string, { start: number; change: number }>();
  #changes = 0;
  /** Told of every node whose entry was noted (its task may be due now, or at a new time). */
  onNote: ((key: string) => void) | undefined;

  /** A queued task for the node, due from `startMs`: the entry becomes the earlier of the two. */
  note(key: string, startMs: number): void {
    const change = ++this.#changes;
    const entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, { start: startMs, change });
    else {
      if (startMs < entry.start) entry.start = startMs;
      entry.change = change;
    }
    this.onNote?.(key);
  }

  /** False only when the store has nothing this node could be handed at `nowMs`. */
  mayHaveDue(key: string, nowMs: number): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.start <= nowMs;
  }

  /** When the node's earliest known task is due; undefined when it has none. */
  earliestStart(key: string): number | undefined {
    return this.#entries.get(key)?.start;
  }

  /** Taken before reading the store for `settle`: what was noted after it stands. */
  mark(): number {
    return this.#changes;
  }

  /**
   * The store's answer, read after `mark`, for the node's earliest queued task (undefined: none).
   * Replaces the entry unless a task was noted for the node since the mark (that task may be
   * missing from the answer); then the entry keeps the earlier of both.
   */
  settle(key: string, startMs: number | undefined, mark: number): void {
    const entry = this.#entries.get(key);
    if (entry && entry.change > mark) {
      if (startMs !== undefined && startMs < entry.start) entry.start = startMs;
      return;
    }
    if (startMs === undefined) this.#entries.delete(key);
    else if (entry) entry.start = startMs;
    else this.#entries.set(key, { start: startMs, change: mark });
  }

  /** Nodes with an entry: what the index holds in memory. */
  get size(): number {
    return this.#entries.size;
  }
}

/** A node as the index and the held polls key it; names never contain `/`. */
export function nodeKey(node: { org: string; name: string }): string {
  return `${node.org}/${node.name}`;
}
