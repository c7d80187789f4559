import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Store } from '../store/store.js';
import { INVALID_REQUEST_JSON } from '../wire/job-request.js';
import type { ApiKeys } from './api-keys.js';
import { requireBearerKey } from './auth.js';
import { CheckInRecorder } from './check-in-recorder.js';
import { HttpError, answerFor } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { adminJobRoutes } from './routes/admin-jobs.js';
import { adminNodeRoutes } from './routes/admin-nodes.js';
import { healthRoutes } from './routes/health.js';
import { nodeTaskRoutes } from './routes/node-tasks.js';
import { openApiRoutes } from './routes/openapi.js';
import { webPageRoutes } from './routes/web-page.js';

export interface AppOptions {
  store: Store;
  keys: ApiKeys;
  maxJobNodes: number;
  jobBodyLimitBytes: number;
  logger: FastifyServerOptions['logger'];
  /** How often polls gathered in memory are written as check-ins; 5 s when absent. */
  checkInFlushIntervalMs?: number;
}

/** A route the server answers, as Fastify registered it. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

/** Bodies of routes that take none, or of anything but JSON. */
const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json\s*(;.*)?$/i;

export async function buildApp(
  options: AppOptions,
): Promise<{ app: FastifyInstance; metrics: ServerMetrics; routes: RegisteredRoute[] }> {
  const app = Fastify({
    logger: options.logger,
    // One line per request, written below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    // Polls are small and frequent; give clients time to reuse connections.
    keepAliveTimeout: 65_000,
    requestTimeout: 120_000,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const metrics = new ServerMetrics();
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  const checkIns = new CheckInRecorder(
    options.store,
    (error, nodes) => app.log.warn({ err: error, nodes }, 'could not record node check-ins; will retry'),
    options.checkInFlushIntervalMs,
  );
  checkIns.start();
  // Before the store closes (main.ts closes it after the app), the last check-ins are written.
  app.addHook('onClose', async () => checkIns.stop());

  // An empty body is the seed's "no body" (tasks/next) or reads as `{}` (the contract's "an empty
  // body lands" on its presence checks), so it is not a JSON error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError(400, INVALID_REQUEST_JSON), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).length === 0) return done(null, undefined);
    const type = request.headers['content-type'] ?? 'none';
    done(new HttpError(415, `unsupported content type "${type}": send application/json`), undefined);
  });

  app.setErrorHandler((error, request, reply) => {
    const answer = answerFor(error, request.routeOptions.bodyLimit);
    if (answer.serverFault) request.log.error({ err: error }, 'request failed');
    return reply.code(answer.statusCode).send({ message: answer.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ message: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc({ method: request.method, route, status_code: reply.statusCode });
    metrics.requestDuration.observe({ method: request.method, route }, seconds);
    request.log.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
  });

  await app.register(healthRoutes, { store: options.store, metrics });
  await app.register(adminJobRoutes, {
    store: options.store,
    metrics,
    requireAdmin: requireBearerKey(options.keys.admin),
    maxJobNodes: options.maxJobNodes,
    jobBodyLimitBytes: options.jobBodyLimitBytes,
  });
  await app.register(adminNodeRoutes, {
    store: options.store,
    checkIns,
    requireAdmin: requireBearerKey(options.keys.admin),
  });
  await app.register(nodeTaskRoutes, {
    store: options.store,
    metrics,
    requireNode: requireBearerKey(options.keys.nodes),
    onPoll: (node, now) => checkIns.note(node, now),
  });
  await app.register(openApiRoutes, { version: packageVersion() });
  await app.register(webPageRoutes);
  return { app, metrics, routes };
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
