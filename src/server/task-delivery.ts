// How tasks reach nodes: the empty-poll shortcut (the due index), claims batched per turn of the
// event loop, long polls held in memory, and the job feed that tells this process of jobs other
// processes created. The route `tasks/next` asks this object; the store stays the only judge of
// what is handed out.

import type { ClaimedTask, Store } from '../store/store.js';
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
/** Nodes per store call when many claims are waiting. */
const CLAIM_BATCH = 1_000;

export interface TaskDeliveryOptions {
  /** Polls held at once, at most; 0 turns long polls off (`wait` is then ignored). */
  maxHeldPolls: number;
  jobFeedIntervalMs?: number;
  /** Told the number of held polls whenever it changes. */
  onHeldPolls?: (count: number) => void;
  /** Told when reading the job feed failed (it is tried again at the next interval). */
  onFeedError?: (error: unknown) => void;
}

/** What a held poll ended with. */
export type HoldOutcome = { kind: 'task'; claimed: ClaimedTask } | { kind: 'none' } | { kind: 'closed' };

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
   * claims of this turn of the event loop), and when that finds nothing, refreshes the node's entry
   * from the store.
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
   */
  async hold(node: NodeRef, waitMs: number, connection: NodeJS.EventEmitter): Promise<HoldOutcome> {
    const key = nodeKey(node);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      if (now >= deadline) return { kind: 'none' };
      const earliest = this.index.earliestStart(key);
      // Due already (but nothing claimable): look again later. Due in the future: at its start.
      let wakeAt = deadline;
      if (earliest !== undefined) wakeAt = Math.min(deadline, earliest > now ? earliest : now + DUE_RECHECK_MS);
      const reason = await this.held.wait(key, wakeAt - now, connection);
      if (reason === 'closed') return { kind: 'closed' };
      const claimed = await this.claim(node, new Date());
      if (claimed) return { kind: 'task', claimed };
      if (reason === 'shutdown') return { kind: 'none' };
    }
  }

  #claimBatched(node: NodeRef, now: Date): Promise<ClaimedTask | undefined> {
    return new Promise((resolve, reject) => {
      this.#pendingClaims.push({ node, now, resolve, reject });
      if (!this.#claimFlushScheduled) {
        this.#claimFlushScheduled = true;
        setImmediate(() => void this.#flushClaims());
      }
    });
  }

  async #flushClaims(): Promise<void> {
    this.#claimFlushScheduled = false;
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
        batch.forEach((claim, i) => claim.resolve(answers[i]));
      } catch (error) {
        for (const claim of batch) claim.reject(error);
      }
    }
  }
}
