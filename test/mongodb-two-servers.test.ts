// Many stateless servers, one database: the way Foodtruck grows past one machine.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { freshMongoDatabase, reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';
import { startServerGroup, type ServerProcess } from './support/server-process.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  describe('two server processes on one MongoDB database', () => {
    it('hands every task out exactly once when polls for the same nodes are spread over both', async () => {
      const database = await freshMongoDatabase(target);
      const group = await startServerGroup(2, { env: database.env });
      const keys = { adminKey: group.adminKey, nodesKey: group.nodesKey };
      try {
        const [a, b] = group.servers as [ServerProcess, ServerProcess];
        const nodes = Array.from({ length: 5 }, (_, i) => ({ org: 'fleet', name: `node-${i}` }));
        const jobIds: string[] = [];
        for (let i = 0; i < 8; i++) {
          const server = i % 2 === 0 ? a : b;
          const answer = await call(`${server.url}/admin/jobs`, { key: keys.adminKey, json: jobBody(nodes) });
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          jobIds.push(answer.body.id as string);
        }
        const poll = (server: ServerProcess, node: { org: string; name: string }) =>
          call(`${server.url}/organizations/${node.org}/foodtruck/nodes/${node.name}/tasks/next`, {
            method: 'POST',
            key: keys.nodesKey,
          }).then((answer) => ({ node, answer }));

        const handed = new Map<string, number>();
        const record = ({ node, answer }: Awaited<ReturnType<typeof poll>>) => {
          if (answer.status === 404) {
            assert.equal(answer.body.message, 'no tasks available');
            return false;
          }
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          const key = `${answer.body.job_id as string} ${node.name}`;
          handed.set(key, (handed.get(key) ?? 0) + 1);
          return true;
        };
        // 12 concurrent polls per node, alternating between the servers: more polls than tasks.
        const concurrent = nodes.flatMap((node) => Array.from({ length: 12 }, (_, i) => poll(i % 2 === 0 ? a : b, node)));
        for (const result of await Promise.all(concurrent)) record(result);
        // Whatever a poll that lost its races left behind, collected through both servers in turn.
        for (const node of nodes) {
          let misses = 0;
          for (let i = 0; misses < 2; i++) misses = record(await poll(i % 2 === 0 ? a : b, node)) ? 0 : misses + 1;
        }

        assert.equal(handed.size, jobIds.length * nodes.length, 'every task handed out');
        for (const [key, times] of handed) assert.equal(times, 1, `${key} handed out ${times} times`);
        for (const [i, id] of jobIds.entries()) {
          const server = i % 2 === 0 ? b : a;
          const answer = await call(`${server.url}/admin/jobs/${id}?fetchStatuses=true`, { key: keys.adminKey });
          assert.deepEqual(
            answer.body.statuses.map((status: { status: string }) => status.status),
            nodes.map(() => 'pending'),
          );
        }
      } finally {
        await group.stop();
        await database.dispose();
        await target.stop();
      }
    });
  });
} else {
  reportMongoUnavailable('two server processes on one MongoDB database', mongo.unavailable);
}
