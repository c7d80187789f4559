// The two graces of a lease, against the real server on both drivers, set short so that a test
// takes seconds: FOODTRUCK_DELIVERY_GRACE (a task handed out whose node never reported `running`)
// and FOODTRUCK_TIMEOUT_GRACE (a `running` report without `heartbeat_interval`, as the original Go
// client sends it once, times out at the task's `timeout` plus this grace). The node here is plain
// HTTP, polling and reporting exactly as the original Go client does.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { waitForStatus, type NodeStatus } from './support/client-process.js';
import { reportMongoUnavailable, serverDrivers, setUpMongoForTests } from './support/mongodb-server.js';
import { randomKey, startServer, type ServerProcess } from './support/server-process.js';

const DELIVERY_GRACE_MS = 2000;
const TIMEOUT_GRACE_MS = 3000;
/** The task's own `timeout`: with the grace, a running task without heartbeats has 6 s. */
const TASK_TIMEOUT = '3s';
const TASK_TIMEOUT_MS = 3000;
const GRACES_ENV = { FOODTRUCK_DELIVERY_GRACE: '2s', FOODTRUCK_TIMEOUT_GRACE: '3s' };

const mongo = await setUpMongoForTests();

const drivers = serverDrivers(mongo);

for (const driver of drivers) {
  describe(`lease graces as settings (${driver.name})`, () => {
    let server: ServerProcess;
    let nodeCount = 0;

    before(async () => {
      server = await startServer({ env: { ...driver.env(), ...GRACES_ENV }, adminKey: randomKey(), nodesKey: randomKey() });
    });
    after(async () => {
      await server?.stop();
      server?.cleanup();
      await driver.done();
    });

    const newNode = () => ({ org: 'graces', name: `node-${process.pid}-${++nodeCount}` });
    const nodeUrl = (node: { org: string; name: string }, route: string) =>
      `${server.url}/organizations/${node.org}/foodtruck/nodes/${node.name}/tasks/${route}`;
    async function createJob(node: { org: string; name: string }, task: Record<string, unknown> = {}): Promise<string> {
      const answer = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { provider: 'infra', ...task }) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.id as string;
    }
    async function poll(node: { org: string; name: string }, jobId: string): Promise<void> {
      const answer = await call(nodeUrl(node, 'next'), { method: 'POST', key: server.nodesKey });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.job_id, jobId);
    }
    const report = (node: { org: string; name: string }, body: Record<string, unknown>) =>
      call(nodeUrl(node, 'status'), { method: 'POST', key: server.nodesKey, json: body });
    const statusOf = (jobId: string, node: { org: string; name: string }, until: (status: NodeStatus) => boolean) =>
      waitForStatus(() => server.url, server.adminKey, jobId, `${node.org}/${node.name}`, until, 60_000);

    it('a task handed out but never reported running becomes timed_out after FOODTRUCK_DELIVERY_GRACE', async () => {
      const node = newNode();
      const jobId = await createJob(node);
      const polledAt = Date.now();
      await poll(node, jobId);
      const first = await statusOf(jobId, node, () => true);
      // Only when the read came in time can it prove anything (a loaded machine may be slower).
      if (Date.now() - polledAt < DELIVERY_GRACE_MS) assert.equal(first.status, 'pending');

      const ended = await statusOf(jobId, node, (status) => status.status !== 'pending');
      const seenAfter = Date.now() - polledAt;
      assert.equal(ended.status, 'timed_out', JSON.stringify(ended));
      assert.ok(seenAfter >= DELIVERY_GRACE_MS, `timed_out ${seenAfter} ms after the poll, before the delivery grace could pass`);
      const summary = await call(`${server.url}/admin/jobs/${jobId}/summary`, { key: server.adminKey });
      assert.equal(summary.body.summary.timed_out, 1, JSON.stringify(summary.body));
      // Too late to start: a late running report does not reopen it.
      const late = await report(node, { job_id: jobId, status: 'running' });
      assert.equal(late.status, 409, JSON.stringify(late.body));
      assert.equal(late.body.message, 'task is already timed_out and cannot change');
    });

    it("a running report without heartbeat_interval (the original Go client) times out at the task's timeout plus FOODTRUCK_TIMEOUT_GRACE, and its late final report wins", async () => {
      const node = newNode();
      const jobId = await createJob(node, { timeout: TASK_TIMEOUT });
      await poll(node, jobId);
      const reportedAt = Date.now();
      const running = await report(node, { job_id: jobId, status: 'running' });
      assert.equal(running.status, 200, JSON.stringify(running.body));
      assert.deepEqual(running.body, {});

      // Past the delivery grace, and past the task's timeout alone, it still runs.
      const deadline = TASK_TIMEOUT_MS + TIMEOUT_GRACE_MS;
      await new Promise((resolve) => setTimeout(resolve, TASK_TIMEOUT_MS + 500));
      const midway = await statusOf(jobId, node, () => true);
      if (Date.now() - reportedAt < deadline) assert.equal(midway.status, 'running', JSON.stringify(midway));

      const ended = await statusOf(jobId, node, (status) => status.status !== 'running');
      const seenAfter = Date.now() - reportedAt;
      assert.equal(ended.status, 'timed_out', JSON.stringify(ended));
      assert.ok(seenAfter >= deadline, `timed_out ${seenAfter} ms after the running report, before timeout + grace (${deadline} ms)`);

      const final = await report(node, { job_id: jobId, status: 'success', result: { exit_code: 0, reason: 'finished late' } });
      assert.equal(final.status, 200, JSON.stringify(final.body));
      const kept = await statusOf(jobId, node, () => true);
      assert.equal(kept.status, 'success', JSON.stringify(kept));
    });
  });
}

if (!('target' in mongo)) reportMongoUnavailable('lease graces as settings (MongoDB)', mongo.unavailable);
