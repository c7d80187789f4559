// What the MongoDB store does about having no multi-document transactions: a job whose creation
// stopped half-way, and a claim that stopped between its two writes. The leftovers of such a
// crash are written here directly, in the store's document shapes, as a crash would leave them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { MongoStore } from '../src/store/mongodb/mongo-store.js';
import { DELIVERY_GRACE_MS } from '../src/store/task-lease.js';
import type { NewJob, NodeRef } from '../src/wire/job-request.js';
import { reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const job = (nodes: NodeRef[], startSeconds: number, endSeconds: number): NewJob => ({
  task: { windowStart: at(startSeconds), windowEnd: at(endSeconds), provider: 'infra', spec: {} },
  nodes,
});

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  describe('MongoDB store without multi-document transactions', () => {
    const databaseName = target.uniqueDatabaseName();
    const options = { connectionString: target.connectionString, databaseName, cosmos: target.cosmos };
    let store: MongoStore;
    let client: MongoClient;
    let db: Db;

    before(async () => {
      store = await MongoStore.connect(options);
      client = await MongoClient.connect(target.connectionString);
      db = client.db(databaseName);
    });
    after(async () => {
      await store?.close();
      await client?.close();
      await target.dropDatabase(databaseName);
      await target.stop();
    });

    it('never shows or hands out the tasks of a job whose creation stopped before its job document', async () => {
      const node = { org: 'org', name: 'half-created' };
      const orphan = new ObjectId();
      await db.collection('tasks').insertOne({
        jobId: orphan, idx: 0, node: 'org/half-created', org: 'org', name: 'half-created', status: 'queued',
        windowStart: at(0), windowEnd: at(100), updatedAt: at(0),
      });
      // Starts later than the orphan's task, which would come first if it were a job.
      const complete = await store.createJob(job([node], 10, 100), at(0));

      assert.equal((await store.claimNextTask(node, at(20)))?.jobId, complete);
      assert.equal(await store.claimNextTask(node, at(20)), undefined);
      assert.equal(await store.getJob(orphan.toHexString(), at(20)), undefined);
      assert.equal(await store.listTaskStatuses(orphan.toHexString(), {}, at(20)), undefined);
      assert.deepEqual(await store.reportStatus(node, { jobId: orphan.toHexString(), status: 'running' }, at(21)), {
        kind: 'not_targeted',
      });
      const listed = await store.listJobs({ limit: 1000 }, at(20));
      assert.deepEqual(listed.items.map((entry) => entry.id), [complete]);
    });

    it('skips any number of half-created jobs to reach a complete one', async () => {
      const node = { org: 'org', name: 'many-orphans' };
      await db.collection('tasks').insertMany(
        Array.from({ length: 12 }, (_, i) => ({
          jobId: new ObjectId(), idx: 0, node: 'org/many-orphans', org: 'org', name: 'many-orphans',
          status: 'queued', windowStart: at(i), windowEnd: at(100), updatedAt: at(0),
        })),
      );
      const complete = await store.createJob(job([node], 50, 100), at(0));
      assert.equal((await store.claimNextTask(node, at(60)))?.jobId, complete);
    });

    it('ends a task whose claim stopped after its hand-out record visibly: pending, then timed_out by its lease', async () => {
      const node = { org: 'org', name: 'stopped-poll' };
      const id = await store.createJob(job([node], 0, 100_000), at(0));
      // What a claim that stopped between its two writes leaves: the hand-out record, the task still queued.
      await db.collection('handouts').insertOne({
        _id: `${id}:org/stopped-poll` as unknown as ObjectId, node: 'org/stopped-poll', jobId: new ObjectId(id), at: at(1),
      });
      assert.equal(await store.claimNextTask(node, at(2)), undefined);
      const status = (await store.listTaskStatuses(id, {}, at(3)))?.items[0];
      assert.equal(status?.status, 'pending');
      assert.equal(await store.claimNextTask(node, at(4)), undefined);
      // No node received it, so none reports: the lease from the hand-out ends it.
      const afterGrace = at(1 + DELIVERY_GRACE_MS / 1000 + 1);
      assert.equal((await store.listTaskStatuses(id, {}, afterGrace))?.items[0]?.status, 'timed_out');
      assert.equal((await store.getJobSummary(id, afterGrace))?.summary.timed_out, 1);
      assert.deepEqual(
        (await store.listTaskStatuses(id, { status: 'timed_out' }, afterGrace))?.items.map((s) => s.node.name),
        ['stopped-poll'],
      );
    });

    it('hands each task out once to concurrent polls through two separately connected stores', async () => {
      const other = await MongoStore.connect(options);
      try {
        const node = { org: 'org', name: 'two-stores' };
        const ids = new Set<string>();
        for (let i = 0; i < 30; i++) ids.add(await store.createJob(job([node], i, 1000), at(0)));
        const polls = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? store : other).claimNextTask(node, at(100)));
        const handed = (await Promise.all(polls)).filter((claim) => claim !== undefined).map((claim) => claim.jobId);
        assert.equal(handed.length, new Set(handed).size, 'no task handed out twice');
        // 40 polls for 30 tasks: a poll that loses every race it meets may come back empty.
        for (;;) {
          const claim = await other.claimNextTask(node, at(100));
          if (!claim) break;
          handed.push(claim.jobId);
        }
        assert.equal(handed.length, 30);
        assert.deepEqual(new Set(handed), ids);
      } finally {
        await other.close();
      }
    });

    it(
      'writes nothing for an empty poll',
      { skip: target.exclusive ? false : `${target.description} may be written to by others meanwhile` },
      async () => {
        const idle = { org: 'org', name: 'idle' };
        await store.createJob(job([idle], 1000, 2000), at(0));
        await store.createJob(job([idle], 0, 10), at(0));
        await store.createJob(job([{ org: 'org', name: 'busy' }], 0, 100), at(0));
        const before = await writeCommandCount();
        for (let i = 0; i < 10; i++) assert.equal(await store.claimNextTask(idle, at(50)), undefined);
        assert.equal(await writeCommandCount(), before);
      },
    );

    /** Write commands the server has run, from its own per-command counters. */
    const writeCommandCount = async () => {
      const status = await client.db('admin').command({ serverStatus: 1 });
      const commands = (status.metrics?.commands ?? {}) as Record<string, { total?: unknown }>;
      return ['insert', 'update', 'delete', 'findAndModify'].reduce((sum, name) => sum + Number(commands[name]?.total ?? 0), 0);
    };

    it('sets its collections and indexes up again, harmlessly, on every start', async () => {
      const again = await MongoStore.connect(options);
      await again.close();
      const names = async (collection: string) =>
        (await db.collection(collection).listIndexes().toArray()).map((index) => String(index.name)).sort();
      assert.deepEqual(await names('tasks'), ['_id_', 'by_job', 'by_job_and_status', 'by_job_status_and_lease', 'by_node_and_job', 'claimable', 'listed_by_org_and_name']);
      assert.deepEqual(await names('jobs'), ['_id_', 'by_provider', 'by_stored_at', 'newest_first']);
      assert.deepEqual(await names('slots'), ['_id_', 'current_of_job']);
      assert.deepEqual(await names('node_check_ins'), ['_id_', 'by_attribute', 'by_org_and_name', 'by_tag']);
    });
  });
} else {
  reportMongoUnavailable('MongoDB store without multi-document transactions', mongo.unavailable);
}
