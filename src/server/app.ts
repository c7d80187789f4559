import { readFileSync } from 'node:fs';
import http from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onResponseHookHandler,
} from 'fastify';
import type { Store } from '../store/store.js';
import type { NodeRef } from '../wire/job-request.js';
import { INVALID_REQUEST_JSON } from '../wire/job-request.js';
import type { ApiKeys } from './api-keys.js';
import { AdminKeys } from './admin-keys.js';
import { registerAuditLog } from './audit-log.js';
import { createNodeAuth, requireEnrollmentSecret, type NodeAuthMode } from './node-auth.js';
import { NodeKeyCache } from './node-key-cache.js';
import { adminNodeKeyRoutes } from './routes/admin-node-keys.js';
import { nodeEnrollmentRoutes } from './routes/node-enrollment.js';
import { CheckInRecorder, DEFAULT_CHECK_IN_RESOLUTION_MS } from './check-in-recorder.js';
import { NodePruner } from './node-pruner.js';
import { HttpError, RETRY_AFTER_SECONDS, answerFor } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { adminJobRoutes } from './routes/admin-jobs.js';
import { adminNodeRoutes } from './routes/admin-nodes.js';
import { healthRoutes } from './routes/health.js';
import { nodeFactRoutes } from './routes/node-facts.js';
import { TASKS_NEXT_ROUTE, emptyPollAnswer, nodeTaskRoutes } from './routes/node-tasks.js';
import { createEmptyPollFastPath, type EmptyPollFastPath } from './empty-poll-fast-path.js';
import { openApiRoutes } from './routes/openapi.js';
import { methodsServedAt } from './method-not-allowed.js';
import { rejectRepeatedQueryParameters } from './query-parameters.js';
import { webPageRoutes } from './routes/web-page.js';
import { TaskDelivery } from './task-delivery.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route whose answer is routine enough to log at debug level only. */
    routineAnswer: boolean;
  }
}

export interface AppOptions {
  store: Store;
  keys: ApiKeys;
  maxJobNodes: number;
  jobBodyLimitBytes: number;
  /** The server's pino logger, or false for none (tests that only inspect routes). */
  logger: FastifyBaseLogger | false;
  /** ADMIN_API_KEY and the named keys of FOODTRUCK_ADMIN_KEYS_FILE; ADMIN_API_KEY alone when absent. */
  adminKeys?: AdminKeys;
  /** FOODTRUCK_NODE_AUTH; `shared-key` (the seed's) when absent. */
  nodeAuth?: NodeAuthMode;
  /** FOODTRUCK_ENROLLMENT_SECRET; nobody can enroll when absent. */
  enrollmentSecret?: string;
  /** How often polls gathered in memory are written as check-ins; 5 s when absent. */
  checkInFlushIntervalMs?: number;
  /** FOODTRUCK_CHECK_IN_RESOLUTION: how stale a polling node's stored check-in may be; 1 min when absent. */
  checkInResolutionMs?: number;
  /** Long polls held at once, at most (`FOODTRUCK_MAX_HELD_POLLS`); 0 turns long polls off. */
  maxHeldPolls?: number;
  /** How often the jobs other processes stored are read; 1 s when absent. */
  jobFeedIntervalMs?: number;
  /** FOODTRUCK_NODE_PRUNE_AFTER: forget nodes idle this long; no pruning when absent or 0. */
  nodePruneAfterMs?: number;
}

/** `FOODTRUCK_MAX_HELD_POLLS` when not set. */
export const DEFAULT_MAX_HELD_POLLS = 100_000;

/** A route the server answers, as Fastify registered it. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

/** pino's levels, to skip building a line it would not write. */
const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const REQUEST_TIMEOUT_MS = 120_000;
/** Fastify's default, stated: the empty-poll fast path leaves longer path parameters to the router. */
const MAX_PARAM_LENGTH = 100;

/** Bodies of routes that take none, or of anything but JSON. */
const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json\s*(;.*)?$/i;

export async function buildApp(
  options: AppOptions,
): Promise<{ app: FastifyInstance; metrics: ServerMetrics; routes: RegisteredRoute[]; delivery: TaskDelivery }> {
  // Set once the routes exist (below): until then every request goes to Fastify.
  const emptyPolls: { fastPath?: EmptyPollFastPath | undefined } = {};
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // One line per request, written below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Fastify's own server, as it would make it, with one addition: an empty poll of a node with
    // nothing due is answered before Fastify's life cycle (empty-poll-fast-path.ts), everything
    // else goes to Fastify.
    serverFactory: (handler) => {
      const server = http.createServer((request, response) => {
        if (emptyPolls.fastPath?.(request, response) !== true) handler(request, response);
      });
      // Polls are small and frequent; give clients time to reuse connections.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = REQUEST_TIMEOUT_MS;
      return server;
    },
  });
  const metrics = new ServerMetrics();
  registerAuditLog(app);
  const requireAdmin = (options.adminKeys ?? new AdminKeys(options.keys.admin, undefined)).requireAdmin;
  const delivery = await TaskDelivery.open(options.store, {
    maxHeldPolls: options.maxHeldPolls ?? DEFAULT_MAX_HELD_POLLS,
    ...(options.jobFeedIntervalMs === undefined ? {} : { jobFeedIntervalMs: options.jobFeedIntervalMs }),
    onHeldPolls: (count) => metrics.heldPolls.set(count),
    onFeedError: (error) => app.log.warn({ err: error }, 'could not read the jobs stored by other server processes; will retry'),
    onHeldClaimError: (error) => app.log.warn({ err: error }, 'a held poll could not claim; it looks again while it waits'),
  });
  metrics.watchDueNodes(() => delivery.index.size);
  delivery.start();
  // Held polls are answered (404, or a task that just arrived) before the server waits for the
  // requests in flight, of which they are part: a stopping server never keeps nodes waiting.
  app.addHook('preClose', async () => delivery.stop());
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
    // Each route counts its own answers, its pattern known here once: looking it up per request
    // (`request.routeOptions`) builds an object of a dozen fields on every poll.
    const pattern = route.url;
    const answersByMethod = new Map([route.method].flat().map((method) => [method, metrics.routeAnswers(method, pattern)]));
    const countAnswer: onResponseHookHandler = (request, reply, done) => {
      const answers = answersByMethod.get(request.method) ?? metrics.routeAnswers(request.method, pattern);
      answers.record(reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...[route.onResponse ?? []].flat(), countAnswer];
  });
  const checkIns = new CheckInRecorder(
    options.store,
    (error, nodes) => app.log.warn({ err: error, nodes }, 'could not record node check-ins; will retry'),
    options.checkInFlushIntervalMs,
    checkInResolution(options),
  );
  checkIns.start();
  // Before the store closes (main.ts closes it after the app), the last check-ins are written.
  app.addHook('onClose', async () => checkIns.stop());
  if (options.nodePruneAfterMs) {
    const pruner = new NodePruner({
      store: options.store,
      pruneAfterMs: options.nodePruneAfterMs,
      beforeRound: () => checkIns.flush(),
      onPruned: (nodes) =>
        app.log.info({ pruned: nodes.length, nodes: nodes.slice(0, 20).map((n) => `${n.org}/${n.name}`) }, 'nodes pruned'),
      onError: (error) => app.log.warn({ err: error }, 'could not prune nodes; will try again'),
    });
    pruner.start();
    app.addHook('onClose', async () => pruner.stop());
  }

  // An empty body is the seed's "no body" (tasks/next) or reads as `{}` (the contract's "an empty
  // body lands" on its presence checks), so it is not a JSON error. Every body is read as JSON
  // whatever its Content-Type says (`curl -d` sends application/x-www-form-urlencoded, scripts
  // send text/plain), so such a request gets the contract's 400 messages, never a 415.
  app.removeAllContentTypeParsers();
  const parseJson = (_request: unknown, body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError(400, INVALID_REQUEST_JSON), undefined);
    }
  };
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'string' }, parseJson);
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);

  app.setErrorHandler((error, request, reply) => {
    // A request no route matches can still fail before the not-found handler (a body method
    // without a Content-Type): it answers what the not-found handler would.
    if (request.is404) return answerUnrouted(request, reply);
    const answer = answerFor(error, request.routeOptions.bodyLimit);
    if (answer.serverFault) request.log.error({ err: error }, 'request failed');
    if (answer.statusCode === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return reply.code(answer.statusCode).send({ message: answer.message });
  });
  const servedAt = methodsServedAt(routes);
  const answerUnrouted = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] as string;
    const allowed = servedAt(path);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ message: `method ${request.method} is not allowed on ${path}: use ${allowed.join(', ')}` });
    }
    return reply.code(404).send({ message: `no route for ${request.method} ${path}` });
  };
  app.setNotFoundHandler(answerUnrouted);

  // A routine answer (an empty poll: the fleet's steady state) is logged at debug, not info:
  // 100,000 nodes polling every 5 s would write 20,000 lines a second that say nothing. The
  // metrics still count every one of them.
  app.decorateRequest('routineAnswer', false);
  // After the routes' key checks (onRequest), before any handler reads its query.
  app.addHook('preValidation', rejectRepeatedQueryParameters);
  // Callback-style: it runs once per request, polls included, and has nothing to await.
  app.addHook('onResponse', (request, reply, done) => {
    const elapsedMs = reply.elapsedTime;
    // Routes count their own answers (see onRoute above); this counts the rest.
    if (request.is404) metrics.observeRequest(request.method, 'unmatched', reply.statusCode, elapsedMs / 1000);
    const level = request.routineAnswer ? 'debug' : 'info';
    // Nothing is built for a line the logger would drop (the empty polls, at the default level).
    if ((LEVEL_VALUES[level] as number) >= (LEVEL_VALUES[request.log.level] ?? 0)) {
      request.log[level](
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(elapsedMs * 100) / 100 },
        'request',
      );
    }
    done();
  });

  await app.register(healthRoutes, { store: options.store, metrics });
  await app.register(adminJobRoutes, {
    store: options.store,
    metrics,
    requireAdmin,
    maxJobNodes: options.maxJobNodes,
    jobBodyLimitBytes: options.jobBodyLimitBytes,
    flushCheckIns: () => checkIns.flush(),
    delivery,
  });
  await app.register(adminNodeRoutes, {
    store: options.store,
    checkIns,
    requireAdmin,
  });
  const nodeKeys = new NodeKeyCache(options.store);
  await app.register(adminNodeKeyRoutes, {
    store: options.store,
    nodeKeys,
    requireAdmin,
  });
  // Every node route goes through this one authentication.
  const nodeAuth = createNodeAuth({ mode: options.nodeAuth ?? 'shared-key', sharedKey: options.keys.nodes, keys: nodeKeys });
  const onPoll = (node: NodeRef, nowMs: number, key?: string) => checkIns.note(node, nowMs, key);
  await app.register(nodeTaskRoutes, { store: options.store, metrics, nodeAuth, delivery, onPoll });
  const logger = app.log;
  emptyPolls.fastPath = createEmptyPollFastPath({
    auth: nodeAuth,
    delivery,
    metrics,
    routePattern: TASKS_NEXT_ROUTE,
    ...emptyPollAnswer(delivery),
    maxParamLength: MAX_PARAM_LENGTH,
    onPoll,
    // The route logs an empty poll at debug (see onResponse above).
    logsEmptyPolls: () => (LEVEL_VALUES.debug as number) >= (LEVEL_VALUES[logger.level] ?? 0),
  });
  await app.register(nodeEnrollmentRoutes, {
    store: options.store,
    nodeKeys,
    requireEnrollmentSecret: requireEnrollmentSecret(options.enrollmentSecret),
  });
  await app.register(nodeFactRoutes, { store: options.store, nodeAuth });
  await app.register(openApiRoutes, { version: packageVersion(), limits: { maxJobNodes: options.maxJobNodes } });
  await app.register(webPageRoutes);
  return { app, metrics, routes, delivery };
}

function packageVersion(): string {
  try {
    // dist/src/server/app.js -> the package root.
    const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The check-in resolution, at most a quarter of the prune time: a node that keeps polling is then
 * written well before it could look idle for that long to any server process.
 */
function checkInResolution(options: Pick<AppOptions, 'checkInResolutionMs' | 'nodePruneAfterMs'>): number {
  const resolution = options.checkInResolutionMs ?? DEFAULT_CHECK_IN_RESOLUTION_MS;
  return options.nodePruneAfterMs ? Math.min(resolution, options.nodePruneAfterMs / 4) : resolution;
}
