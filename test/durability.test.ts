// A crash loses nothing that was answered with 200: the server is killed with SIGKILL and started
// again on the same data directory.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { randomKey, startServer } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

describe('durability of the embedded store', () => {
  const temp = makeTempDir();
  after(() => temp.remove());

  it('keeps every accepted job, task and reported status across a SIGKILL', async () => {
    const keys = { adminKey: randomKey(), nodesKey: randomKey() };
    const first = await startServer({ dataDir: temp.dir, ...keys });
    const nodes = Array.from({ length: 50 }, (_, i) => ({ org: 'org', name: `durable-${i}` }));
    const created = await call(`${first.url}/admin/jobs`, { key: first.adminKey, json: jobBody(nodes, { spec: { keep: 'me ✓' } }) });
    assert.equal(created.status, 200);
    const id = created.body.id as string;
    const nodeUrl = (name: string, verb: string) => `${first.url}/organizations/org/foodtruck/nodes/${name}/tasks/${verb}`;
    for (const [index, node] of nodes.slice(0, 10).entries()) {
      assert.equal((await call(nodeUrl(node.name, 'next'), { method: 'POST', key: first.nodesKey })).status, 200);
      const status = index % 2 === 0 ? 'success' : 'failed';
      const report = await call(nodeUrl(node.name, 'status'), {
        key: first.nodesKey,
        json: { job_id: id, status, result: { exit_code: index % 2, reason: index % 2 ? 'exit error' : '', output: `run ${index}` } },
      });
      assert.equal(report.status, 200);
    }
    assert.equal((await call(nodeUrl('durable-10', 'next'), { method: 'POST', key: first.nodesKey })).status, 200);
    const before = await call(`${first.url}/admin/jobs/${id}?fetchStatuses=true`, { key: first.adminKey });
    await first.kill();

    const second = await startServer({ dataDir: temp.dir, ...keys });
    try {
      const afterRestart = await call(`${second.url}/admin/jobs/${id}?fetchStatuses=true`, { key: second.adminKey });
      assert.equal(afterRestart.status, 200);
      assert.deepEqual(afterRestart.body, before.body);
      assert.deepEqual(afterRestart.body.summary, {
        queued: 39, pending: 1, running: 0, success: 5, failed: 5, timed_out: 0, expired: 0, cancelled: 0,
      });
      const retry = await call(`${second.url}/organizations/org/foodtruck/nodes/durable-10/tasks/next`, {
        method: 'POST',
        key: second.nodesKey,
      });
      assert.equal(retry.status, 404, 'a task handed out before the crash is not handed out again');
    } finally {
      await second.stop();
    }
  });

  it('keeps generated keys in the data directory, readable by the owner only, across restarts', async () => {
    const dir = makeTempDir();
    try {
      const first = await startServer({ dataDir: dir.dir, env: { ADMIN_API_KEY: undefined, NODES_API_KEY: undefined } });
      await first.stop();
      const { readFileSync, statSync } = await import('node:fs');
      const adminKey = readFileSync(`${dir.dir}/admin_api_key`, 'utf8').trim();
      const nodesKey = readFileSync(`${dir.dir}/nodes_api_key`, 'utf8').trim();
      assert.match(adminKey, /^[0-9a-f]{40}$/);
      assert.match(nodesKey, /^[0-9a-f]{40}$/);
      assert.notEqual(adminKey, nodesKey);
      assert.equal(statSync(`${dir.dir}/admin_api_key`).mode & 0o777, 0o600);
      assert.equal(statSync(`${dir.dir}/nodes_api_key`).mode & 0o777, 0o600);
      assert.match(first.output(), /ADMIN_API_KEY was not set: generated one and kept it in/);
      assert.equal(first.output().includes(adminKey), false, 'the key itself is never printed');

      const second = await startServer({ dataDir: dir.dir, env: { ADMIN_API_KEY: undefined, NODES_API_KEY: undefined } });
      try {
        assert.equal((await call(`${second.url}/admin/jobs`, { key: adminKey })).status, 200);
        assert.equal((await call(`${second.url}/admin/jobs`, { key: nodesKey })).status, 401);
      } finally {
        await second.stop();
      }
    } finally {
      dir.remove();
    }
  });
});
