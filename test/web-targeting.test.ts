// The page's targeting in a real browser: the new-job form counts the nodes its targets pick
// while the operator types and creates the job by them; the Nodes page filters by the same terms.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { call, jobBody } from './support/api-client.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const CHROMIUM = process.env.FOODTRUCK_CHROMIUM ?? '/usr/bin/chromium';
const browserMissing = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium)`;
if (browserMissing && process.env.FOODTRUCK_REQUIRE_BROWSER === '1') {
  throw new Error(`FOODTRUCK_REQUIRE_BROWSER=1 but ${browserMissing}`);
}

describe('web page targeting in a real browser', { skip: browserMissing }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** Polled: the page's Content-Security-Policy forbids the eval waitForFunction needs. */
  const waitForText = async (selector: string, pattern: RegExp) => {
    let text = '';
    for (let i = 0; i < 150; i++) {
      text = (await page.textContent(selector)) ?? '';
      if (pattern.test(text)) return text;
      await sleep(100);
    }
    assert.match(text, pattern, selector);
    return text;
  };

  before(async () => {
    const { chromium } = await import('playwright-core');
    server = await startServer();
    for (const [name, tags] of [['web-1', ['web']], ['web-2', ['web', 'eu']], ['db-1', ['db']]] as const) {
      const answer = await call(`${server.url}/organizations/shop/foodtruck/nodes/${name}/facts`, {
        method: 'PUT',
        key: server.nodesKey,
        json: { os: 'ubuntu', os_version: '22.04', platform: 'linux', arch: 'x64', hostname: `${name}.shop`, tags },
      });
      assert.equal(answer.status, 200);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], headless: true });
    page = await (await browser.newContext({ viewport: { width: 1200, height: 760 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.fill('#admin-key', server.adminKey);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#jobs');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  it('counts the nodes the targets pick while typing, and creates the job by them', async () => {
    await page.click('nav >> text=New job');
    await page.waitForSelector('#new-job');
    await page.fill('#provider', 'infra');
    await page.fill('#targets-input', 'tag=web');
    await waitForText('#targets-count', /^2 nodes match the targets\.$/);
    await page.fill('#targets-input', 'tag=web any_tag=eu');
    await waitForText('#targets-count', /^1 node matches the targets\.$/);
    await page.fill('#targets-input', 'colour=blue');
    await waitForText('#targets-count', /"colour" is not a target/);
    await page.fill('#targets-input', 'seen_within=soon');
    await waitForText('#targets-count', /seen_within must be a positive Go duration/);
    await page.fill('#targets-input', 'tag=web');
    await waitForText('#targets-count', /^2 nodes match/);
    await page.click('#create-job');
    await page.waitForURL(/#\/jobs\/[0-9a-f]{24}$/);
    const jobId = page.url().split('/').pop() as string;
    const job = await call(`${server.url}/admin/jobs/${jobId}`, { key: server.adminKey });
    assert.deepEqual(job.body.job.nodes, [{ org: 'shop', name: 'web-1' }, { org: 'shop', name: 'web-2' }]);
    assert.deepEqual(job.body.job.targets, { tags_all: ['web'] });
  });

  it('shows what nodes reported and filters them by the same terms', async () => {
    await page.click('nav >> text=Nodes');
    await page.waitForSelector('#node-list tr[data-node="shop/db-1"]');
    assert.match((await page.textContent('#node-list tr[data-node="shop/web-2"]')) ?? '', /ubuntu 22\.04 x64.*web, eu/);
    await page.fill('#node-filter', 'tag=web name=web-?');
    await page.click('#node-filter-form button[type=submit]');
    for (let i = 0; i < 100 && (await page.locator('#node-list tr[data-node="shop/db-1"]').count()) > 0; i++) await sleep(100);
    assert.equal(await page.locator('#node-list tr[data-node="shop/db-1"]').count(), 0);
    assert.equal(await page.locator('#node-list tbody tr[data-node]').count(), 2);
    await page.fill('#node-filter', 'tag=nowhere');
    await page.click('#node-filter-form button[type=submit]');
    await waitForText('#node-list tbody', /No node matches the filter\./);
    await page.fill('#node-filter', 'os');
    await page.click('#node-filter-form button[type=submit]');
    await waitForText('#node-filter-feedback', /\S/);
    assert.deepEqual(pageErrors, []);
  });

  it('searches nodes by name and shows those never seen, seen within a duration or with unfinished tasks', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([{ org: 'shop', name: 'ghost' }]) });
    assert.equal(created.status, 200);
    await page.click('nav >> text=Jobs');
    await page.waitForSelector('#jobs');
    await page.click('nav >> text=Nodes');
    await page.waitForSelector('#node-list tr[data-node="shop/ghost"]');
    const shown = async (expected: string[]) => {
      let rows: string[] = [];
      for (let i = 0; i < 100; i++) {
        rows = await page.locator('#node-list tbody tr[data-node]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-node') ?? ''));
        if (JSON.stringify(rows) === JSON.stringify(expected)) return;
        await sleep(100);
      }
      assert.deepEqual(rows, expected);
    };
    const apply = () => page.click('#node-filter-form button[type=submit]');
    await page.fill('#node-search', 'GHO');
    await apply();
    await shown(['shop/ghost']);
    await page.fill('#node-search', '');
    await page.check('#node-never-seen');
    await apply();
    await shown(['shop/ghost']);
    await page.uncheck('#node-never-seen');
    await page.check('#node-unfinished');
    await apply();
    await shown(['shop/ghost', 'shop/web-1', 'shop/web-2']);
    await page.fill('#node-seen-within', '1h');
    await apply();
    await shown(['shop/web-1', 'shop/web-2']);
    await page.fill('#node-search', 'web-2');
    await apply();
    await shown(['shop/web-2']);
    await page.fill('#node-search', 'nothing-like-it');
    await apply();
    await waitForText('#node-list tbody', /No node matches the filter\./);
    await page.fill('#node-search', '');
    await page.fill('#node-seen-within', 'soon');
    await apply();
    await waitForText('#node-filter-feedback', /seen_within must be a positive Go duration/);
    assert.deepEqual(pageErrors, []);
  });

  it('forgets a node with no unfinished task from the Nodes page, and offers no Forget for one with work', async () => {
    const created = await call(`${server.url}/admin/jobs`, {
      key: server.adminKey,
      json: jobBody([{ org: 'gone', name: 'old' }, { org: 'gone', name: 'busy' }]),
    });
    assert.equal(created.status, 200);
    const cancel = await call(`${server.url}/admin/jobs/${created.body.id}/cancel?node=gone%2Fold`, { method: 'POST', key: server.adminKey });
    assert.equal(cancel.status, 200);
    await page.click('nav >> text=Jobs');
    await page.waitForSelector('#jobs');
    await page.click('nav >> text=Nodes');
    await page.waitForSelector('#node-list tr[data-node="gone/old"] button.forget-node');
    assert.equal(await page.locator('#node-list tr[data-node="gone/busy"] button.forget-node').count(), 0, 'it has a queued task');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#node-list tr[data-node="gone/old"] button.forget-node');
    await waitForText('#node-filter-feedback', /^Forgot gone\/old\.$/);
    assert.equal(await page.locator('#node-list tr[data-node="gone/old"]').count(), 0);
    assert.equal(await page.locator('#node-list tr[data-node="gone/busy"]').count(), 1);
    const again = await call(`${server.url}/admin/nodes/gone/old`, { method: 'DELETE', key: server.adminKey });
    assert.equal(again.status, 404);
    assert.deepEqual(pageErrors, []);
  });
});
