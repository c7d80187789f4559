// Wake-ups across server processes: two servers share one MongoDB database (FerretDB here, which,
// like Cosmos DB's RU-based API, has no change streams); a poll held by one is answered by a job
// created through the other, through the job feed each process reads every second.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { freshMongoDatabase, reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';
import { startServerGroup, type ServerProcess } from './support/server-process.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  describe('long polls across two server processes on one MongoDB database', () => {
    it('answers a poll held by one server when a job for its node is created through the other', async () => {
      const database = await freshMongoDatabase(target);
      const group = await startServerGroup(2, { env: database.env });
      const keys = { adminKey: group.adminKey, nodesKey: group.nodesKey };
      try {
        const [a, b] = group.servers as [ServerProcess, ServerProcess];
        const poll = (server: ServerProcess, name: string, query = '') =>
          call(`${server.url}/organizations/fleet/foodtruck/nodes/${name}/tasks/next${query}`, { method: 'POST', key: keys.nodesKey });

        const held = poll(b, 'held', '?wait=40s').then((answer) => ({ answer, at: Date.now() }));
        await new Promise((resolve) => setTimeout(resolve, 500));
        const created = await call(`${a.url}/admin/jobs`, { key: keys.adminKey, json: jobBody([{ org: 'fleet', name: 'held' }]) });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        const createdAt = Date.now();
        const { answer, at } = await held;
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.job_id, created.body.id);
        // The bound is the feed's second plus FerretDB's reads; generous for a loaded machine.
        assert.ok(at - createdAt < 20_000, `answered ${at - createdAt} ms after the job was created on the other server`);

        // A plain poll on the other server, which skips the store for nodes it knows have nothing,
        // finds a job created elsewhere once the feed has been read.
        const second = await call(`${a.url}/admin/jobs`, { key: keys.adminKey, json: jobBody([{ org: 'fleet', name: 'plain' }]) });
        assert.equal(second.status, 200);
        let found;
        const deadline = Date.now() + 20_000;
        do {
          found = await poll(b, 'plain');
          if (found.status === 200) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        } while (Date.now() < deadline);
        assert.equal(found.status, 200, JSON.stringify(found.body));
        assert.equal(found.body.job_id, second.body.id);
      } finally {
        await group.stop();
        await database.dispose();
        await target.stop();
      }
    });
  });
} else {
  reportMongoUnavailable('long polls across two server processes on one MongoDB database', mongo.unavailable);
}
