// providers/foodtruck-provider-example: run by hand as the README says (spec on stdin), then by
// the real client against the real server, for a success, a failure, a timeout and a large output.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { call, jobBody } from './support/api-client.js';
import { startClient, waitForStatus, writeClientConfig, type ClientProcess } from './support/client-process.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

const PROVIDERS_DIR = fileURLToPath(new URL('../../providers/', import.meta.url));
const PROVIDER = path.join(PROVIDERS_DIR, 'foodtruck-provider-example');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the provider as the client does: executable started directly, spec on stdin. */
async function runProvider(
  stdin: string,
  options: { env?: Record<string, string>; cwd?: string; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Run> {
  const child = spawn(PROVIDER, [], { env: { PATH: process.env.PATH, ...options.env }, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

describe('foodtruck-provider-example run by hand', () => {
  it('prints the spec it received and facts about the node, and exits 0', async () => {
    const run = await runProvider(JSON.stringify({ message: 'hello from the spec', extra: [1, 2] }), {
      env: { FOODTRUCK_JOB_ID: 'abc123', FOODTRUCK_NODE_ORG: 'demo', FOODTRUCK_NODE_NAME: 'node1', FOODTRUCK_PROVIDER: 'example' },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^foodtruck-provider-example: job abc123 for node demo\/node1$/m);
    assert.match(run.stdout, /^spec: \{"message":"hello from the spec","extra":\[1,2\]\}$/m);
    assert.match(run.stdout, new RegExp(`^hostname: ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(run.stdout, new RegExp(`^node\\.js: ${process.version.replace(/\./g, '\\.')}, `, 'm'));
    assert.match(run.stdout, /^message: hello from the spec$/m);
    assert.match(run.stdout, /^done: exit code 0\n$/m);
  });

  it('takes an empty or null spec as no options', async () => {
    for (const stdin of ['', 'null', '{}']) {
      const run = await runProvider(stdin);
      assert.equal(run.code, 0, `${JSON.stringify(stdin)}: ${run.stderr}`);
      assert.match(run.stdout, /^spec: \{\}$/m);
    }
  });

  it('exits with the exit_code the spec asks for', async () => {
    const run = await runProvider('{"exit_code": 7}');
    assert.equal(run.code, 7);
    assert.match(run.stdout, /done: exit code 7\n$/);
  });

  it('refuses a spec it cannot use with exit code 2, naming every bad field', async () => {
    const bad = await runProvider('{"exit_code": 256, "sleep": "ten", "output_lines": 1.5, "message": 3}');
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    for (const field of ['exit_code', 'sleep', 'output_lines', 'message']) assert.match(bad.stderr, new RegExp(`- ${field}: expected`));
    const notJson = await runProvider('{"sleep": ');
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /the spec is not JSON/);
    const notObject = await runProvider('[1, 2]');
    assert.equal(notObject.code, 2);
    assert.match(notObject.stderr, /the spec must be a JSON object/);
  });

  it('prints output_lines numbered lines, all of them, through a pipe', async () => {
    const run = await runProvider('{"output_lines": 200000}');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n').filter((line) => line.startsWith('line '));
    assert.equal(lines.length, 200_000);
    assert.equal(lines[0], 'line 1 of 200000: the quick brown fox jumps over the lazy dog');
    assert.equal(lines[199_999], 'line 200000 of 200000: the quick brown fox jumps over the lazy dog');
  });

  it('sleeps as asked, and stops at once on SIGTERM with 143', async () => {
    const short = await runProvider('{"sleep": 0.3}');
    assert.equal(short.code, 0);
    assert.match(short.stdout, /sleeping 0\.3 s\ndone: exit code 0\n$/);

    const started = Date.now();
    let sent = false;
    const run = await runProvider('{"sleep": 120}', {
      onStdout: (text, child) => {
        if (!sent && text.includes('sleeping 120 s')) {
          sent = true;
          child.kill('SIGTERM');
        }
      },
    });
    assert.equal(run.code, 143);
    assert.match(run.stdout, /stopped by SIGTERM\n$/);
    assert.ok(Date.now() - started < 50_000, 'it did not sleep the 120 s');
  });
});

describe('foodtruck-provider-example run by the real client', () => {
  let server: ServerProcess;
  let client: ClientProcess;
  const temp = makeTempDir('foodtruck-example-');
  const node = { org: 'demo', name: `example-${process.pid}` };

  before(async () => {
    server = await startServer();
    const configFile = writeClientConfig(temp.dir, {
      base_url: server.url,
      auth: { type: 'apiKey', key: server.nodesKey },
      node,
      interval: '200ms',
      providers_path: PROVIDERS_DIR,
      state_dir: path.join(temp.dir, 'state'),
      // Frequent reports, so that a cancel reaches the node quickly.
      heartbeat: '500ms',
    });
    client = startClient(configFile);
  });
  after(async () => {
    await client?.stop();
    await server?.stop();
    server?.cleanup();
    temp.remove();
  });

  async function runJob(task: Record<string, unknown>) {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { provider: 'example', ...task }) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return waitForStatus(() => server.url, server.adminKey, created.body.id as string, `${node.org}/${node.name}`, undefined, 60_000);
  }

  it('reports success with the spec and the node in the output', async () => {
    const status = await runJob({ spec: { message: 'first job' } });
    assert.equal(status.status, 'success', JSON.stringify(status));
    assert.equal(status.result?.exit_code, 0);
    assert.match(status.result?.output ?? '', new RegExp(`job [0-9a-f]{24} for node ${node.org}/${node.name}\\n`));
    assert.match(status.result?.output ?? '', /spec: \{"message":"first job"\}/);
  });

  it('reports failed with the exit code the spec asked for', async () => {
    const status = await runJob({ spec: { exit_code: 3 } });
    assert.equal(status.status, 'failed');
    assert.equal(status.result?.exit_code, 3);
    assert.equal(status.result?.reason, 'exit error');
  });

  it('is stopped by the task timeout while it sleeps', async () => {
    const status = await runJob({ spec: { sleep: 120 }, timeout: '1s' });
    assert.equal(status.status, 'failed');
    assert.equal(status.result?.exit_code, -1);
    assert.match(status.result?.reason ?? '', /timeout exceeded/);
    assert.match(status.result?.output ?? '', /sleeping 120 s/);
  });

  it('is stopped by a cancel while it sleeps, and reports cancelled with what it printed', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { provider: 'example', spec: { sleep: 120 } }) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = created.body.id as string;
    await waitForStatus(() => server.url, server.adminKey, id, `${node.org}/${node.name}`, (s) => s.status === 'running', 60_000);
    const cancel = await call(`${server.url}/admin/jobs/${id}/cancel`, { method: 'POST', key: server.adminKey });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal(cancel.body.stopping, 1);
    const status = await waitForStatus(() => server.url, server.adminKey, id, `${node.org}/${node.name}`, undefined, 60_000);
    assert.equal(status.status, 'cancelled', JSON.stringify(status));
    assert.match(status.result?.output ?? '', /sleeping 120 s\n/);
  });

  it('keeps the tail of a large output', async () => {
    const status = await runJob({ spec: { output_lines: 100000 } });
    assert.equal(status.status, 'success');
    const output = status.result?.output ?? '';
    assert.ok(output.length <= 70 * 1024, `output of ${output.length} characters`);
    assert.match(output, /line 100000 of 100000: the quick brown fox jumps over the lazy dog\ndone: exit code 0\n?$/);
  });
});
