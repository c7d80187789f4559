import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

// The operators' page: three static files, plain HTML, CSS and JavaScript, read once at start-up.
// They are copied into dist/ by the build; from a source checkout they are read where they are.
const WEB_DIRECTORIES = [new URL('../../web/', import.meta.url), new URL('../../../../src/web/', import.meta.url)];

const FILES = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { route: '/style.css', file: 'style.css', type: 'text/css; charset=utf-8' },
] as const;

/**
 * Only the page's own script and style may run, it may only talk to this server, and nothing may
 * frame it: whatever a node name or a provider's output holds, it cannot become code.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export async function webPageRoutes(app: FastifyInstance): Promise<void> {
  const directory = WEB_DIRECTORIES.find((candidate) => existsSync(new URL('index.html', candidate)));
  if (!directory) throw new Error('the web page files were not found: run `npm run build`');
  for (const { route, file, type } of FILES) {
    const body = readFileSync(new URL(file, directory));
    app.get(route, async (_request, reply) =>
      reply
        .type(type)
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff')
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }
}
