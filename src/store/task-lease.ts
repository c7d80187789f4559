// How long a handed-out task may go without a sign of life from its node: the lease. The deadline
// is written with the task when it is handed out and again at each report; whether it has passed
// is decided when reading (task-expiry.ts), so no sweeper is needed.
//
// - Handed out, not yet reported `running`: the delivery grace (FOODTRUCK_DELIVERY_GRACE, default
//   DELIVERY_GRACE_MS). The seed's client and ours report `running` within moments of receiving a
//   task; two minutes covers a slow network and retries.
// - `running` with a declared `heartbeat_interval` (our client re-reports `running` at that
//   interval while the provider runs): max(MIN_HEARTBEAT_LEASE_MS, HEARTBEAT_LEASE_FACTOR x
//   interval) after each report, so a dead node's task times out about two minutes after its last
//   report, and a live node's provider may run for as long as it takes.
// - `running` without it (the seed's Go client, which reports once): the task's `timeout`, or the
//   server's default when the task has none, plus the timeout grace (FOODTRUCK_TIMEOUT_GRACE,
//   default TIMEOUT_GRACE_MS) for the provider's stop and the final report's delivery.

import { parseGoDuration } from '../wire/go-duration.js';
import type { NodeReportStatus } from '../wire/task-status.js';

export const DELIVERY_GRACE_MS = 2 * 60_000;
export const MIN_HEARTBEAT_LEASE_MS = 2 * 60_000;
export const HEARTBEAT_LEASE_FACTOR = 4;
export const TIMEOUT_GRACE_MS = 5 * 60_000;
/** The default of FOODTRUCK_DEFAULT_TASK_TIMEOUT. */
export const DEFAULT_TASK_TIMEOUT_MS = 2 * 3_600_000;

/** What the server passes down to the store about leases. */
export interface LeasePolicy {
  /** How long a task without `timeout` may run on a node that sends no heartbeats. */
  defaultTaskTimeoutMs: number;
  /** The floor of a heartbeat lease (FOODTRUCK_HEARTBEAT_LEASE_MIN); MIN_HEARTBEAT_LEASE_MS when absent. */
  minHeartbeatLeaseMs?: number;
  /** How long a handed-out task may wait for its `running` report (FOODTRUCK_DELIVERY_GRACE); DELIVERY_GRACE_MS when absent. */
  deliveryGraceMs?: number;
  /** What a node without heartbeats gets beyond the task's timeout (FOODTRUCK_TIMEOUT_GRACE); TIMEOUT_GRACE_MS when absent. */
  timeoutGraceMs?: number;
}

export const DEFAULT_LEASE_POLICY: LeasePolicy = { defaultTaskTimeoutMs: DEFAULT_TASK_TIMEOUT_MS };

export function deliveryGraceOf(policy: LeasePolicy): number {
  return policy.deliveryGraceMs ?? DELIVERY_GRACE_MS;
}

function timeoutGraceOf(policy: LeasePolicy): number {
  return policy.timeoutGraceMs ?? TIMEOUT_GRACE_MS;
}

/** The lease of a task handed out at `now`. */
export function leaseAtHandOut(now: Date, policy: LeasePolicy): Date {
  return new Date(now.getTime() + deliveryGraceOf(policy));
}

export interface LeaseReport {
  status: NodeReportStatus;
  /** The node's declared heartbeat interval, in milliseconds. */
  heartbeatIntervalMs?: number;
}

/**
 * The lease after a node's report at `now`, for a task whose definition has `taskTimeout` (a Go
 * duration) or none; null for a final report, after which no lease applies.
 */
export function leaseAfterReport(report: LeaseReport, taskTimeout: string | undefined, now: Date, policy: LeasePolicy): Date | null {
  const at = now.getTime();
  switch (report.status) {
    case 'pending':
      return new Date(at + deliveryGraceOf(policy));
    case 'running': {
      if (report.heartbeatIntervalMs !== undefined) {
        const floor = policy.minHeartbeatLeaseMs ?? MIN_HEARTBEAT_LEASE_MS;
        return new Date(at + Math.max(floor, HEARTBEAT_LEASE_FACTOR * report.heartbeatIntervalMs));
      }
      const timeoutMs = (taskTimeout === undefined ? undefined : parseGoDuration(taskTimeout)) ?? policy.defaultTaskTimeoutMs;
      return new Date(at + timeoutMs + timeoutGraceOf(policy));
    }
    default:
      return null;
  }
}

/** The lease given at start-up to a handed-out task stored before leases existed. */
export function leaseForUnleasedTask(status: 'pending' | 'running', now: Date, policy: LeasePolicy): Date {
  return status === 'pending'
    ? new Date(now.getTime() + deliveryGraceOf(policy))
    : new Date(now.getTime() + policy.defaultTaskTimeoutMs + timeoutGraceOf(policy));
}
