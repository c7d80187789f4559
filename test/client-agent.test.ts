// The real client process against the real server, running real provider scripts.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Outbox } from '../src/client/outbox.js';
import { call, jobBody } from './support/api-client.js';
import {
  isAlive,
  readPids,
  startClient,
  waitFor,
  waitForStatus,
  writeClientConfig,
  writeProvider,
  type ClientProcess,
} from './support/client-process.js';
import { makeTempDir } from './support/temp-dir.js';
import { startServer, type ServerProcess } from './support/server-process.js';

interface Scene {
  dir: string;
  providers: string;
  stateDir: string;
  node: { org: string; name: string };
  configFile: string;
}

let sceneCount = 0;

/** A fresh node: its own name, providers directory, state directory and configuration. */
function makeScene(server: { url: string; nodesKey: string }, extra: Record<string, unknown> = {}): Scene & { remove: () => void } {
  const temp = makeTempDir('foodtruck-client-');
  const providers = path.join(temp.dir, 'providers');
  mkdirSync(providers);
  const stateDir = path.join(temp.dir, 'state');
  const node = { org: 'testorg', name: `node-${process.pid}-${++sceneCount}` };
  const configFile = writeClientConfig(temp.dir, {
    base_url: server.url,
    auth: { type: 'apiKey', key: server.nodesKey },
    node,
    interval: '200ms',
    providers_path: providers,
    state_dir: stateDir,
    ...extra,
  });
  return { dir: temp.dir, providers, stateDir, node, configFile, remove: temp.remove };
}

async function createJob(server: ServerProcess, node: { org: string; name: string }, task: Record<string, unknown>): Promise<string> {
  const answer = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], task) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.id as string;
}

describe('node client against the real server', () => {
  let server: ServerProcess;
  const cleanups: Array<() => Promise<void> | void> = [];

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server.stop();
    server.cleanup();
  });

  function scene(extra: Record<string, unknown> = {}) {
    const made = makeScene(server, extra);
    cleanups.push(made.remove);
    return made;
  }
  function client(configFile: string, env: Record<string, string | undefined> = {}): ClientProcess {
    const started = startClient(configFile, { env });
    cleanups.push(() => started.kill());
    return started;
  }
  const statusOf = (jobId: string, node: { org: string; name: string }, until?: Parameters<typeof waitForStatus>[4]) =>
    waitForStatus(() => server.url, server.adminKey, jobId, `${node.org}/${node.name}`, until);

  it('runs the provider and reports success with its output, one log line at the start and one at the end', async () => {
    const s = scene();
    writeProvider(s.providers, 'hello', '#!/bin/sh\necho "hello from stdout"\necho "hello from stderr" >&2\nexit 0\n');
    const jobId = await createJob(server, s.node, { provider: 'hello' });
    const running = client(s.configFile);

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'success');
    assert.equal(status.result?.exit_code, 0);
    assert.match(status.result?.output ?? '', /hello from stdout\n/);
    assert.match(status.result?.output ?? '', /hello from stderr\n/);
    await running.waitForOutput(/task finished job=\w+ provider=hello status=success exit_code=0 duration=\S+/);
    assert.match(running.output(), new RegExp(`task started job=${jobId} provider=hello`));
    assert.match(running.output(), /\[\w+ stdout\] hello from stdout/);
    const { code } = await running.stop();
    assert.equal(code, 0);
  });

  it('reports a non-zero exit as failed with "exit error" and the exit code', async () => {
    const s = scene();
    writeProvider(s.providers, 'broken', '#!/bin/sh\necho "something went wrong" >&2\nexit 3\n');
    const jobId = await createJob(server, s.node, { provider: 'broken' });
    client(s.configFile);

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'failed');
    assert.equal(status.result?.exit_code, 3);
    assert.equal(status.result?.reason, 'exit error');
    assert.match(status.result?.output ?? '', /something went wrong/);
  });

  it('reports a provider that is not installed as failed with the lookup error', async () => {
    const s = scene();
    const jobId = await createJob(server, s.node, { provider: 'absent' });
    client(s.configFile);

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'failed');
    assert.equal(status.result?.reason, 'exec: "foodtruck-provider-absent": executable file not found in $PATH');
  });

  it('finds providers on PATH after providers_path', async () => {
    const s = scene();
    const onPath = path.join(s.dir, 'on-path');
    mkdirSync(onPath);
    writeProvider(onPath, 'pathfound', '#!/bin/sh\necho "found on PATH"\n');
    const jobId = await createJob(server, s.node, { provider: 'pathfound' });
    client(s.configFile, { PATH: `${onPath}:${process.env.PATH ?? ''}` });

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'success');
    assert.match(status.result?.output ?? '', /found on PATH/);
  });

  it('hands the spec to the provider byte-exact on stdin, unicode included', async () => {
    const s = scene();
    const received = path.join(s.dir, 'received.json');
    writeProvider(s.providers, 'capture', `#!/bin/sh\ncat > '${received}'\n`);
    const spec = {
      url: 'https://example.com/policy.tar.gz',
      text: 'héllo wörld ☃ 日本語 😀 \u2028 "quoted" back\\slash tab\t newline\n',
      nested: { list: [1, 2.5, -3e-7, true, false, null], empty: {} },
    };
    const jobId = await createJob(server, s.node, { provider: 'capture', spec });
    client(s.configFile);

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'success', JSON.stringify(status));
    assert.deepEqual(readFileSync(received), Buffer.from(JSON.stringify(spec), 'utf8'));
  });

  it('keeps the node API key from providers and tells them which job they run', async () => {
    const s = scene({ auth: { type: 'apiKey' } });
    const envFile = path.join(s.dir, 'env.txt');
    writeProvider(s.providers, 'env', `#!/bin/sh\nenv > '${envFile}'\n`);
    const jobId = await createJob(server, s.node, { provider: 'env' });
    client(s.configFile, { NODES_API_KEY: server.nodesKey });

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'success', 'the key came from NODES_API_KEY');
    const env = readFileSync(envFile, 'utf8');
    assert.doesNotMatch(env, /NODES_API_KEY/);
    assert.ok(!env.includes(server.nodesKey));
    assert.match(env, new RegExp(`^FOODTRUCK_JOB_ID=${jobId}$`, 'm'));
    assert.match(env, new RegExp(`^FOODTRUCK_NODE_NAME=${s.node.name}$`, 'm'));
  });

  it('sends the last 64 KiB of a long output, ending with the last line, saying how much was cut and starting at a line', async () => {
    const s = scene();
    writeProvider(
      s.providers,
      'chatty',
      '#!/bin/sh\ni=0\nwhile [ $i -lt 4000 ]; do echo "line $i: padding padding padding padding padding"; i=$((i+1)); done\necho "the very last line"\n',
    );
    const jobId = await createJob(server, s.node, { provider: 'chatty' });
    client(s.configFile);

    const status = await statusOf(jobId, s.node);
    const output = status.result?.output ?? '';
    assert.ok(Buffer.byteLength(output) <= 64 * 1024, `output is ${Buffer.byteLength(output)} bytes`);
    assert.ok(Buffer.byteLength(output) > 60 * 1024);
    assert.match(output, /the very last line\n$/);
    assert.doesNotMatch(output, /line 0:/);
    // "line N: padding..." lines of known length: what was cut is counted to the byte.
    const marker = /^… ([\d,]+) bytes cut\nline (\d+): padding/.exec(output);
    assert.ok(marker, output.slice(0, 80));
    const firstKept = Number(marker[2]);
    const cutBytes = Array.from({ length: firstKept }, (_, i) => Buffer.byteLength(`line ${i}: padding padding padding padding padding\n`)).reduce((a, b) => a + b, 0);
    assert.equal(marker[1], cutBytes.toLocaleString('en-US'));
  });

  it("stops the provider's whole process tree when the task's timeout passes", async () => {
    const s = scene();
    const pidFile = path.join(s.dir, 'grandchild.pid');
    writeProvider(s.providers, 'slow', `#!/bin/sh\nsleep 300 &\necho $! > '${pidFile}'\necho "working"\nsleep 300\n`);
    // Written as 1000ms, not 1s: the node's reason shows it as the job does.
    const jobId = await createJob(server, s.node, { provider: 'slow', timeout: '1000ms' });
    const started = Date.now();
    client(s.configFile);

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'failed');
    assert.equal(status.result?.exit_code, -1);
    assert.match(status.result?.reason ?? '', /^timeout exceeded: the provider ran longer than the task's timeout of 1000ms and was stopped$/);
    assert.match(status.result?.output ?? '', /working/);
    assert.ok(Date.now() - started < 15_000);
    const [grandchild] = (await waitFor(() => readPids(pidFile, 1), 10_000, () => 'no pid written')) as [number];
    await waitFor(() => (isAlive(grandchild) ? undefined : true), 10_000, () => `process ${grandchild} still runs`);
  });

  it('honours a task timeout beyond what one Node timer can hold (720h): the provider runs to its end', async () => {
    const s = scene();
    writeProvider(s.providers, 'patient', '#!/bin/sh\nsleep 1\necho "ran to the end"\n');
    const jobId = await createJob(server, s.node, { provider: 'patient', timeout: '720h' });
    const running = client(s.configFile);

    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'success', JSON.stringify(status));
    assert.match(status.result?.output ?? '', /ran to the end/);
    assert.match(running.output(), /task started job=\w+ provider=patient timeout=720h/);
  });

  it('lets a running provider finish on SIGTERM, reports it, and exits 0', async () => {
    const s = scene();
    const startedFile = path.join(s.dir, 'started');
    writeProvider(s.providers, 'finishing', `#!/bin/sh\ntouch '${startedFile}'\nsleep 1\necho "finished cleanly"\n`);
    const jobId = await createJob(server, s.node, { provider: 'finishing' });
    const running = client(s.configFile);
    await waitFor(() => (existsSync(startedFile) ? true : undefined), 20_000, () => running.output());

    const { code } = await running.stop('SIGTERM');
    assert.equal(code, 0);
    assert.match(running.output(), /stopping: waiting for the running provider/);
    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'success');
    assert.match(status.result?.output ?? '', /finished cleanly/);
  });

  it('stops a provider that outlasts the shutdown grace period and reports it failed', async () => {
    const s = scene({ shutdown_grace: '500ms' });
    const startedFile = path.join(s.dir, 'started');
    writeProvider(s.providers, 'stubborn', `#!/bin/sh\ntouch '${startedFile}'\nsleep 300\n`);
    const jobId = await createJob(server, s.node, { provider: 'stubborn' });
    const running = client(s.configFile);
    await waitFor(() => (existsSync(startedFile) ? true : undefined), 20_000, () => running.output());

    const { code } = await running.stop('SIGTERM');
    assert.equal(code, 0);
    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'failed');
    assert.match(status.result?.reason ?? '', /client was stopped \(SIGTERM\).*500ms grace period/);
  });

  it('reports a task failed with a clear reason when the client was killed while running it', async () => {
    const s = scene();
    const pidFile = path.join(s.dir, 'provider.pid');
    writeProvider(s.providers, 'orphaned', `#!/bin/sh\necho $$ > '${pidFile}'\nsleep 300\n`);
    const jobId = await createJob(server, s.node, { provider: 'orphaned' });
    const first = client(s.configFile);
    await statusOf(jobId, s.node, (status) => status.status === 'running');
    const [providerPid] = (await waitFor(() => readPids(pidFile, 1), 10_000, () => first.output())) as [number];
    await first.kill();
    // The provider outlives a SIGKILLed client (under systemd its cgroup goes with it); end it here.
    cleanups.push(() => {
      try {
        process.kill(-providerPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    });

    const second = client(s.configFile);
    const status = await statusOf(jobId, s.node);
    assert.equal(status.status, 'failed');
    assert.equal(status.result?.exit_code, -1);
    assert.match(status.result?.reason ?? '', /^the client stopped while the provider was running/);
    await second.waitForOutput(/task interrupted by a client restart, reported failed job=\w+ provider=orphaned/);
  });

  it('drops a queued status the server will never take (404) and goes on with its work', async () => {
    const s = scene();
    writeProvider(s.providers, 'quick', '#!/bin/sh\nexit 0\n');
    // Left by an earlier run: a result for a job that never targeted this node.
    Outbox.open(path.join(s.stateDir, 'outbox')).put({
      job_id: '0123456789abcdef01234567',
      status: 'success',
      result: { exit_code: 0, reason: '' },
    });
    const jobId = await createJob(server, s.node, { provider: 'quick' });
    const running = client(s.configFile);

    assert.equal((await statusOf(jobId, s.node)).status, 'success');
    assert.match(running.output(), /status refused by the server, dropped job=0123456789abcdef01234567 status=success answer=404/);
    const outbox = path.join(s.stateDir, 'outbox');
    await waitFor(() => (readdirSync(outbox).length === 0 ? true : undefined), 10_000, () => readdirSync(outbox).join(', '));
  });

  it('polls again after a task and runs the next one', async () => {
    const s = scene();
    writeProvider(s.providers, 'quick', '#!/bin/sh\nexit 0\n');
    const first = await createJob(server, s.node, { provider: 'quick' });
    const second = await createJob(server, s.node, { provider: 'quick' });
    client(s.configFile);
    assert.equal((await statusOf(first, s.node)).status, 'success');
    assert.equal((await statusOf(second, s.node)).status, 'success');
  });
});

describe('node client while the server is down', () => {
  it('keeps a result finished while the server was down and delivers it when the server is back', async () => {
    let server = await startServer();
    const { dataDir, adminKey, nodesKey, port, url } = server;
    const s = makeScene(server);
    const startedFile = path.join(s.dir, 'started');
    const goFile = path.join(s.dir, 'go');
    writeProvider(
      s.providers,
      'waits',
      `#!/bin/sh\ntouch '${startedFile}'\nwhile [ ! -e '${goFile}' ]; do sleep 0.1; done\necho "done while the server was away"\n`,
    );
    const jobId = await createJob(server, s.node, { provider: 'waits' });
    const running = startClient(s.configFile);
    try {
      await waitFor(() => (existsSync(startedFile) ? true : undefined), 20_000, () => running.output());
      await waitForStatus(() => url, adminKey, jobId, `${s.node.org}/${s.node.name}`, (status) => status.status === 'running');
      await server.stop();

      writeFileSync(goFile, '');
      await running.waitForOutput(/status not delivered, kept for a later attempt job=\w+ status=success/);

      server = await startServer({ dataDir, adminKey, nodesKey, port });
      const status = await waitForStatus(() => server.url, adminKey, jobId, `${s.node.org}/${s.node.name}`);
      assert.equal(status.status, 'success');
      assert.match(status.result?.output ?? '', /done while the server was away/);
      await running.waitForOutput(/status delivered job=\w+ status=success/);
    } finally {
      await running.kill();
      await server.stop();
      server.cleanup();
      s.remove();
    }
  });

  it('delivers a result left undelivered by a client that was restarted', async () => {
    let server = await startServer();
    const { dataDir, adminKey, nodesKey, port, url } = server;
    const s = makeScene(server);
    const startedFile = path.join(s.dir, 'started');
    const goFile = path.join(s.dir, 'go');
    writeProvider(s.providers, 'waits', `#!/bin/sh\ntouch '${startedFile}'\nwhile [ ! -e '${goFile}' ]; do sleep 0.1; done\n`);
    const jobId = await createJob(server, s.node, { provider: 'waits' });
    let running = startClient(s.configFile);
    try {
      await waitFor(() => (existsSync(startedFile) ? true : undefined), 20_000, () => running.output());
      await waitForStatus(() => url, adminKey, jobId, `${s.node.org}/${s.node.name}`, (status) => status.status === 'running');
      await server.stop();
      writeFileSync(goFile, '');
      await running.waitForOutput(/status not delivered, kept for a later attempt job=\w+ status=success/);
      await running.kill();

      server = await startServer({ dataDir, adminKey, nodesKey, port });
      running = startClient(s.configFile);
      const status = await waitForStatus(() => server.url, adminKey, jobId, `${s.node.org}/${s.node.name}`);
      assert.equal(status.status, 'success');
    } finally {
      await running.kill();
      await server.stop();
      server.cleanup();
      s.remove();
    }
  });
});
