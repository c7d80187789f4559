// A path the server serves, asked with a method it does not serve there, answers 405 with an
// `Allow` header (RFC 9110), not 404: the path exists. Worked out from the registered routes.

import type { RegisteredRoute } from './app.js';

/** Answers the methods served at a request path; empty when no route has that path. */
export function methodsServedAt(routes: readonly RegisteredRoute[]): (path: string) => string[] {
  let patterns: Array<{ pattern: RegExp; method: string }> | undefined;
  return (path) => {
    // Built on first use, when every route is registered.
    patterns ??= routes.map((route) => ({ pattern: routePattern(route.url), method: route.method }));
    const methods = new Set(patterns.filter(({ pattern }) => pattern.test(path)).map(({ method }) => method));
    return [...methods].sort();
  };
}

/** `/admin/jobs/:job_id` as a regular expression over a request path; a trailing slash is ignored. */
function routePattern(url: string): RegExp {
  const parts = url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/').replace(/\/$/, '')}/?$`);
}
