// Query parameters are single values on every route: a repeated one (`?cursor=a&cursor=b`) is
// ambiguous, and the routes read each parameter as one string. Refused once, for every route,
// before any handler sees the query. A route that reads a parameter as a list (the selector terms
// of `GET /admin/nodes`: `?tag=web&tag=eu`) names it in its config's `repeatableQueryParameters`.

import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { badRequest } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Query parameters this route reads as lists: they may be repeated. */
    repeatableQueryParameters?: readonly string[];
  }
}

/** A preValidation hook: 400 naming the first parameter given more than once. */
export function rejectRepeatedQueryParameters(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query === 'object') {
    for (const [name, value] of Object.entries(query)) {
      // The route's config only for a repeated parameter: `routeOptions` builds an object per read.
      if (Array.isArray(value) && !request.routeOptions.config?.repeatableQueryParameters?.includes(name)) {
        return done(badRequest(`query parameter "${name}" is given more than once: give it once`));
      }
    }
  }
  done();
}
