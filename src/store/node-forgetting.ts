// Forgetting a node, and pruning the idle ones: the rule both drivers apply, from what they read
// about the node. A forgotten node leaves the node list, but its finished tasks stay in their jobs
// (a job's statuses still name it); it comes back when it polls again or a new job targets it.

import { ACTIVE_STATUSES, TASK_STATUSES, type StatusCounts } from '../wire/task-status.js';

/** What a driver reads about a node before forgetting it. */
export interface ForgettableNode {
  /** Its tasks not yet forgotten, by status at `now`. */
  tasks: StatusCounts;
  /** Its stored check-in, if any. */
  lastCheckIn?: Date;
  /** The latest creation or change (hand-out, report, cancel) of its tasks not yet forgotten. */
  lastTaskChange?: Date;
}

export type ForgetDecision =
  /** Neither a task not yet forgotten nor a check-in: there is nothing to forget. */
  | { kind: 'unknown' }
  /** Some of its tasks are queued, pending or running at `now`. */
  | { kind: 'busy'; unfinished: number }
  /** Pruning only: it polled, or one of its tasks was created or changed, at or after `idleSince`. */
  | { kind: 'active' }
  | { kind: 'forget' };

/** Tasks queued, pending or running: those that still may run. */
export function unfinishedTasks(counts: StatusCounts): number {
  return TASK_STATUSES.filter((status) => ACTIVE_STATUSES.has(status)).reduce((sum, status) => sum + counts[status], 0);
}

function hasTasks(counts: StatusCounts): boolean {
  return TASK_STATUSES.some((status) => counts[status] > 0);
}

/**
 * Whether a node may be forgotten now. With `idleSince` (pruning), only when it has been idle
 * since then: no check-in and no task created or changed at or after it.
 */
export function decideForget(node: ForgettableNode, idleSince?: Date): ForgetDecision {
  if (!hasTasks(node.tasks) && node.lastCheckIn === undefined) return { kind: 'unknown' };
  const unfinished = unfinishedTasks(node.tasks);
  if (unfinished > 0) return { kind: 'busy', unfinished };
  if (idleSince !== undefined) {
    const since = idleSince.getTime();
    if ((node.lastCheckIn?.getTime() ?? -Infinity) >= since || (node.lastTaskChange?.getTime() ?? -Infinity) >= since) {
      return { kind: 'active' };
    }
  }
  return { kind: 'forget' };
}
