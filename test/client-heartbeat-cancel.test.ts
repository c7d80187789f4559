// The real client process against a scripted stand-in for the node routes: what it sends while a
// provider runs (heartbeats), and what it does when an answer says the task was cancelled.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAlive, readPids, startClient, waitFor, writeClientConfig, writeProvider, type ClientProcess } from './support/client-process.js';
import { startScriptedNodeServer, type RecordedReport, type ScriptedNodeServer } from './support/scripted-node-server.js';
import { makeTempDir } from './support/temp-dir.js';

let jobCount = 0;
const newJobId = () => `${process.pid.toString(16).padStart(8, '0')}${String(++jobCount).padStart(16, '0')}`.slice(-24);

describe('client heartbeats and cancel handling', () => {
  let server: ScriptedNodeServer;
  const cleanups: Array<() => Promise<void> | void> = [];

  // Each test its own stand-in server and client: a client left polling would take the next test's task.
  beforeEach(async () => {
    server = await startScriptedNodeServer();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server.close();
  });

  function scene(extra: Record<string, unknown> = {}) {
    const temp = makeTempDir('foodtruck-heartbeat-');
    cleanups.push(temp.remove);
    const providers = path.join(temp.dir, 'providers');
    mkdirSync(providers);
    const configFile = writeClientConfig(temp.dir, {
      base_url: server.url,
      auth: { type: 'apiKey', key: 'scripted-key' },
      node: { org: 'testorg', name: 'node1' },
      interval: '200ms',
      providers_path: providers,
      state_dir: path.join(temp.dir, 'state'),
      ...extra,
    });
    return { dir: temp.dir, providers, configFile };
  }
  function client(configFile: string): ClientProcess {
    const started = startClient(configFile);
    cleanups.push(() => started.kill());
    return started;
  }
  const reportsOf = (jobId: string) => server.reports.filter((report) => report.body.job_id === jobId);
  const finalOf = (jobId: string, timeoutMs = 30_000) =>
    waitFor(
      () => reportsOf(jobId).find((report) => report.body.status !== 'running'),
      timeoutMs,
      () => `no final report for ${jobId}: ${JSON.stringify(reportsOf(jobId))}`,
    );

  it('declares its heartbeat on `running` and re-reports `running` at that interval until the final report', async () => {
    const s = scene({ heartbeat: '300ms' });
    writeProvider(s.providers, 'steady', '#!/bin/sh\nsleep 2\necho done\n');
    const jobId = newJobId();
    server.answerReports(() => ({ status: 200, body: {} }));
    server.offer({ job_id: jobId, provider: 'steady', spec: null });
    client(s.configFile);

    const final = await finalOf(jobId);
    assert.equal(final.body.status, 'success');
    const running = reportsOf(jobId).filter((report) => report.body.status === 'running');
    assert.ok(running.length >= 3, `only ${running.length} running report(s)`);
    for (const report of running) assert.equal(report.body.heartbeat_interval, '300ms');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const last = reportsOf(jobId).at(-1) as RecordedReport;
    assert.equal(last.body.status, 'success', 'no heartbeat after the final report');
  });

  it('sends no second heartbeat while one is unanswered, and the final report does not wait for it', async () => {
    const s = scene({ heartbeat: '200ms', request_timeout: '30s' });
    writeProvider(s.providers, 'steady', '#!/bin/sh\nsleep 2\necho done\n');
    const jobId = newJobId();
    // The first heartbeat (the second `running`) hangs for 20 s; everything else is answered at once.
    server.answerReports((report) => {
      const runningSoFar = reportsOf(jobId).filter((r) => r.body.status === 'running').length;
      return report.job_id === jobId && report.status === 'running' && runningSoFar === 2
        ? { status: 200, body: {}, delayMs: 20_000 }
        : { status: 200, body: {} };
    });
    server.offer({ job_id: jobId, provider: 'steady', spec: null });
    const started = Date.now();
    client(s.configFile);

    const final = await finalOf(jobId);
    assert.equal(final.body.status, 'success');
    assert.ok(final.at - started < 15_000, 'the final report waited for the hanging heartbeat');
    const running = reportsOf(jobId).filter((report) => report.body.status === 'running');
    assert.equal(running.length, 2, `running reports: ${running.length}`);
  });

  it('tries a failed heartbeat again at the next tick and still delivers the final report', async () => {
    const s = scene({ heartbeat: '200ms' });
    writeProvider(s.providers, 'steady', '#!/bin/sh\nsleep 2\necho done\n');
    const jobId = newJobId();
    server.answerReports((report, index) => {
      const first = server.reports.findIndex((r) => r.body.job_id === jobId);
      const failing = report.status === 'running' && index > first && index <= first + 3;
      return failing ? { status: 503, body: { message: 'unavailable' } } : { status: 200, body: {} };
    });
    server.offer({ job_id: jobId, provider: 'steady', spec: null });
    const running = client(s.configFile);

    const final = await finalOf(jobId);
    assert.equal(final.body.status, 'success');
    assert.ok(reportsOf(jobId).filter((report) => report.body.status === 'running').length >= 5);
    assert.match(running.output(), /heartbeat not delivered, trying again at the next one/);
    assert.match(running.output(), /heartbeat delivered again/);
  });

  it("stops the provider's whole process tree when a heartbeat's answer says cancel, and reports `cancelled` with the output so far", async () => {
    const s = scene({ heartbeat: '300ms' });
    const pidFile = path.join(s.dir, 'pids');
    // The child ignores SIGTERM: only the SIGKILL after the grace period ends it.
    writeProvider(
      s.providers,
      'long',
      `#!/bin/sh\nsh -c 'trap "" TERM; while true; do sleep 0.2; done' &\necho "$$ $!" > '${pidFile}'\necho "working on it"\nsleep 300\n`,
    );
    const jobId = newJobId();
    server.answerReports((report) => {
      const heartbeat = report.status === 'running' && reportsOf(jobId).filter((r) => r.body.status === 'running').length > 2;
      return { status: 200, body: heartbeat ? { cancel: true } : {} };
    });
    server.offer({ job_id: jobId, provider: 'long', spec: null });
    const running = client(s.configFile);

    const pids = await waitFor(() => readPids(pidFile, 2), 20_000, () => running.output());
    const final = await finalOf(jobId, 40_000);
    assert.equal(final.body.status, 'cancelled');
    const result = final.body.result as { exit_code: number; reason: string; output: string };
    assert.equal(result.reason, 'cancelled by an administrator');
    assert.equal(result.exit_code, -1);
    assert.match(result.output, /working on it/);
    // Reported once the tree is gone; a moment more for the system to reap what was reparented.
    for (const pid of pids) await waitFor(() => (isAlive(pid) ? undefined : true), 5_000, () => `process ${pid} still runs`);
    assert.match(running.output(), /the server asked to stop the task: an administrator cancelled it/);
  });

  it('does not start the provider when the answer to the first `running` says cancel', async () => {
    const s = scene();
    const marker = path.join(s.dir, 'started');
    writeProvider(s.providers, 'never', `#!/bin/sh\ntouch '${marker}'\n`);
    const jobId = newJobId();
    server.answerReports((report) => ({ status: 200, body: report.status === 'running' ? { cancel: true } : {} }));
    server.offer({ job_id: jobId, provider: 'never', spec: null });
    client(s.configFile);

    const final = await finalOf(jobId);
    assert.equal(final.body.status, 'cancelled');
    const result = final.body.result as { exit_code: number; reason: string; output: string };
    assert.equal(result.reason, 'cancelled by an administrator before the provider started');
    assert.equal(existsSync(marker), false);
  });
});
