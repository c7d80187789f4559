// docs/api.md and /openapi.json describe the same routes: every route of one is in the other.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildOpenApiDocument, openApiPath } from '../src/server/openapi.js';

const API_DOC = new URL('../../docs/api.md', import.meta.url);
const README = new URL('../../README.md', import.meta.url);
const METHODS = 'GET|POST|PUT|PATCH|DELETE';

/**
 * The routes docs/api.md documents: each has a heading `### METHOD /path` (in backticks or not), or, for the web page's
 * files, a list item naming `` `METHOD /path` `` (several may share one item).
 */
export function documentedRoutes(markdown: string): Set<string> {
  const routes = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = new RegExp(`^#{2,4} \`?(${METHODS}) (/[^\\s\`]*)\`?\\s*$`).exec(line);
    if (heading) routes.add(`${heading[1]} ${openApiPath(heading[2] as string)}`);
    if (/^- `/.test(line) || /^ {2}`/.test(line)) {
      for (const match of line.matchAll(new RegExp(`\`(${METHODS}) (/[^\`\\s]*)\``, 'g'))) {
        routes.add(`${match[1]} ${openApiPath(match[2] as string)}`);
      }
    }
  }
  return routes;
}

function listItemsJoined(markdown: string): string {
  // A list item may wrap onto indented lines: join them so that a route is never split.
  return markdown.replace(/\n {2}(?=\S)/g, ' ');
}

describe('docs/api.md', () => {
  const markdown = listItemsJoined(readFileSync(API_DOC, 'utf8'));
  const documented = documentedRoutes(markdown);
  const served = new Set<string>();
  const document = buildOpenApiDocument('test', { maxJobNodes: 100_000 }) as { paths: Record<string, Record<string, unknown>> };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item)) served.add(`${method.toUpperCase()} ${path}`);
  }

  it('documents every route of /openapi.json', () => {
    const missing = [...served].filter((route) => !documented.has(route));
    assert.deepEqual(missing, [], `in /openapi.json but not in docs/api.md: ${missing.join(', ')}`);
  });

  it('documents no route that /openapi.json does not have', () => {
    const extra = [...documented].filter((route) => !served.has(route));
    assert.deepEqual(extra, [], `in docs/api.md but not in /openapi.json: ${extra.join(', ')}`);
  });

  it('is what the README links to, and nothing in the project links outside it', () => {
    const readme = readFileSync(README, 'utf8');
    assert.match(readme, /\]\(docs\/api\.md\)/);
    assert.doesNotMatch(readme, /\.\.\/shared/);
    assert.doesNotMatch(readFileSync(API_DOC, 'utf8'), /\.\.\/shared/);
  });
});
