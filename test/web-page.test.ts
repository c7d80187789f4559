// The operators' page end to end in a real browser: Debian's chromium driven by playwright-core.
// The nodes are real client processes running a real provider script; other tests of this file
// play a node over HTTP where only the page's rendering of a status matters.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { call } from './support/api-client.js';
import { startClient, writeClientConfig, writeProvider } from './support/client-process.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

const CHROMIUM = process.env.FOODTRUCK_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRED = process.env.FOODTRUCK_REQUIRE_BROWSER === '1';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** FOODTRUCK_UPDATE_SCREENSHOTS=1 refreshes the README's pictures; otherwise they go to a temp dir. */
const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

const browserMissing = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium)`;
if (browserMissing && REQUIRED) {
  throw new Error(`FOODTRUCK_REQUIRE_BROWSER=1 but ${browserMissing}`);
}

describe('web page in a real browser', { skip: browserMissing }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let shots: { dir: string; remove: () => void } | undefined;
  let screenshotDir: string;
  const pageErrors: string[] = [];

  const screenshot = async (name: string) => {
    await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
  };
  // Polled with locators: the page's Content-Security-Policy forbids the eval waitForFunction needs.
  const waitForCount = async (selector: string, count: number) => {
    for (let i = 0; i < 100 && (await page.locator(selector).count()) !== count; i++) await sleep(100);
    assert.equal(await page.locator(selector).count(), count, selector);
  };
  const nodeCall = (org: string, name: string, verb: 'next' | 'status', json?: unknown) =>
    call(`${server.url}/organizations/${org}/foodtruck/nodes/${name}/tasks/${verb}`, {
      method: 'POST',
      key: server.nodesKey,
      ...(json === undefined ? {} : { json }),
    });

  before(async () => {
    const { chromium } = await import('playwright-core');
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('401')) pageErrors.push(message.text());
    });
    if (process.env.FOODTRUCK_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      screenshotDir = SCREENSHOT_DIR;
    } else {
      shots = makeTempDir('foodtruck-screenshots-');
      screenshotDir = shots.dir;
    }
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
    shots?.remove();
  });

  it('is served with a strict Content-Security-Policy', async () => {
    const response = await page.goto(server.url);
    assert.equal(response?.status(), 200);
    const policy = response?.headers()['content-security-policy'] ?? '';
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'self'(;|$)/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.equal(response?.headers()['x-content-type-options'], 'nosniff');
  });

  it('refuses a wrong key and keeps nothing', async () => {
    await page.goto(server.url);
    await page.fill('#admin-key', server.nodesKey);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#sign-in-error:not([hidden])');
    assert.equal(await page.textContent('#sign-in-error'), 'That key was refused.');
    assert.equal(await page.isHidden('#nav'), true);
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    await screenshot('sign-in');
  });

  it('signs in with the admin key, kept in sessionStorage only', async () => {
    await page.fill('#admin-key', server.adminKey);
    await page.click('#sign-in-form button[type=submit]');
    // The table is drawn before the list of jobs arrives: wait for its first row, not the table.
    await page.waitForSelector('#jobs tbody tr');
    assert.equal(await page.evaluate('localStorage.length'), 0);
    assert.equal(await page.evaluate("sessionStorage.getItem('foodtruck.adminKey')"), server.adminKey);
    assert.match((await page.textContent('#jobs tbody')) ?? '', /No jobs yet/);
  });

  it('creates a job in the form and follows it live until every node succeeds', async () => {
    await page.click('nav >> text=New job');
    await page.waitForSelector('#new-job');
    await page.fill('#provider', 'infra');
    await page.fill('#spec-input', '{"url": "https://example.com/policy.tar.gz"}');
    await page.fill('#nodes-input', 'web/node-1\nweb/node-2\n');
    await page.fill('#timeout', '5m');
    await screenshot('new-job');
    await page.click('#create-job');
    await page.waitForURL(/#\/jobs\/[0-9a-f]{24}$/);
    const jobId = page.url().split('/').pop() as string;
    await page.waitForSelector('#nodes tbody tr[data-node="web/node-1"][data-status="queued"]');
    assert.match((await page.textContent('#spec')) ?? '', /"url": "https:\/\/example.com\/policy.tar.gz"/);
    assert.match((await page.textContent('.facts')) ?? '', /Timeout5m/);
    assert.equal(await page.textContent('#live'), '● live');

    // Two real client processes run it, with a real provider that holds until the test lets it
    // go (so that the page can be seen showing them running) and then prints hostile output.
    const hostile = 'done <img src=x onerror="window.hacked=1"><script>window.hacked=2</script>\n';
    const nodeDir = makeTempDir('foodtruck-web-nodes-');
    const goFile = path.join(nodeDir.dir, 'go');
    writeFileSync(path.join(nodeDir.dir, 'hostile.txt'), hostile);
    writeProvider(
      nodeDir.dir,
      'infra',
      `#!/bin/sh\ncat > /dev/null\nwhile [ ! -f '${goFile}' ]; do sleep 0.1; done\nprintf '%s: ' "$FOODTRUCK_NODE_NAME"\ncat '${path.join(nodeDir.dir, 'hostile.txt')}'\n`,
    );
    const clients = ['node-1', 'node-2'].map((name) =>
      startClient(
        writeClientConfig(
          nodeDir.dir,
          {
            base_url: server.url,
            auth: { type: 'apiKey', key: server.nodesKey },
            node: { org: 'web', name },
            interval: '250ms',
            providers_path: nodeDir.dir,
            state_dir: path.join(nodeDir.dir, `state-${name}`),
          },
          `${name}.json`,
        ),
      ),
    );
    try {
      await page.waitForSelector('#nodes tbody tr[data-node="web/node-1"][data-status="running"]', { timeout: 20_000 });
      await page.waitForSelector('#nodes tbody tr[data-node="web/node-2"][data-status="running"]', { timeout: 20_000 });
      writeFileSync(goFile, '');
      await page.waitForSelector('#nodes tbody tr[data-node="web/node-2"][data-status="success"]', { timeout: 20_000 });
      await page.waitForSelector('#nodes tbody tr[data-node="web/node-1"][data-status="success"]', { timeout: 20_000 });
    } finally {
      for (const client of clients) await client.stop();
      nodeDir.remove();
    }
    await page.waitForSelector('#nodes tbody tr[data-node="web/node-2"][data-status="success"]');
    await page.waitForSelector('#done-count:text-is("2 of 2 nodes done")');
    await page.waitForSelector('#live:empty', { state: 'attached' });

    // The output is shown as text, never as markup.
    await page.click('#nodes tr[data-node="web/node-1"] details summary');
    assert.equal(await page.textContent('#nodes tr[data-node="web/node-1"] pre'), `node-1: ${hostile}`);
    assert.equal(await page.locator('#nodes img, #nodes script').count(), 0);
    assert.equal(await page.evaluate('window.hacked'), undefined);
    await screenshot('job');

    await page.fill('#node-search', 'NODE-2');
    await waitForCount('#nodes tbody tr', 1);
    assert.equal(await page.getAttribute('#nodes tbody tr', 'data-node'), 'web/node-2');
    await page.fill('#node-search', '');
    await page.selectOption('#status-filter', 'failed');
    await page.waitForSelector('#nodes tbody >> text=No nodes match.');
    await page.selectOption('#status-filter', 'success');
    await waitForCount('#nodes tbody tr[data-status="success"]', 2);

    await page.click('nav >> text=Jobs');
    await page.waitForSelector(`#jobs tr[data-job-id="${jobId}"]`);
    assert.match((await page.textContent(`#jobs tr[data-job-id="${jobId}"]`)) ?? '', /2 of 2 nodes done.*success 2/);
    assert.equal(await page.textContent(`#jobs tr[data-job-id="${jobId}"] td.created-by`), 'admin');
  });

  it('pages through a job\'s nodes and cancels the tasks nobody picked up', async () => {
    const nodes = Array.from({ length: 60 }, (_, i) => ({ org: 'rack', name: `host-${String(i).padStart(2, '0')}` }));
    const created = await call(`${server.url}/admin/jobs`, {
      key: server.adminKey,
      json: {
        task: {
          window_start: new Date(Date.now() - 1000).toISOString(),
          window_end: new Date(Date.now() + 3_600_000).toISOString(),
          provider: 'patch',
          spec: { packages: ['openssl'] },
        },
        nodes,
      },
    });
    const jobId = created.body.id as string;
    assert.equal((await nodeCall('rack', 'host-00', 'next')).status, 200);
    await nodeCall('rack', 'host-00', 'status', { job_id: jobId, status: 'failed', result: { exit_code: 2, reason: 'exit error', output: 'E: no space left on device\n' } });
    await page.goto(`${server.url}/#/jobs/${jobId}`);
    await page.waitForSelector('#nodes tbody tr[data-node="rack/host-49"]');
    assert.equal(await page.locator('#nodes tbody tr').count(), 50);
    await page.click('#next-nodes');
    await page.waitForSelector('#nodes tbody tr[data-node="rack/host-59"]');
    assert.equal(await page.locator('#nodes tbody tr').count(), 10);
    await page.click('#previous-nodes');
    await page.waitForSelector('#nodes tbody tr[data-node="rack/host-00"][data-status="failed"]');
    await page.locator('#view h1').scrollIntoViewIfNeeded();
    await screenshot('job-running');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#cancel-job');
    await page.waitForSelector('text=Cancelled 59 task(s) that had not started.');
    await page.waitForSelector('#nodes tbody tr[data-node="rack/host-01"][data-status="cancelled"]');
    assert.equal(await page.isDisabled('#cancel-job'), true);
    // Who created and who cancelled it: the admin key's name (ADMIN_API_KEY is "admin").
    await page.reload();
    await page.waitForSelector('dl.facts >> text=Cancelled by');
    assert.match((await page.textContent('dl.facts')) ?? '', /Created byadmin.*Cancelled byadmin/);
  });

  it("reruns a job's failed nodes with the Rerun button through the real route, and shows the server's refusal", async () => {
    const nodes = [{ org: 'again', name: 'ok' }, { org: 'again', name: 'broken' }, { org: 'again', name: 'idle' }];
    const created = await call(`${server.url}/admin/jobs`, {
      key: server.adminKey,
      json: { task: { window_start: new Date().toISOString(), window_end: new Date(Date.now() + 3_600_000).toISOString(), provider: 'infra', spec: { v: 1 } }, nodes },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const jobId = created.body.id as string;
    for (const [name, status] of [['ok', 'success'], ['broken', 'failed']] as const) {
      assert.equal((await nodeCall('again', name, 'next')).status, 200);
      await nodeCall('again', name, 'status', { job_id: jobId, status, result: { exit_code: status === 'success' ? 0 : 1, reason: '' } });
    }
    await page.goto(`${server.url}/#/jobs/${jobId}`);
    await page.waitForSelector('#nodes tbody tr[data-node="again/broken"][data-status="failed"]');

    // Nothing in the chosen status: the server refuses, and the page says why.
    await page.click('#rerun-job');
    await page.waitForSelector('#rerun-panel:not([hidden])');
    for (const status of ['failed', 'timed_out', 'expired']) await page.uncheck(`#rerun-panel input[value="${status}"]`);
    await page.check('#rerun-panel input[value="cancelled"]');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#rerun-confirm');
    await page.waitForSelector(`text=no node of job ${jobId} is cancelled: nothing to rerun`);
    assert.equal(page.url().endsWith(`#/jobs/${jobId}`), true, 'still on the job');
    const refused = pageErrors.findIndex((text) => /status of 400/.test(text));
    if (refused >= 0) pageErrors.splice(refused, 1);

    // The defaults (failed, timed_out, expired): a new job for the failed node only.
    await page.uncheck('#rerun-panel input[value="cancelled"]');
    await page.check('#rerun-panel input[value="failed"]');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#rerun-confirm');
    await page.waitForURL((url) => /#\/jobs\/[0-9a-f]{24}$/.test(url.hash) && !url.hash.endsWith(jobId));
    const rerunId = page.url().split('/').pop() as string;
    await page.waitForSelector('#nodes tbody tr[data-node="again/broken"][data-status="queued"]');
    await waitForCount('#nodes tbody tr', 1);
    assert.equal(await page.textContent('#rerun-of'), jobId);
    const stored = await call(`${server.url}/admin/jobs/${rerunId}`, { key: server.adminKey });
    assert.equal(stored.body.job.rerun_of, jobId);
    assert.deepEqual(stored.body.job.nodes, [{ org: 'again', name: 'broken' }]);
    assert.deepEqual(stored.body.job.task.spec, { v: 1 });
    await page.click('#rerun-of');
    await page.waitForURL((url) => url.hash.endsWith(jobId));
    await page.waitForSelector('#nodes tbody tr[data-node="again/ok"][data-status="success"]');
  });

  it('lists nodes with their last check-in, so silent ones show', async () => {
    const silent = await call(`${server.url}/admin/jobs`, {
      key: server.adminKey,
      json: {
        task: { window_start: new Date().toISOString(), window_end: new Date(Date.now() + 3_600_000).toISOString(), provider: 'infra', spec: {} },
        nodes: [{ org: 'db', name: 'primary' }, { org: 'db', name: 'replica' }],
      },
    });
    assert.equal(silent.status, 200);
    assert.equal((await nodeCall('db', 'primary', 'next')).status, 200);
    await page.click('nav >> text=Nodes');
    await page.waitForSelector('#node-list tr[data-node="db/replica"].silent');
    assert.equal(await page.locator('#node-list tr[data-node="db/primary"].silent').count(), 0, 'it just polled');
    await page.waitForSelector('#node-list tr[data-node="web/node-1"]');
    assert.match((await page.textContent('#node-list tr[data-node="web/node-1"]')) ?? '', /just now|s ago/);
    assert.match((await page.textContent('#node-list tr[data-node="rack/host-01"]')) ?? '', /never/);
    await screenshot('nodes');
    await page.click('nav >> text=Jobs');
    await page.waitForSelector('#jobs tbody tr[data-job-id]');
    await screenshot('jobs');
  });

  it('shows every field\'s error at once beside its field, and offers the spec as a placeholder only', async () => {
    await page.click('nav >> text=New job');
    await page.waitForSelector('#new-job');
    assert.equal(await page.inputValue('#spec-input'), '', 'the example spec is a placeholder, not a value');
    assert.match((await page.getAttribute('#spec-input', 'placeholder')) ?? '', /"url"/);
    await page.fill('#spec-input', '{not json');
    await page.fill('#nodes-input', 'web/ok\nno-slash\n');
    await page.fill('#window-length', 'soon');
    await page.click('#create-job');
    await page.waitForSelector('#provider-error:not([hidden])');
    for (const [field, text] of [['provider', /provider/], ['spec', /^Not valid JSON/], ['nodes', /line 2 \(no-slash\)/], ['length', /duration/]] as const) {
      assert.match((await page.textContent(`#${field}-error`)) ?? '', text, field);
      assert.equal(await page.isVisible(`#${field}-error`), true, field);
    }
    assert.equal(await page.isHidden('#timeout-error'), true);
    // A refusal by the server lands beside its field too.
    await page.fill('#provider', 'bad/name');
    await page.fill('#spec-input', '');
    await page.fill('#nodes-input', 'web/ok');
    await page.fill('#window-length', '1h');
    await page.click('#create-job');
    await page.waitForSelector('#provider-error:text-matches("^task provider must be a plain executable name")');
    assert.equal(await page.isHidden('#spec-error'), true);
    // The browser logs the refused request itself; that is not an error of the page.
    const refused = pageErrors.findIndex((text) => /status of 400/.test(text));
    if (refused >= 0) pageErrors.splice(refused, 1);
  });

  it('does not call an all-cancelled job done, and fits its node table in a narrow window', async () => {
    const nodes = Array.from({ length: 12 }, (_, i) => ({ org: 'narrow', name: `a-rather-long-node-name-${i}.example.com` }));
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: { task: { window_start: new Date().toISOString(), window_end: new Date(Date.now() + 3_600_000).toISOString(), provider: 'infra', spec: {} }, nodes } });
    const jobId = created.body.id as string;
    assert.equal((await call(`${server.url}/admin/jobs/${jobId}/cancel`, { method: 'POST', key: server.adminKey })).status, 200);
    await page.setViewportSize({ width: 380, height: 760 });
    try {
      await page.goto(`${server.url}/#/jobs/${jobId}`);
      await page.waitForSelector('#nodes tbody tr[data-status="cancelled"]');
      assert.equal(await page.textContent('#done-count'), '0 of 12 nodes ran: 12 cancelled');
      const widths = (await page.evaluate(
        "[document.querySelector('#nodes').getBoundingClientRect().right, document.documentElement.clientWidth]",
      )) as [number, number];
      assert.ok(widths[0] <= widths[1] + 1, `the node table ends at ${widths[0]} px in a ${widths[1]} px window`);
      await screenshot('job-narrow');
    } finally {
      await page.setViewportSize({ width: 1200, height: 760 });
    }
  });

  it('sends the admin back to sign in when the key stops working', async () => {
    await page.evaluate("sessionStorage.setItem('foodtruck.adminKey', 'revoked-key-revoked-key')");
    await page.click('nav >> text=Nodes');
    await page.waitForSelector('#sign-in-error:not([hidden])');
    assert.match((await page.textContent('#sign-in-error')) ?? '', /refused/);
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    assert.deepEqual(pageErrors, []);
  });
});
