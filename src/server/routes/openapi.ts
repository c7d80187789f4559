import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument, type DocumentLimits } from '../openapi.js';

export interface OpenApiRoutesOptions {
  version: string;
  limits: DocumentLimits;
}

/** Unauthenticated: it describes the API, it opens nothing. */
export async function openApiRoutes(app: FastifyInstance, options: OpenApiRoutesOptions): Promise<void> {
  const body = JSON.stringify(buildOpenApiDocument(options.version, options.limits));
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
