import type { FastifyInstance } from 'fastify';
import { StoreUnavailableError, type ClaimedTask, type Store } from '../../store/store.js';
import { formatGoDuration, parseGoDuration } from '../../wire/go-duration.js';
import type { NodeRef } from '../../wire/job-request.js';
import { STATUS_MESSAGE, parseStatusReport } from '../../wire/status-report.js';
import { HttpError, badRequest, conflict, notFound } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import { applyNodeAuth, type NodeAuth } from '../node-auth.js';
import { MAX_POLL_WAIT_MS, type TaskDelivery } from '../task-delivery.js';
import { nodeOf, type NodeParams } from '../node-params.js';
import { claimedTaskJson } from '../wire-json.js';

export interface NodeTaskRoutesOptions {
  store: Store;
  metrics: ServerMetrics;
  /** The one node authentication (node-auth.ts); every node route goes through it. */
  nodeAuth: NodeAuth;
  delivery: TaskDelivery;
  /** Told of every poll, e.g. to remember when each node last checked in. */
  onPoll?: (node: NodeRef, nowMs: number) => void;
}

/** A status body carries at most 64 KiB of output; this leaves room for JSON escaping. */
const STATUS_BODY_LIMIT_BYTES = 1024 * 1024;

/** The fleet's steady-state answer, serialized once. */
const NO_TASKS_AVAILABLE = JSON.stringify({ message: 'no tasks available' });
const JSON_TYPE = 'application/json; charset=utf-8';

const STOP_ANSWER = { cancel: true } as const;

const NODE_ROUTE = '/organizations/:org/foodtruck/nodes/:name/tasks';
/** The poll's route pattern, as metrics name it. */
export const TASKS_NEXT_ROUTE = `${NODE_ROUTE}/next`;

/** On every `tasks/next` answer of a server that holds polls: the longest `wait` it accepts. */
export const LONG_POLL_HEADER = 'x-foodtruck-long-poll';
const MAX_WAIT_TEXT = formatGoDuration(MAX_POLL_WAIT_MS);
const WAIT_MESSAGE = `wait must be a duration from 0s to ${MAX_WAIT_TEXT}, such as "30s"`;
/** When the held-poll limit is reached: come back after this many seconds. */
const HELD_POLLS_RETRY_AFTER_SECONDS = 5;

/**
 * The empty poll's answer as this route writes it, body and headers in the order the route sets
 * them, for the fast path in front of Fastify (empty-poll-fast-path.ts), which must answer the same.
 */
export function emptyPollAnswer(delivery: TaskDelivery): { body: string; headers: Record<string, string> } {
  return {
    body: NO_TASKS_AVAILABLE,
    headers: {
      ...(delivery.longPollEnabled ? { [LONG_POLL_HEADER]: MAX_WAIT_TEXT } : {}),
      'content-type': JSON_TYPE,
      'content-length': String(Buffer.byteLength(NO_TASKS_AVAILABLE)),
    },
  };
}

export async function nodeTaskRoutes(app: FastifyInstance, options: NodeTaskRoutesOptions): Promise<void> {
  const { store, metrics } = options;
  applyNodeAuth(app, options.nodeAuth);

  const { delivery } = options;
  const tooManyHeld = `too many polls held on this server (${delivery.held.limit}): poll again in ${HELD_POLLS_RETRY_AFTER_SECONDS} s`;

  app.post<{ Params: NodeParams; Querystring: { wait?: unknown } }>(TASKS_NEXT_ROUTE, async (request, reply) => {
    const node = nodeOf(request);
    // The original server ignored query parameters: with long polls off, so does this one.
    const waitMs = delivery.longPollEnabled ? readWait(request.query.wait) : 0;
    const now = new Date();
    options.onPoll?.(node, now.getTime());
    if (delivery.longPollEnabled) reply.header(LONG_POLL_HEADER, MAX_WAIT_TEXT);
    let claimed: ClaimedTask | undefined;
    let failure: StoreUnavailableError | undefined;
    try {
      claimed = await delivery.claim(node, now);
    } catch (error) {
      // A poll that may wait looks again while it waits (TaskDelivery.hold) rather than
      // answering 503 for what is often a passing refusal; a plain poll answers it at once.
      if (waitMs === 0 || !(error instanceof StoreUnavailableError)) throw error;
      failure = error;
      request.log.warn({ err: error }, 'could not claim for a long poll; looking again while it waits');
    }
    if (!claimed && waitMs > 0) {
      if (!delivery.held.hasRoom() && !delivery.held.closing) {
        if (failure) throw failure;
        reply.header('retry-after', String(HELD_POLLS_RETRY_AFTER_SECONDS));
        throw new HttpError(429, tooManyHeld);
      }
      const outcome = await delivery.hold(node, waitMs, reply.raw, failure);
      if (outcome.kind === 'closed') {
        // Nobody to answer: the client went away while it waited.
        request.routineAnswer = true;
        return reply.code(404).type(JSON_TYPE).send(NO_TASKS_AVAILABLE);
      }
      if (outcome.kind === 'failed') throw outcome.error;
      if (outcome.kind === 'task') claimed = outcome.claimed;
    }
    if (delivery.held.closing) reply.header('connection', 'close');
    if (!claimed) {
      metrics.countEmptyPoll();
      request.routineAnswer = true;
      return reply.code(404).type(JSON_TYPE).send(NO_TASKS_AVAILABLE);
    }
    metrics.tasksHandedOut.inc();
    request.log.info({ job_id: claimed.jobId, node: `${node.org}/${node.name}` }, 'task handed out');
    return claimedTaskJson(claimed);
  });

  app.post<{ Params: NodeParams }>(
    `${NODE_ROUTE}/status`,
    { bodyLimit: STATUS_BODY_LIMIT_BYTES },
    async (request) => {
      const node = nodeOf(request);
      const parsed = parseStatusReport(request.body);
      if (!parsed.ok) throw badRequest(parsed.message);
      const outcome = await store.reportStatus(node, parsed.value, new Date());
      switch (outcome.kind) {
        case 'not_targeted':
          throw notFound(`job ${parsed.value.jobId} has no task for node ${node.org}/${node.name}`);
        case 'final':
          throw conflict(`task is already ${outcome.status} and cannot change`);
        case 'cancel_not_requested':
          throw badRequest(STATUS_MESSAGE);
        case 'updated':
          metrics.statusesReported.inc({ status: parsed.value.status });
          // An administrator asked to stop this task: the node learns it here, at its sign of life.
          return outcome.stopRequested ? STOP_ANSWER : {};
      }
    },
  );
}

function readWait(wait: unknown): number {
  if (wait === undefined) return 0;
  const ms = typeof wait === 'string' ? parseGoDuration(wait) : undefined;
  if (ms === undefined || !(ms >= 0 && ms <= MAX_POLL_WAIT_MS)) throw badRequest(WAIT_MESSAGE);
  return ms;
}

