// The page's files as the real server serves them: every ES module under src/web with a JavaScript
// content type and the page's headers, and nothing that is not one of the page's files.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY, WEB_PAGE_FILES, webPageRoute } from '../src/server/routes/web-page.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const WEB_SOURCE = fileURLToPath(new URL('../../src/web/', import.meta.url));

describe('web page files', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('lists exactly the files of src/web', () => {
    const present = readdirSync(WEB_SOURCE, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => `${entry.parentPath}/${entry.name}`.slice(WEB_SOURCE.length).replace(/^\/+/, ''))
      .sort();
    assert.deepEqual(present, [...WEB_PAGE_FILES].sort());
  });

  it('serves every module as JavaScript with the page headers, byte for byte', async () => {
    for (const file of WEB_PAGE_FILES) {
      const response = await fetch(`${server.url}${webPageRoute(file)}`);
      assert.equal(response.status, 200, file);
      const expected = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
      assert.equal(response.headers.get('content-type'), `${expected}; charset=utf-8`, file);
      assert.equal(response.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, file);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', file);
      assert.equal(await response.text(), readFileSync(`${WEB_SOURCE}/${file}`, 'utf8'), file);
    }
  });

  it('every import of a module names a served file', () => {
    const served = new Set(WEB_PAGE_FILES.map((file) => webPageRoute(file)));
    for (const file of WEB_PAGE_FILES.filter((name) => name.endsWith('.js'))) {
      const text = readFileSync(`${WEB_SOURCE}/${file}`, 'utf8');
      for (const [, specifier] of text.matchAll(/^import [^;]*? from '([^']+)';$/gm)) {
        const resolved = new URL(specifier as string, `http://page/${file}`).pathname;
        assert.ok(served.has(resolved), `${file} imports ${specifier}, which is not served`);
      }
    }
  });

  it('answers 404 for anything else, such as directories and paths out of the page', async () => {
    for (const route of ['/index.html', '/pages/', '/widgets', '/web-page.js', '/pages/../../package.json', '/%2e%2e/package.json', '/app.js.map']) {
      const response = await fetch(`${server.url}${route}`);
      assert.equal(response.status, 404, route);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/, route);
    }
  });
});
