import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

// The operators' page: plain HTML, CSS and JavaScript modules (no bundler), read once at start-up.
// They are copied into dist/ by the build; from a source checkout they are read where they are.
const WEB_DIRECTORIES = [new URL('../../web/', import.meta.url), new URL('../../../../src/web/', import.meta.url)];

/**
 * Every file of the page, as served: `/` is index.html, every other file at its path under
 * src/web/. Nothing else in that directory is reachable. A new module is added here (a test checks
 * that this list and the directory agree); the OpenAPI document lists the same routes.
 */
export const WEB_PAGE_FILES = [
  'index.html',
  'style.css',
  'app.js',
  'pages/job.js',
  'pages/jobs.js',
  'pages/new-job.js',
  'pages/nodes.js',
  'widgets/api.js',
  'widgets/dom.js',
  'widgets/progress.js',
  'widgets/targets.js',
  'widgets/time.js',
  'widgets/view.js',
] as const;

export function webPageRoute(file: string): string {
  return file === 'index.html' ? '/' : `/${file}`;
}

export function webPageContentType(file: string): string {
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'text/javascript; charset=utf-8';
}

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
  for (const file of WEB_PAGE_FILES) {
    const body = readFileSync(new URL(file, directory));
    const type = webPageContentType(file);
    app.get(webPageRoute(file), async (_request, reply) =>
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
