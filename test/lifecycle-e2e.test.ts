// A task's whole life with real processes on both drivers: the real server, the real client
// process, real provider scripts. A dead node's task times out; a live node's long task does not;
// a cancel reaches a running provider and every process it started.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
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
  type NodeStatus,
} from './support/client-process.js';
import { reportMongoUnavailable, serverDrivers, setUpMongoForTests } from './support/mongodb-server.js';
import { randomKey, startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

/**
 * The server's lease floor, short so that a test takes seconds rather than minutes: a task whose
 * node declared heartbeats times out after max(floor, 4 x heartbeat) without a report.
 */
const LEASE_ENV = { FOODTRUCK_HEARTBEAT_LEASE_MIN: '3s' };
const LEASE_MIN_MS = 3000;
/** The client's heartbeat in these tests: 4 x 300ms is below LEASE_MIN, so the lease is 3 s. */
const HEARTBEAT = '300ms';

const mongo = await setUpMongoForTests();

const drivers = serverDrivers(mongo);

for (const driver of drivers) {
  describe(`a task's life with the real client (${driver.name})`, () => {
    let server: ServerProcess;
    let sceneCount = 0;
    const cleanups: Array<() => Promise<void> | void> = [];

    before(async () => {
      server = await startServer({ env: { ...driver.env(), ...LEASE_ENV }, adminKey: randomKey(), nodesKey: randomKey() });
    });
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await server?.stop();
      server?.cleanup();
      await driver.done();
    });

    function scene() {
      const temp = makeTempDir('foodtruck-lifecycle-');
      cleanups.push(temp.remove);
      const providers = path.join(temp.dir, 'providers');
      mkdirSync(providers);
      const node = { org: 'lifecycle', name: `node-${process.pid}-${++sceneCount}` };
      const configFile = writeClientConfig(temp.dir, {
        base_url: server.url,
        auth: { type: 'apiKey', key: server.nodesKey },
        node,
        interval: '200ms',
        heartbeat: HEARTBEAT,
        providers_path: providers,
        state_dir: path.join(temp.dir, 'state'),
      });
      return { dir: temp.dir, providers, node, configFile };
    }
    function client(configFile: string): ClientProcess {
      const started = startClient(configFile);
      cleanups.push(() => started.kill());
      return started;
    }
    /** Ends a process group that a SIGKILLed client left behind. */
    function reapGroup(pid: number) {
      cleanups.push(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      });
    }
    async function createJob(node: { org: string; name: string }, task: Record<string, unknown>): Promise<string> {
      const answer = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], task) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.id as string;
    }
    const statusOf = (jobId: string, node: { org: string; name: string }, until: (status: NodeStatus) => boolean, timeoutMs = 30_000) =>
      waitForStatus(() => server.url, server.adminKey, jobId, `${node.org}/${node.name}`, until, timeoutMs);

    it('a client SIGKILLed while its provider runs: the task becomes timed_out within the lease', async () => {
      const s = scene();
      const pidFile = path.join(s.dir, 'provider.pid');
      writeProvider(s.providers, 'orphaned', `#!/bin/sh\necho $$ > '${pidFile}'\nsleep 300\n`);
      const jobId = await createJob(s.node, { provider: 'orphaned' });
      const running = client(s.configFile);
      await statusOf(jobId, s.node, (status) => status.status === 'running');
      const [providerPid] = await waitFor(() => readPids(pidFile, 1), 10_000, () => running.output());
      reapGroup(providerPid as number);

      await running.kill();
      const status = await statusOf(jobId, s.node, (status) => status.status !== 'running', 30_000);
      assert.equal(status.status, 'timed_out', JSON.stringify(status));
      // The lease runs from the last heartbeat the server stored, which `last_updated` still shows.
      // (Not from the kill: on a loaded machine the client's last heartbeat can come well before it.)
      const afterLastReport = Date.now() - Date.parse(status.last_updated ?? '');
      assert.ok(afterLastReport >= LEASE_MIN_MS, `timed out ${afterLastReport} ms after the last report, before the lease could pass`);
      const summary = await call(`${server.url}/admin/jobs/${jobId}/summary`, { key: server.adminKey });
      assert.equal(summary.body.summary.timed_out, 1);
    });

    it('a long provider on a live client never times out: its heartbeats keep the task alive', async () => {
      const s = scene();
      // Three leases long.
      writeProvider(s.providers, 'long', `#!/bin/sh\nsleep ${(3 * LEASE_MIN_MS) / 1000}\necho "still here"\n`);
      const jobId = await createJob(s.node, { provider: 'long' });
      client(s.configFile);
      await statusOf(jobId, s.node, (status) => status.status === 'running');

      const seen = new Set<string>();
      const final = await statusOf(
        jobId,
        s.node,
        (status) => {
          seen.add(status.status);
          return status.status === 'success' || status.status === 'failed';
        },
        60_000,
      );
      assert.equal(final.status, 'success', JSON.stringify(final));
      assert.match(final.result?.output ?? '', /still here/);
      assert.equal(seen.has('timed_out'), false, `statuses seen: ${[...seen].join(', ')}`);
    });

    it("a cancel stops the running provider's whole process tree and the task ends cancelled with its output", async () => {
      const s = scene();
      const pidFile = path.join(s.dir, 'pids');
      writeProvider(
        s.providers,
        'tree',
        `#!/bin/sh\nsh -c 'while true; do sleep 0.2; done' &\necho "$$ $!" > '${pidFile}'\necho "halfway there"\nsleep 300\n`,
      );
      const jobId = await createJob(s.node, { provider: 'tree' });
      const running = client(s.configFile);
      const pids = await waitFor(() => readPids(pidFile, 2), 20_000, () => running.output());
      await statusOf(jobId, s.node, (status) => status.status === 'running');
      assert.equal(pids.length, 2);
      for (const pid of pids) assert.ok(isAlive(pid));

      const cancel = await call(`${server.url}/admin/jobs/${jobId}/cancel`, { method: 'POST', key: server.adminKey });
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      assert.equal(cancel.body.stopping, 1);
      const status = await statusOf(jobId, s.node, (status) => status.status === 'cancelled' && status.result !== undefined);
      assert.equal(status.result?.reason, 'cancelled by an administrator');
      assert.match(status.result?.output ?? '', /halfway there/);
      for (const pid of pids) await waitFor(() => (isAlive(pid) ? undefined : true), 5_000, () => `process ${pid} still runs`);
      await running.waitForOutput(/task finished job=\w+ provider=tree status=cancelled/);
    });
  });
}

if (!('target' in mongo)) reportMongoUnavailable("a task's life with the real client (MongoDB)", mongo.unavailable);
