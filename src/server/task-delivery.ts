// How tasks reach nodes: the empty-poll shortcut (the due index), claims batched (those of one
// turn of the event loop, and those that waited while earlier batches were out), long polls held
// in memory, and the job feed that tells this process of jobs other processes created. The route
// `tasks/next` asks this object; the store stays the only judge of what is handed out.

import { isClaimFailure, StoreUnavailableError, type ClaimedTask, type Store } from '../store/store.js';
import type { NewJob, NodeRef } from '../wire/job-request.js';
import { DueIndex, nodeKey } from './due-index.js';
import { HeldPolls } from './held-polls.js';

/** How often each process reads the jobs stored since its last look (the cross-process bound). */
export const DEFAULT_JOB_FEED_INTERVAL_MS = 1_000;
/** The longest `wait` a poll may ask for; advertised in `X-Foodtruck-Long-Poll`. */
export const MAX_POLL_WAIT_MS = 60_000;
/**
 * A held poll whose node is due but got nothing (its task waits for a rate-control slot, or was
 * taken by another process) asks the store again this often while it waits, instead of busily.
 */
const DUE_RECHECK_MS = 5_000;
/**
 * A held poll whose claim failed because the store was unavailable (on FerretDB's SQLite backend,
 * mostly "database is locked" while other processes write) looks again after about this long,
 * until its wait ends, instead of answering 503 at once: the node keeps its place and gets its
 * task as soon as the store lets it.
 */
const STORE_RECHECK_MS = 1_000;
/** Nodes per store call when many claims are waiting. */
const CLAIM_BATCH = 1_000;
/**
 * Claim flushes in flight at once. Claims that arrive while this many are out wait, and go
 * together in the next flush, so that a busy process sends fewer, larger claims instead of one
 * per turn of the event loop: interval polls arrive a few at a time, and on a slow database each
 * flush of a few nodes costs as much as one of many. It also bounds the store commands claims have
 * in flight, which FerretDB over PostgreSQL needs (docs/benchmarks.md: its pool deadlocks under
 * 50 concurrent updates).
 */
const CLAIM_FLUSHES_IN_FLIGHT = 2;

export interface TaskDeliveryOptions {
  /** Polls held at once, at most; 0 turns long polls off (`wait` is then ignored). */
  maxHeldPolls: number;
  jobFeedIntervalMs?: number;
  /** Told the number of held polls whenever it changes. */
  onHeldPolls?: (count: number) => void;
  /** Told when reading the job feed failed (it is tried again at the next interval). */
  onFeedError?: (error: unknown) => void;
  /** Told when a held poll's claim failed with the store unavailable (it looks again shortly). */
  onHeldClaimError?: (error: StoreUnavailableError) => void;
}

/**
 * What a held poll ended with. `failed`: its wait ended while the store was unavailable, which
 * the poll answers (503) as it would have answered at once.
 */
export type HoldOutcome =
  | { kind: 'task'; claimed: ClaimedTask }
  | { kind: 'none' }
  | { kind: 'closed' }
  | { kind: 'failed'; error: StoreUnavailableError };

interface PendingClaim {
  node: NodeRef;
  now: Date;
  resolve: (claimed: ClaimedTask | undefined) => void;
  reject: (error: unknown) => void;
}

export class TaskDelivery {
  readonly index = new DueIndex();
  readonly held: HeldPolls;
  #feedCursor = '';
  #feedTimer: NodeJS.Timeout | undefined;
  #feedRun: Promise<void> | undefined;
  #stopped = false;
  /** Jobs this process noted itself, which the feed will announce again: skipped once there. */
  readonly #notedHere = new Set<string>();
  #pendingClaims: PendingClaim[] = [];
  #claimFlushScheduled = false;
  #claimFlushesInFlight = 0;

  private constructor(
    private readonly store: Store,
    private readonly options: TaskDeliveryOptions,
  ) {
    this.held = new HeldPolls(options.maxHeldPolls, options.onHeldPolls);
    this.index.onNote = (key) => this.held.wake(key);
  }

  /**
   * Builds the due index from the store: the feed's cursor first, then every queued task whose
   * window has not ended, so that a job stored meanwhile is announced by the feed (twice at worst).
   */
  static async open(store: Store, options: TaskDeliveryOptions, now = new Date()): Promise<TaskDelivery> {
    const delivery = new TaskDelivery(store, options);
    delivery.#feedCursor = await store.jobFeedCursor(now);
    for await (const queued of store.queuedWindows(now)) {
      delivery.index.note(nodeKey(queued.node), queued.windowStart.getTime());
    }
    return delivery;
  }

  get longPollEnabled(): boolean {
    return this.options.maxHeldPolls > 0;
  }

  /** Starts reading the job feed every interval. */
  start(): void {
    if (this.#feedTimer || this.#stopped) return;
    const interval = this.options.jobFeedIntervalMs ?? DEFAULT_JOB_FEED_INTERVAL_MS;
    const tick = () => {
      this.#feedRun = this.readFeed()
        .catch((error: unknown) => this.options.onFeedError?.(error))
        .finally(() => {
          this.#feedRun = undefined;
          if (!this.#stopped) this.#feedTimer = setTimeout(tick, interval).unref();
        });
    };
    this.#feedTimer = setTimeout(tick, interval).unref();
  }

  /** Answers every held poll now (each gets one last look for a task) and stops the feed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#feedTimer);
    this.held.close();
    await this.#feedRun;
  }

  /** A job this process just stored: its nodes are due from its window start. */
  noteJob(id: string, job: NewJob, now: Date): void {
    if (job.task.windowEnd.getTime() < now.getTime()) return;
    this.#notedHere.add(id);
    const start = job.task.windowStart.getTime();
    for (const node of job.nodes) this.index.note(nodeKey(node), start);
  }

  /**
   * Reads the jobs stored since the last look (by any process) and notes their nodes that still
   * have a queued task. Called every interval; tests call it directly.
   */
  async readFeed(now = new Date()): Promise<void> {
    for (;;) {
      const page = await this.store.readJobFeed(this.#feedCursor, now);
      for (const job of page.jobs) {
        if (this.#notedHere.delete(job.id)) continue;
        if (job.windowEnd.getTime() < now.getTime()) continue;
        const start = job.windowStart.getTime();
        for await (const node of this.store.queuedNodesOfJob(job.id, now)) this.index.note(nodeKey(node), start);
      }
      this.#feedCursor = page.cursor;
      if (page.jobs.length === 0) return;
    }
  }

  /**
   * The node's next task, or undefined. Answers at once, without the store, when the due index
   * says the node has nothing due; otherwise claims through the store (batched with the other
   * claims of this turn of the event loop, or with those waiting for a batch in flight), and when
   * that finds nothing, refreshes the node's entry from the store.
   */
  async claim(node: NodeRef, now: Date): Promise<ClaimedTask | undefined> {
    const key = nodeKey(node);
    if (!this.index.mayHaveDue(key, now.getTime())) return undefined;
    const mark = this.index.mark();
    const claimed = await this.#claimBatched(node, now);
    if (claimed) return claimed;
    const earliest = await this.store.earliestQueuedWindow(node, now);
    this.index.settle(key, earliest?.getTime(), mark);
    return undefined;
  }

  /**
   * Holds a poll that found nothing for up to `waitMs`, claiming when a task may have become due.
   * The caller checked `held.hasRoom()`. `connection` emits 'close' when the client goes away.
   * `failure`: the poll's first claim failed with the store unavailable; the held poll then looks
   * again about every STORE_RECHECK_MS, as after any claim that fails so, until its wait ends.
   */
  async hold(node: NodeRef, waitMs: number, connection: NodeJS.EventEmitter, failure?: StoreUnavailableError): Promise<HoldOutcome> {
    const key = nodeKey(node);
    const deadline = Date.now() + waitMs;
    let lastFailure = failure;
    const ended = (): HoldOutcome => (lastFailure ? { kind: 'failed', error: lastFailure } : { kind: 'none' });
    for (;;) {
      const now = Date.now();
      if (now >= deadline) return ended();
      let wakeAt = deadline;
      if (lastFailure) {
        // Spread out, so that the polls the same failure met do not all come back at once.
        wakeAt = Math.min(deadline, now + STORE_RECHECK_MS * (0.5 + Math.random()));
      } else {
        // Due already (but nothing claimable): look again later. Due in the future: at its start.
        const earliest = this.index.earliestStart(key);
        if (earliest !== undefined) wakeAt = Math.min(deadline, earliest > now ? earliest : now + DUE_RECHECK_MS);
      }
      const reason = await this.held.wait(key, wakeAt - now, connection);
      if (reason === 'closed') return { kind: 'closed' };
      try {
        const claimed = await this.claim(node, new Date());
        lastFailure = undefined;
        if (claimed) return { kind: 'task', claimed };
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        lastFailure = error;
        this.options.onHeldClaimError?.(error);
      }
      if (reason === 'shutdown') return ended();
    }
  }

  #claimBatched(node: NodeRef, now: Date): Promise<ClaimedTask | undefined> {
    return new Promise((resolve, reject) => {
      this.#pendingClaims.push({ node, now, resolve, reject });
      this.#scheduleClaimFlush();
    });
  }

  /** A flush at the end of this turn, unless one is due already or too many are out. */
  #scheduleClaimFlush(): void {
    if (this.#claimFlushScheduled || this.#claimFlushesInFlight >= CLAIM_FLUSHES_IN_FLIGHT || this.#pendingClaims.length === 0) return;
    this.#claimFlushScheduled = true;
    setImmediate(() => {
      this.#claimFlushScheduled = false;
      this.#claimFlushesInFlight++;
      void this.#flushClaims().finally(() => {
        this.#claimFlushesInFlight--;
        // What waited meanwhile goes out now, all together.
        this.#scheduleClaimFlush();
      });
    });
  }

  async #flushClaims(): Promise<void> {
    const pending = this.#pendingClaims;
    this.#pendingClaims = [];
    for (let start = 0; start < pending.length; start += CLAIM_BATCH) {
      const batch = pending.slice(start, start + CLAIM_BATCH);
      try {
        // The latest of the polls' times: a window that opened for one of them is open for all.
        const now = new Date(Math.max(...batch.map((claim) => claim.now.getTime())));
        const answers = await this.store.claimNextTasks(
          batch.map((claim) => claim.node),
          now,
        );
        batch.forEach((claim, i) => {
          const answer = answers[i];
          if (isClaimFailure(answer)) claim.reject(answer.error);
          else claim.resolve(answer);
        });
      } catch (error) {
        for (const claim of batch) claim.reject(error);
      }
    }
  }
}
