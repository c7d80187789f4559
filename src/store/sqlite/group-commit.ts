// Writes that arrive together share one SQLite transaction, and so one commit. With
// `synchronous = FULL` every commit waits for the disk (the WAL's fsync), and better-sqlite3 waits
// on the event loop's own thread: a job's nodes reporting at once used to cost one wait each, in
// a row, with nothing else answered meanwhile. Each write still runs alone inside the shared
// transaction (a savepoint of its own), so one that throws undoes only itself; and its promise
// settles only once the transaction holding it has committed, so an answer never runs ahead of
// the disk.

import type { SqliteDatabase } from './sqlite-binding.js';

/** Writes per transaction at most: a longer queue commits in several, a turn of the event loop apart. */
const MAX_WRITES_PER_COMMIT = 1_000;

interface QueuedWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  /** The shared transaction: runs each write of a batch, and answers how each ended. */
  readonly #commitBatch: (batch: QueuedWrite[]) => Settled[];
  #queue: QueuedWrite[] = [];

  constructor(db: SqliteDatabase) {
    // Called inside the shared transaction, better-sqlite3 makes this a savepoint.
    const alone = db.transaction((write: () => unknown) => write());
    const commitBatch = db.transaction((batch: QueuedWrite[]): Settled[] =>
      batch.map(({ write }): Settled => {
        try {
          return { ok: true, value: alone(write) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    this.#commitBatch = (batch) => commitBatch.immediate(batch);
  }

  /** Runs `write` in the next shared transaction; answers what it returned once that has committed. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The first write of a batch schedules the commit; the ones of the same turn join it.
      if (this.#queue.push({ write, resolve: resolve as (value: unknown) => void, reject }) === 1) setImmediate(() => this.#commit());
    });
  }

  #commit(): void {
    const batch = this.#queue.splice(0, MAX_WRITES_PER_COMMIT);
    if (this.#queue.length > 0) setImmediate(() => this.#commit());
    let settled: Settled[];
    try {
      settled = this.#commitBatch(batch);
    } catch (error) {
      // Nothing of the batch was committed.
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, i) => {
      const outcome = settled[i] as Settled;
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    });
  }
}
