// When each node last polled, without a database write per poll. Polls are noted in a map (one
// entry per node polling lately, so memory is bounded by the fleet's size) and written every few
// seconds, in chunks, and when the server stops.
//
// A node that polls every few seconds is written once per `resolutionMs`, not once per flush: the
// stored check-in answers "is this node alive, and since when is it silent", which a minute's
// precision answers as well as a second's, and every write is a database write (on Cosmos DB, a
// charge) for each node of the fleet. Readers in this process see the latest poll anyway
// (`latest`); other processes, and the store's own filters (`seen_within`), see it within the
// resolution plus one flush. A node's first poll (a new node, or one silent for longer than the
// resolution) is written at the next flush. A crash loses at most the unwritten precision: the
// node's next poll restores it.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { NodeCheckIn, Store } from '../store/store.js';
import type { NodeRef } from '../wire/job-request.js';
import { nodeKey } from './due-index.js';

export const DEFAULT_CHECK_IN_FLUSH_INTERVAL_MS = 5_000;
/** FOODTRUCK_CHECK_IN_RESOLUTION when not set. */
export const DEFAULT_CHECK_IN_RESOLUTION_MS = 60_000;
/** About 5 ms of SQLite work per chunk. */
const CHECK_INS_PER_WRITE = 1_000;

interface NotedCheckIn {
  node: NodeRef;
  /**
   * The node's latest poll (ms). A number changed in place: a Date per poll would be an old
   * object's new garbage at every poll of the fleet.
   */
  atMs: number;
  /** The check-in this process last wrote for the node (ms), or undefined: none yet. */
  writtenAt: number | undefined;
}

export class CheckInRecorder {
  readonly #noted = new Map<string, NotedCheckIn>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<Store, 'recordCheckIns'>,
    /** Told when a batch could not be written (it is kept for the next flush). */
    private readonly onFlushError: (error: unknown, nodes: number) => void,
    private readonly intervalMs = DEFAULT_CHECK_IN_FLUSH_INTERVAL_MS,
    /** How stale a written check-in may be while its node keeps polling; 0 writes every poll's latest at each flush. */
    private readonly resolutionMs = DEFAULT_CHECK_IN_RESOLUTION_MS,
  ) {}

  /** Called on every poll (`atMs`: its time): a map write, nothing more. `key` is `nodeKey(node)`, when the caller has it already. */
  note(node: NodeRef, atMs: number, key = nodeKey(node)): void {
    const known = this.#noted.get(key);
    if (known) known.atMs = atMs;
    else this.#noted.set(key, { node, atMs, writtenAt: undefined });
  }

  /** The node's latest poll this process noted, written or not; undefined when it noted none lately. */
  latest(node: NodeRef): Date | undefined {
    const atMs = this.#noted.get(nodeKey(node))?.atMs;
    return atMs === undefined ? undefined : new Date(atMs);
  }

  /** Forgets what was noted of the node (it was forgotten): its next poll is written as a first one. */
  drop(node: NodeRef): void {
    this.#noted.delete(nodeKey(node));
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.intervalMs);
    // Never the reason the process stays alive.
    this.#timer.unref();
  }

  /** Stops the timer and writes every poll not yet written, whatever the resolution. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush({ everything: true });
  }

  /**
   * Writes the check-ins due: a node's first poll, and a node whose written check-in is older than
   * the resolution and that polled since (`everything`: every poll not yet written). A chunk per
   * store call: between chunks the event loop serves polls, so a 100,000-node fleet's flush never
   * stalls them for long. What could not be written is kept for the next flush.
   */
  async flush(options: { everything?: boolean } = {}): Promise<void> {
    // One flush at a time, so a slow database never sees overlapping batches from one process.
    while (this.#flushing) await this.#flushing;
    const batch = this.#due(Date.now(), options.everything === true);
    if (batch.length === 0) return;
    // In (org, name) order, as the store's index keeps them: neighbouring rows share index pages,
    // so each chunk rewrites a few pages instead of one per node (measured: 3.5 times less CPU).
    batch.sort(byNode);
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }

  /**
   * The check-ins to write now, each marked written at its time (a failed write unmarks it).
   * Entries of nodes silent for longer than the resolution, with nothing left to write, are
   * dropped: the map holds the nodes polling lately, not every node ever seen.
   */
  #due(nowMs: number, everything: boolean): NodeCheckIn[] {
    const batch: NodeCheckIn[] = [];
    for (const [key, entry] of this.#noted) {
      const { atMs, writtenAt } = entry;
      const due =
        writtenAt === undefined || (atMs > writtenAt && (everything || nowMs - writtenAt >= this.resolutionMs));
      if (due) {
        batch.push({ node: entry.node, at: new Date(atMs) });
        entry.writtenAt = atMs;
      } else if (nowMs - atMs >= this.resolutionMs) {
        this.#noted.delete(key);
      }
    }
    return batch;
  }

  async #write(batch: NodeCheckIn[]): Promise<void> {
    for (let start = 0; start < batch.length; start += CHECK_INS_PER_WRITE) {
      // An embedded store writes synchronously: yield to the event loop between chunks, so that
      // the polls waiting meanwhile are answered before the next chunk.
      if (start > 0) await yieldToEventLoop();
      try {
        await this.store.recordCheckIns(batch.slice(start, start + CHECK_INS_PER_WRITE));
      } catch (error) {
        const unwritten = batch.slice(start);
        this.onFlushError(error, unwritten.length);
        for (const checkIn of unwritten) {
          const key = nodeKey(checkIn.node);
          const entry = this.#noted.get(key);
          // Due again at the next flush; a newer poll noted meanwhile is kept.
          if (entry) entry.writtenAt = undefined;
          else this.#noted.set(key, { node: checkIn.node, atMs: checkIn.at.getTime(), writtenAt: undefined });
        }
        return;
      }
    }
  }
}

/** Byte order of (org, name): node names are ASCII, so code-unit order is the index's order. */
function byNode(x: NodeCheckIn, y: NodeCheckIn): number {
  if (x.node.org !== y.node.org) return x.node.org < y.node.org ? -1 : 1;
  if (x.node.name !== y.node.name) return x.node.name < y.node.name ? -1 : 1;
  return 0;
}
