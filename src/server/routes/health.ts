import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { RETRY_AFTER_SECONDS } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';

export interface HealthRoutesOptions {
  store: Store;
  metrics: ServerMetrics;
}

/** Unauthenticated, for load balancers and Prometheus: neither tells anything about jobs or keys. */
export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', async (request, reply) => {
    try {
      await options.store.checkHealth();
      return { status: 'ok' };
    } catch (error) {
      request.log.warn({ err: error }, 'health check failed');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'unavailable', message: 'storage is unavailable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(text);
  });
}
