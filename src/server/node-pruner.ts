// FOODTRUCK_NODE_PRUNE_AFTER: nodes that neither polled nor had a task created or changed for that
// long, and have no unfinished task, are forgotten as an administrator would forget them (see
// forgetNode in store.ts). A bounded sweep: each round walks one page of the node list from where
// the last round stopped, so a round costs at most PRUNE_PAGE nodes whatever the fleet's size,
// and the whole list is covered every (nodes / PRUNE_PAGE) rounds. Every server process sharing a
// database may prune: forgetting is decided per node in the store, so two rounds at once agree.

import { unfinishedTasks } from '../store/node-forgetting.js';
import type { Store } from '../store/store.js';
import type { NodeRef } from '../wire/job-request.js';

/** Nodes examined per round. */
export const PRUNE_PAGE = 250;
const MIN_ROUND_INTERVAL_MS = 1_000;
const MAX_ROUND_INTERVAL_MS = 60_000;

/** A tenth of the idle time, between 1 s and 1 min: a node is pruned soon after it qualifies. */
export function pruneRoundIntervalMs(pruneAfterMs: number): number {
  return Math.min(MAX_ROUND_INTERVAL_MS, Math.max(MIN_ROUND_INTERVAL_MS, Math.round(pruneAfterMs / 10)));
}

export interface NodePrunerOptions {
  store: Pick<Store, 'listNodes' | 'forgetNode'>;
  pruneAfterMs: number;
  /** Called before each round: this process's polls still in memory are written first. */
  beforeRound: () => Promise<void>;
  onPruned: (nodes: NodeRef[]) => void;
  onError: (error: unknown) => void;
}

export class NodePruner {
  #cursor: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> | undefined;
  #stopped = false;

  constructor(private readonly options: NodePrunerOptions) {}

  start(): void {
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
  }

  /** One round at `now`: answers the nodes it forgot. */
  async pruneRound(now: Date): Promise<NodeRef[]> {
    const { store, pruneAfterMs } = this.options;
    await this.options.beforeRound();
    const idleSince = new Date(now.getTime() - pruneAfterMs);
    const page = await store.listNodes({ limit: PRUNE_PAGE, ...(this.#cursor ? { cursor: this.#cursor } : {}) }, now);
    // The cursor names the last node seen, which need not exist any more: forgetting is harmless to it.
    this.#cursor = page.nextCursor;
    const pruned: NodeRef[] = [];
    for (const overview of page.items) {
      if (unfinishedTasks(overview.tasks) > 0) continue;
      if (overview.lastCheckIn && overview.lastCheckIn.getTime() >= idleSince.getTime()) continue;
      const outcome = await store.forgetNode(overview.node, now, idleSince);
      if (outcome.kind === 'forgotten') pruned.push(overview.node);
    }
    if (pruned.length > 0) this.options.onPruned(pruned);
    return pruned;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = this.pruneRound(new Date())
        .catch((error: unknown) => this.options.onError(error))
        .finally(() => this.#schedule());
    }, pruneRoundIntervalMs(this.options.pruneAfterMs));
    this.#timer.unref();
  }
}
