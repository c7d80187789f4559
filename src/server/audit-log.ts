// One log line for every admin write (any admin request but GET/HEAD), whatever its route: who
// (the admin key's name), what (method and route), on which job or node, and how it ended.

import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route for the audit line: what it acted on beyond its path (e.g. a new job's id). */
    auditDetail: Record<string, unknown> | undefined;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** On the root instance: decorates requests and logs each admin write when it is answered. */
export function registerAuditLog(app: FastifyInstance): void {
  app.decorateRequest('adminName', undefined);
  app.decorateRequest('auditDetail', undefined);
  app.addHook('onResponse', (request, reply, done) => {
    if (request.adminName !== undefined && !READS.has(request.method)) {
      const params = (request.params ?? {}) as Record<string, string | undefined>;
      request.log.info(
        {
          audit: {
            admin: request.adminName,
            action: `${request.method} ${request.routeOptions.url ?? request.url}`,
            ...(params.job_id !== undefined ? { job_id: params.job_id } : {}),
            ...(params.org !== undefined && params.name !== undefined ? { node: `${params.org}/${params.name}` } : {}),
            ...request.auditDetail,
            status: reply.statusCode,
          },
        },
        'admin write',
      );
    }
    done();
  });
}
