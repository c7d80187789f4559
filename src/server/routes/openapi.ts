import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from '../openapi.js';

export interface OpenApiRoutesOptions {
  version: string;
}

/** Unauthenticated: it describes the API, it opens nothing. */
export async function openApiRoutes(app: FastifyInstance, options: OpenApiRoutesOptions): Promise<void> {
  const body = JSON.stringify(buildOpenApiDocument(options.version));
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
