// Transient storage errors under contention: two server processes on one FerretDB database (its
// SQLite backend, which answers "database is locked" when writers collide), 200 concurrent polls.
// Every answer is a task, "no tasks available" or 503 with Retry-After, never 500; and no task is
// lost: polling on (as the client does after a 503) hands every task out exactly once.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { call, jobBody, type Answer } from './support/api-client.js';
import { FerretDb, findFerretDb } from './support/mongodb-server.js';
import { randomKey, startServer, type ServerProcess } from './support/server-process.js';

const ferretDb = findFerretDb();
const REQUIRED = process.env.FOODTRUCK_REQUIRE_MONGODB === '1';
if (!ferretDb && REQUIRED) throw new Error('FOODTRUCK_REQUIRE_MONGODB=1 but no ferretdb on PATH or in ~/go/bin');

describe('two server processes on one FerretDB (SQLite backend) under 200 concurrent polls', { skip: ferretDb ? false : 'no ferretdb' }, () => {
  it('answers 503 with Retry-After, never 500, and loses no task', async () => {
    const database = await FerretDb.start(ferretDb as string);
    const servers: ServerProcess[] = [];
    try {
      const env = { MONGODB_CONNECTION_STRING: database.connectionString, MONGODB_DATABASE_NAME: 'busy' };
      const keys = { adminKey: randomKey(), nodesKey: randomKey() };
      servers.push(...(await Promise.all([startServer({ env, ...keys }), startServer({ env, ...keys })])));
      const [a, b] = servers as [ServerProcess, ServerProcess];
      const nodes = Array.from({ length: 100 }, (_, i) => ({ org: 'fleet', name: `node-${i}` }));
      const created = await call(`${a.url}/admin/jobs`, { key: keys.adminKey, json: jobBody(nodes) });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const jobId = created.body.id as string;

      const poll = (server: ServerProcess, name: string) =>
        call(`${server.url}/organizations/fleet/foodtruck/nodes/${name}/tasks/next`, { method: 'POST', key: keys.nodesKey });
      const handed = new Map<string, number>();
      const unavailable: Answer[] = [];
      const record = (name: string, answer: Answer) => {
        if (answer.status === 200) {
          assert.equal(answer.body.job_id, jobId);
          handed.set(name, (handed.get(name) ?? 0) + 1);
        } else if (answer.status === 503) {
          assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/, 'a 503 says when to retry');
          assert.equal(typeof answer.body.message, 'string');
          unavailable.push(answer);
        } else {
          const failures = servers.flatMap((server) => server.output().split('\n').filter((line) => line.includes('request failed')));
          assert.deepEqual([answer.status, answer.body], [404, { message: 'no tasks available' }], failures.slice(0, 2).join('\n'));
        }
      };
      // Two polls per node, one to each server, all at once.
      const first = await Promise.all(
        nodes.flatMap((node) => [a, b].map(async (server) => ({ name: node.name, answer: await poll(server, node.name) }))),
      );
      for (const { name, answer } of first) record(name, answer);
      // Then each node polls on as the client does, until it is told there is nothing left (the
      // nodes side by side, each one's polls one after the other).
      await Promise.all(
        nodes.map(async (node) => {
          for (let i = 0, misses = 0; misses < 2 && i < 20; i++) {
            const answer = await poll(i % 2 === 0 ? a : b, node.name);
            record(node.name, answer);
            misses = answer.status === 404 ? misses + 1 : 0;
          }
        }),
      );
      console.log(`# 503 answers: ${unavailable.length} (${[...new Set(unavailable.map((answer) => answer.body.message))].join('; ')})`);
      assert.equal(handed.size, nodes.length, 'every task handed out');
      for (const [name, times] of handed) assert.equal(times, 1, `${name} handed out ${times} times`);
      // A read may meet the same contention and answer 503 too: retry it, as a client would.
      let statuses = await call(`${b.url}/admin/jobs/${jobId}/summary`, { key: keys.adminKey });
      for (let tries = 1; statuses.status === 503 && tries < 10; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        statuses = await call(`${b.url}/admin/jobs/${jobId}/summary`, { key: keys.adminKey });
      }
      assert.equal(statuses.status, 200, JSON.stringify(statuses.body));
      assert.equal(statuses.body.summary.pending, nodes.length);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      for (const server of servers) server.cleanup();
      await database.stop();
      rmSync(database.dataDir, { recursive: true, force: true });
    }
  });
});
