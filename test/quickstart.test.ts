// The README's quick start, run as written: its marked command blocks are read from README.md
// itself, so that the two cannot drift. They run in a temporary copy of the checkout (the files
// `npm run demo` uses, with this checkout's dist/ and node_modules/, as `npm ci` left them), on a
// free port through FOODTRUCK_LISTEN_ADDR as the README documents, started the way a terminal
// starts a command (a process group of its own) and stopped the way Ctrl-C stops it (SIGINT to
// that group). Nothing it started may outlive it.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { call, jobBody } from './support/api-client.js';
import { isAlive, waitFor } from './support/client-process.js';
import { makeTempDir } from './support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The page is looked at in a real browser where there is one, as test/web-page.test.ts does.
const CHROMIUM = process.env.FOODTRUCK_CHROMIUM ?? '/usr/bin/chromium';
const browserMissing = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM}`;
if (browserMissing && process.env.FOODTRUCK_REQUIRE_BROWSER === '1') throw new Error(`FOODTRUCK_REQUIRE_BROWSER=1 but ${browserMissing}`);

/** The bash block that follows `<!-- quickstart: LABEL -->` in the README. */
function quickstartBlock(readme: string, label: string): string {
  const marker = `<!-- quickstart: ${label} -->`;
  const at = readme.indexOf(marker);
  assert.notEqual(at, -1, `README.md has no ${marker}`);
  const match = /^\s*```bash\n([\s\S]*?)\n```/.exec(readme.slice(at + marker.length));
  assert.ok(match, `a \`\`\`bash block must follow ${marker}`);
  return match[1] as string;
}

/** What `npm run demo` reads, copied; the build and the dependencies linked. */
function copyCheckout(into: string): void {
  copyFileSync(path.join(ROOT, 'package.json'), path.join(into, 'package.json'));
  for (const dir of ['bin', 'providers', 'scripts']) {
    mkdirSync(path.join(into, dir));
    for (const file of readdirSync(path.join(ROOT, dir))) {
      // Built single executables are large and not used here.
      if (dir === 'bin' && file.startsWith('foodtruck-client-')) continue;
      const source = path.join(ROOT, dir, file);
      if (statSync(source).isFile()) cpSync(source, path.join(into, dir, file), { preserveTimestamps: true });
    }
  }
  symlinkSync(path.join(ROOT, 'dist'), path.join(into, 'dist'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(into, 'node_modules'));
}

/** Every process below `pid` now: children, and theirs (providers live in sessions of their own). */
function descendants(pid: number): Array<{ pid: number; args: string }> {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = ps.stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3] as string }));
  const found: Array<{ pid: number; args: string }> = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (parents.has(row.ppid) && !parents.has(row.pid)) {
        parents.add(row.pid);
        found.push({ pid: row.pid, args: row.args });
        grew = true;
      }
    }
  }
  return found;
}

/** Processes whose command line names `dir`, whoever their parent is now. */
function processesNaming(dir: string): string[] {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((line) => line.includes(dir) && !line.includes(' ps -e '));
}

describe('the README quick start, run as written', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const temp = makeTempDir('foodtruck-quickstart-');
  const checkout = path.join(temp.dir, 'foodtruck');
  const env: NodeJS.ProcessEnv = { ...process.env, FOODTRUCK_LISTEN_ADDR: '127.0.0.1:0' };
  for (const name of ['ADMIN_API_KEY', 'NODES_API_KEY', 'FOODTRUCK_URL']) delete env[name];
  let demo: ChildProcess;
  let output = '';
  let exited: Promise<[number | null, NodeJS.Signals | null]>;
  let started: Array<{ pid: number; args: string }> = [];

  before(() => {
    mkdirSync(checkout);
    copyCheckout(checkout);
  });
  after(() => {
    // Whatever failed above, leave nothing running.
    for (const { pid } of [...started, ...descendants(demo?.pid ?? -1)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (demo?.pid !== undefined && demo.exitCode === null && demo.signalCode === null) process.kill(-demo.pid, 'SIGKILL');
    temp.remove();
  });

  const adminKey = () => readFileSync(path.join(checkout, 'demo-data', 'admin_api_key'), 'utf8').trim();
  const serverUrl = () => {
    const match = /Web page: +(http:\/\/127\.0\.0\.1:\d+)\/#\/jobs\/[0-9a-f]{24}/.exec(output);
    assert.ok(match, output);
    return match[1] as string;
  };
  const statusesOf = async (id: string) => {
    const answer = await call(`${serverUrl()}/admin/jobs/${id}?fetchStatuses=true`, { key: adminKey() });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as { job: { created_at: string; name?: string }; statuses: Array<{ node_name: string; status: string; last_updated: string }> };
  };

  it('`npm run demo` ends with a job finished on every node, in the CLI and in the page', async () => {
    const block = quickstartBlock(readme, 'run');
    // A terminal runs a command line in a process group of its own; Ctrl-C signals that group.
    demo = spawn('bash', ['-euc', block], { cwd: checkout, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    demo.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    exited = once(demo, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    void exited.then(() => (output += '\n[the demo exited]\n'));

    await waitFor(() => (/press Ctrl-C/.test(output) || /\[the demo exited\]/.test(output) ? true : undefined), 120_000, () => `the demo never got ready:\n${output}`);
    assert.match(output, /press Ctrl-C to stop them all/, output);
    assert.match(output, /\] 100% 3\/3 {2}success 3\n/, 'the CLI watch showed the job finished');
    assert.match(output, /The job finished: success on all 3 nodes\./);
    const id = (/\$ foodtruck jobs watch ([0-9a-f]{24})/.exec(output) as RegExpExecArray)[1] as string;

    const job = await statusesOf(id);
    assert.equal(job.job.name, 'demo: hello from the example provider', 'the demo names its job');
    assert.deepEqual(job.statuses.map((s) => [s.node_name, s.status]).sort(), [
      ['demo/node1', 'success'],
      ['demo/node2', 'success'],
      ['demo/node3', 'success'],
    ]);
    const lastDone = Math.max(...job.statuses.map((s) => Date.parse(s.last_updated)));
    assert.ok(lastDone - Date.parse(job.job.created_at) < 60_000, 'finished within a minute of its creation');

    // The page it names is served, and the key it prints opens the admin API the page uses.
    const page = await fetch(`${serverUrl()}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(output, new RegExp(`Admin key: +${adminKey()}`));
  });

  it('the page at the address it prints shows the same job finished, after signing in with the key it prints', { skip: browserMissing }, async () => {
    const address = (/Web page: +(\S+)/.exec(output) as RegExpExecArray)[1] as string;
    const key = (/Admin key: +(\S+)/.exec(output) as RegExpExecArray)[1] as string;
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], headless: true });
    try {
      const page = await browser.newPage();
      await page.goto(address);
      await page.fill('#admin-key', key);
      await page.click('#sign-in-form button[type=submit]');
      for (const name of ['node1', 'node2', 'node3']) {
        await page.waitForSelector(`#nodes tbody tr[data-node="demo/${name}"][data-status="success"]`, { timeout: 30_000 });
      }
      assert.match((await page.textContent('#spec')) ?? '', /hello from the Foodtruck quick start/);
    } finally {
      await browser.close();
    }
  });

  it('the second terminal\'s lines run a job of one\'s own to success on every node', async () => {
    const block = quickstartBlock(readme, 'while it runs');
    const second = spawn('bash', ['-euc', block], { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    second.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    second.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const timer = setTimeout(() => second.kill('SIGKILL'), 90_000);
    const [code] = (await once(second, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, text);
    assert.match(text, /All 3 node\(s\) succeeded\./);
    const jobs = await call(`${serverUrl()}/admin/jobs?limit=1`, { key: adminKey() });
    const newest = (jobs.body.jobs as Array<{ id: string; summary: Record<string, number> }>)[0];
    assert.equal(newest?.summary.success, 3, JSON.stringify(jobs.body));
  });

  it('Ctrl-C stops the server, the clients and their running providers, and leaves nothing behind', async () => {
    // Providers that will still be running when Ctrl-C comes.
    const created = await call(`${serverUrl()}/admin/jobs`, {
      key: adminKey(),
      json: jobBody(['node1', 'node2', 'node3'].map((name) => ({ org: 'demo', name })), { provider: 'example', spec: { sleep: 600 } }),
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await waitFor(
      async () => ((await statusesOf(created.body.id as string)).statuses.every((s) => s.status === 'running') ? true : undefined),
      60_000,
      () => 'the sleeping job never ran on every node',
    );
    // A node reports running just before its provider starts: wait until all three show.
    const count = (pattern: RegExp) => started.filter((p) => pattern.test(p.args)).length;
    await waitFor(
      () => {
        started = descendants(demo.pid as number);
        return count(/foodtruck-server/) === 1 && count(/foodtruck-client /) === 3 && count(/foodtruck-provider-example/) === 3 ? true : undefined;
      },
      30_000,
      () => `expected the server, 3 clients and 3 providers below the demo: ${JSON.stringify(started)}`,
    );

    process.kill(-(demo.pid as number), 'SIGINT');
    const timer = setTimeout(() => process.kill(-(demo.pid as number), 'SIGKILL'), 60_000);
    const [code, signal] = await exited;
    clearTimeout(timer);
    // npm re-raises the SIGINT it was sent once its script has ended, and bash then ends by it too,
    // as in a terminal; the demo itself ends its graceful stop by saying so.
    assert.ok(code === 0 || signal === 'SIGINT', `exit ${code} ${signal}\n${output}`);
    assert.match(output, /Stopped\. Everything the demo made is in demo-data\//);
    await waitFor(
      () => (started.every(({ pid }) => !isAlive(pid)) && processesNaming(checkout).length === 0 ? true : undefined),
      10_000,
      () => `still running after Ctrl-C: ${JSON.stringify(started.filter(({ pid }) => isAlive(pid)))} ${processesNaming(checkout).join('\n')}`,
    );
    const answer = await call(`${serverUrl()}/healthz`).catch(() => undefined);
    assert.equal(answer, undefined, 'the server is gone');
  });
});
