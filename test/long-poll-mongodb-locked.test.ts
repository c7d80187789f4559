// Long polls across two server processes while FerretDB's SQLite database refuses writes: FerretDB
// takes one writer at a time and answers "database is locked" to a write that waited 20 s for the
// lock, which is what two busy server processes on its SQLite backend run into. Here the lock is
// taken for real, from outside (a write transaction on FerretDB's own database file held longer
// than that), while a job's window opens for a fleet holding long polls on both processes. Once
// the lock ends every node must get its task, once; no held poll may be answered 503 for it.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-binding.js';
import { call, jobBody } from './support/api-client.js';
import { reportMongoUnavailable, startOwnFerretDb } from './support/mongodb-server.js';
import { startServerGroup, type ServerProcess } from './support/server-process.js';

const NODES = 80;
/** Twice FerretDB's own wait for its SQLite lock (20 s) and more: its writes fail meanwhile, twice over. */
const LOCK_MS = 45_000;
/** From the lock's end to every node holding its task: generous for a loaded 2-core machine. */
const DELIVERY_BOUND_MS = 90_000;
const DATABASE = 'locked';

const own = await startOwnFerretDb();

if ('ferret' in own) {
  const { ferret } = own;
  after(() => ferret.remove());

  describe('long polls across two server processes while the FerretDB (SQLite) database is locked', () => {
    it('hands every node its task once after the lock ends, and answers no held poll 503', async () => {
      // The driver waits longer than FerretDB does for its lock, so that a write FerretDB gave up
      // on is answered "database is locked" (it did not happen), not cut off by the socket
      // timeout with its fate unknown (the default 20 s equals FerretDB's wait: see docs/benchmarks.md).
      const connectionString = `${ferret.connectionString}?socketTimeoutMS=${LOCK_MS * 2}`;
      const group = await startServerGroup(2, { env: { MONGODB_CONNECTION_STRING: connectionString, MONGODB_DATABASE_NAME: DATABASE } });
      const [a] = group.servers as [ServerProcess, ServerProcess];
      const stop = new AbortController();
      const nodes = Array.from({ length: NODES }, (_, i) => ({ org: 'fleet', name: `held-${i}` }));
      /** Per node: every answer other than 200 and 404, and the jobs it received. */
      const failures: string[] = [];
      const received = new Map<string, { jobId: string; at: number }>();
      let lock: ReturnType<typeof openSqliteDatabase> | undefined;
      try {
        // Each node long-polls one of the two servers, polling again after a 404 at once and
        // after any other answer a second later, as our client does, until it holds a task.
        const fleet = nodes.map(async (node, i) => {
          const server = group.servers[i % 2] as ServerProcess;
          const url = `${server.url}/organizations/${node.org}/foodtruck/nodes/${node.name}/tasks/next`;
          while (!stop.signal.aborted) {
            let answer;
            try {
              answer = await fetch(`${url}?wait=60s`, { method: 'POST', headers: { authorization: `Bearer ${group.nodesKey}` }, signal: stop.signal });
            } catch (error) {
              if (stop.signal.aborted) return;
              failures.push(`${node.name}: ${(error as Error).message}`);
              await sleep(1_000);
              continue;
            }
            const body = (await answer.json()) as { job_id?: string; message?: string };
            if (answer.status === 200) {
              received.set(node.name, { jobId: body.job_id as string, at: Date.now() });
              // Handed out once: the same task never comes again.
              const again = await call(url, { method: 'POST', key: group.nodesKey });
              if (again.status !== 404) failures.push(`${node.name}: a second poll answered ${again.status} ${JSON.stringify(again.body)}`);
              return;
            }
            if (answer.status !== 404) {
              failures.push(`${node.name}: ${answer.status} ${body.message ?? ''}`);
              await sleep(1_000);
            }
          }
        });
        const heldEverywhere = async () => {
          const counts = await Promise.all(
            group.servers.map(async (server) => Number(/^foodtruck_held_polls (\S+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? 0)),
          );
          return counts.reduce((sum, count) => sum + count, 0) >= NODES;
        };
        for (let deadline = Date.now() + 60_000; !(await heldEverywhere()); await sleep(200)) {
          assert.ok(Date.now() < deadline, 'the fleet never held all its polls');
        }

        // The window opens a few seconds from now: time for the other process to read the job
        // from its feed, and for the lock to be taken before any claim.
        const opensAt = Date.now() + 6_000;
        const created = await call(`${a.url}/admin/jobs`, {
          key: group.adminKey,
          json: jobBody(nodes, { window_start: new Date(opensAt).toISOString() }),
        });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        await sleep(3_000);
        // A write transaction on FerretDB's database file: FerretDB's writes wait for it, then fail.
        lock = openSqliteDatabase(path.join(ferret.dataDir, `${DATABASE}.sqlite`), { timeout: 10_000 });
        lock.exec('BEGIN IMMEDIATE');
        assert.ok(Date.now() < opensAt, 'the lock was taken after the window opened: the machine is too slow for this test');
        await sleep(LOCK_MS);
        lock.exec('COMMIT');
        lock.close();
        lock = undefined;
        const unlockedAt = Date.now();

        for (const deadline = unlockedAt + DELIVERY_BOUND_MS; received.size < NODES && Date.now() < deadline; ) await sleep(250);
        stop.abort();
        await Promise.all(fleet);

        const got = `${received.size} of ${NODES} nodes got their task`;
        assert.deepEqual(failures.slice(0, 5), [], `${failures.length} polls answered neither 200 nor 404, or a task came twice (${got})`);
        if (received.size < NODES) {
          const statuses = await call(`${a.url}/admin/jobs/${created.body.id as string}?fetchStatuses=true`, { key: group.adminKey });
          const missing = nodes.filter((node) => !received.has(node.name)).map((node) => node.name);
          const problems = group.servers.map((server) => server.output().split('\n').filter((line) => /"level":[45]0/.test(line)).slice(0, 20).join('\n'));
          assert.fail(
            `${received.size} of ${NODES} nodes got their task within ${DELIVERY_BOUND_MS / 1000} s of the lock's end; missing ${missing.join(', ')}: ` +
              `${JSON.stringify(statuses.body.statuses.filter((status: { node_name: string }) => missing.includes(status.node_name.split('/')[1] as string)))}\n${problems.join('\n---\n')}`,
          );
        }
        for (const [name, { jobId }] of received) assert.equal(jobId, created.body.id, name);
        const statuses = await call(`${a.url}/admin/jobs/${created.body.id as string}?fetchStatuses=true`, { key: group.adminKey });
        assert.deepEqual(
          statuses.body.statuses.map((status: { status: string }) => status.status),
          nodes.map(() => 'pending'),
        );
        const latest = Math.max(...[...received.values()].map((entry) => entry.at)) - unlockedAt;
        console.log(`every node had its task ${latest} ms after the lock's end`);
      } finally {
        stop.abort();
        if (lock?.inTransaction) lock.exec('ROLLBACK');
        lock?.close();
        await group.stop();
      }
    });
  });
} else {
  reportMongoUnavailable('long polls across two server processes while the FerretDB (SQLite) database is locked', own.unavailable);
}
