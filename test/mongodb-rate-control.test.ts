// Rate control across two server processes on one FerretDB database: many nodes poll both
// servers at once and report; at no moment are more of the job's tasks handed out and unfinished
// than max_concurrency, and max_errors stops the job and cancels the rest.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, jobBody } from './support/api-client.js';
import { reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';
import { randomKey, startServer, type ServerProcess } from './support/server-process.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  describe('rate control across two server processes on one MongoDB database', () => {
    const databaseName = target.uniqueDatabaseName();
    const env = {
      MONGODB_CONNECTION_STRING: target.connectionString,
      MONGODB_DATABASE_NAME: databaseName,
      FOODTRUCK_COSMOS_DB: String(target.cosmos),
    };
    const keys = { adminKey: randomKey(), nodesKey: randomKey() };
    const servers: ServerProcess[] = [];
    const admin = (server: ServerProcess, path: string, json?: unknown) =>
      call(`${server.url}${path}`, { key: keys.adminKey, ...(json === undefined ? {} : { json }) });
    const nodeCall = (server: ServerProcess, node: { org: string; name: string }, verb: 'next' | 'status', json?: unknown) =>
      call(`${server.url}/organizations/${node.org}/foodtruck/nodes/${node.name}/tasks/${verb}`, {
        method: 'POST',
        key: keys.nodesKey,
        ...(json === undefined ? {} : { json }),
      });

    /**
     * Every node polls (alternating servers) until it got its task or the job is over; a node that
     * got one holds it for a moment and reports. Answers the most tasks handed out and not yet
     * reported at any moment, as the nodes saw it.
     */
    const runFleet = async (
      jobId: string,
      nodes: Array<{ org: string; name: string }>,
      outcome: (i: number) => 'success' | 'failed',
    ) => {
      let out = 0;
      let most = 0;
      const [a, b] = servers as [ServerProcess, ServerProcess];
      await Promise.all(
        nodes.map(async (node, i) => {
          for (let poll = 0; ; poll++) {
            const server = (i + poll) % 2 === 0 ? a : b;
            const answer = await nodeCall(server, node, 'next');
            if (answer.status === 200) {
              assert.equal(answer.body.job_id, jobId);
              out++;
              most = Math.max(most, out);
              await nodeCall(server, node, 'status', { job_id: jobId, status: 'running', heartbeat_interval: '30s' });
              await sleep(20 + Math.random() * 40);
              const status = outcome(i);
              const result = { exit_code: status === 'success' ? 0 : 1, reason: status === 'success' ? '' : 'exit error' };
              // Finished once the server acknowledged it: only then does its slot count as free.
              const other = server === a ? b : a;
              const report = await nodeCall(other, node, 'status', { job_id: jobId, status, result });
              out--;
              // A task handed out is never also cancelled by the stop: the stop cancels queued
              // tasks through their hand-out records, as claims take them.
              assert.equal(report.status, 200, JSON.stringify(report.body));
              return;
            }
            assert.equal(answer.status, 404, JSON.stringify(answer.body));
            const summary = (await admin(server, `/admin/jobs/${jobId}/summary`)).body;
            if (summary.summary.queued === 0) return;
            await sleep(10 + Math.random() * 30);
          }
        }),
      );
      return { most };
    };

    it('never has more than max_concurrency tasks out at once, whatever server the polls reach', async () => {
      try {
        servers.push(...(await Promise.all([startServer({ env, ...keys }), startServer({ env, ...keys })])));
        const nodes = Array.from({ length: 24 }, (_, i) => ({ org: 'fleet', name: `rc-${i}` }));
        const created = await admin(servers[0] as ServerProcess, '/admin/jobs', { ...jobBody(nodes), max_concurrency: 3 });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        const jobId = created.body.id as string;
        const { most } = await runFleet(jobId, nodes, () => 'success');
        assert.ok(most <= 3, `at most 3 out at once, saw ${most}`);
        assert.ok(most >= 2, `the limit is used, not just respected: saw ${most}`);
        const summary = (await admin(servers[1] as ServerProcess, `/admin/jobs/${jobId}/summary`)).body;
        assert.equal(summary.summary.success, 24, JSON.stringify(summary.summary));
      } finally {
        // The servers are shared with the next test; stopped there.
      }
    });

    it('stops the job once failures exceed max_errors and cancels the rest', async () => {
      try {
        const nodes = Array.from({ length: 20 }, (_, i) => ({ org: 'fleet', name: `errors-${i}` }));
        const created = await admin(servers[1] as ServerProcess, '/admin/jobs', {
          ...jobBody(nodes),
          max_concurrency: 2,
          max_errors: '10%',
        });
        const jobId = created.body.id as string;
        const { most } = await runFleet(jobId, nodes, () => 'failed');
        assert.ok(most <= 2, `at most 2 out at once, saw ${most}`);
        const job = (await admin(servers[0] as ServerProcess, `/admin/jobs/${jobId}`)).body.job;
        const { summary } = (await admin(servers[0] as ServerProcess, `/admin/jobs/${jobId}/summary`)).body;
        // 10% of 20 is 2: the third failure stops it, and no task goes out after it: a claim counts
        // the failures after taking its task's hand-out record, so it either counted before the
        // third failure was written (and its task was out when the failure came) or sees it and
        // cancels its task. The tasks out when the third failure came are at most max_concurrency,
        // that failure's own among them: at most 2 + 2 failures in all. (The nodes' own count of
        // tasks out, `most`, cannot bound it: a claim that counted just before the third failure may
        // reach its node just after that failure's node heard back.)
        assert.ok(job.stopped, 'stopped');
        assert.match(job.stopped.reason, /failed or timed out, more than max_errors \(10% = 2\)/);
        assert.ok(summary.failed >= 3 && summary.failed <= 2 + 2, JSON.stringify(summary));
        assert.equal(summary.failed + summary.cancelled, 20, JSON.stringify(summary));
        assert.equal(summary.queued, 0);
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
        for (const server of servers) server.cleanup();
        await target.dropDatabase(databaseName);
        await target.stop();
      }
    });
  });
} else {
  reportMongoUnavailable('rate control across two server processes on one MongoDB database', mongo.unavailable);
}
