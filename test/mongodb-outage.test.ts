// The database going away under a running server, and a server started without its database.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, jobBody } from './support/api-client.js';
import { FaultProxy } from './support/fault-proxy.js';
import { freePort, reportMongoUnavailable, startOwnFerretDb } from './support/mongodb-server.js';
import { randomKey, runServerToExit, startServer } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

/** The default server selection timeout is 5 s; a request must be answered well before a client gives up. */
const ANSWER_BOUND_MS = 10_000;
const FROZEN_BOUND_MS = 25_000;
/** The server's shutdown grace (10 s), and room for a loaded machine. */
const STOP_BOUND_MS = 20_000;

const own = await startOwnFerretDb();

if ('ferret' in own) {
  const { ferret } = own;
  after(() => ferret.remove());

  describe('a server on MongoDB when the database goes away', () => {
    it('answers 503 with a JSON message while the database is down, says so on /healthz, and recovers by itself', async () => {
      const server = await startServer({
        env: { MONGODB_CONNECTION_STRING: ferret.connectionString, MONGODB_DATABASE_NAME: 'outage' },
      });
      try {
        const admin = (path: string, json?: unknown) =>
          call(`${server.url}${path}`, { key: server.adminKey, ...(json === undefined ? {} : { json }) });
        const nodeCall = (name: string, verb: 'next' | 'status', json?: unknown) =>
          call(`${server.url}/organizations/org/foodtruck/nodes/${name}/tasks/${verb}`, {
            method: 'POST',
            key: server.nodesKey,
            ...(json === undefined ? {} : { json }),
          });
        const created = await admin('/admin/jobs', jobBody([{ org: 'org', name: 'before' }, { org: 'org', name: 'waiting' }]));
        assert.equal(created.status, 200);
        const id = created.body.id as string;
        assert.equal((await nodeCall('before', 'next')).status, 200);
        assert.equal((await nodeCall('before', 'status', { job_id: id, status: 'running' })).status, 200);

        await ferret.stop();
        // Each answer is timed on its own: they wait on the database side by side, as requests from
        // a fleet would.
        const timed = async (request: Promise<Awaited<ReturnType<typeof call>>>) => {
          const started = Date.now();
          const answer = await request;
          return { answer, ms: Date.now() - started };
        };
        const [health, ...answers] = await Promise.all([
          timed(call(`${server.url}/healthz`)),
          timed(admin('/admin/jobs', jobBody([{ org: 'org', name: 'during' }]))),
          timed(admin(`/admin/jobs/${id}?fetchStatuses=true`)),
          timed(nodeCall('waiting', 'next')),
          timed(nodeCall('before', 'status', { job_id: id, status: 'success', result: { exit_code: 0, reason: '' } })),
        ]);
        for (const { answer, ms } of answers) {
          assert.equal(answer.status, 503, JSON.stringify(answer.body));
          assert.equal(typeof answer.body.message, 'string');
          assert.equal(answer.headers.get('retry-after'), '5');
          assert.ok(ms < ANSWER_BOUND_MS, `answered in ${ms} ms`);
        }
        assert.equal(health?.answer.status, 503);
        assert.equal(health?.answer.body.status, 'unavailable');
        assert.ok((health?.ms ?? Infinity) < ANSWER_BOUND_MS, `health answered in ${health?.ms} ms`);
        assert.equal(server.child.exitCode, null, 'the server keeps running');

        await ferret.start();
        const deadline = Date.now() + 30_000;
        while ((await call(`${server.url}/healthz`)).status !== 200) {
          assert.ok(Date.now() < deadline, 'the server recovers once the database is back');
          await sleep(200);
        }
        const after = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
        assert.equal(after.status, 200);
        assert.deepEqual(
          after.body.statuses.map((status: { node_name: string; status: string }) => [status.node_name, status.status]),
          [['org/before', 'running'], ['org/waiting', 'queued']],
        );
        const claimed = await nodeCall('waiting', 'next');
        assert.equal(claimed.status, 200);
        assert.equal(claimed.body.job_id, id);
      } finally {
        await server.stop();
        server.cleanup();
      }
    });

    it('answers 503 in bounded time while the database is frozen, and carries on when it thaws', async () => {
      const server = await startServer({
        env: { MONGODB_CONNECTION_STRING: ferret.connectionString, MONGODB_DATABASE_NAME: 'frozen' },
      });
      try {
        const created = await call(`${server.url}/admin/jobs`, {
          key: server.adminKey,
          json: jobBody([{ org: 'org', name: 'frozen' }]),
        });
        assert.equal(created.status, 200);
        const id = created.body.id as string;
        ferret.pause();
        const started = Date.now();
        const [read, health] = await Promise.all([
          call(`${server.url}/admin/jobs/${id}`, { key: server.adminKey }),
          call(`${server.url}/healthz`),
        ]);
        ferret.resume();
        assert.equal(read.status, 503, JSON.stringify(read.body));
        assert.equal(typeof read.body.message, 'string');
        assert.equal(health.status, 503);
        // Connections stay open to a frozen process. The driver's heartbeat (every 5 s, given the
        // 5 s connect timeout) notices and fails the waiting request: about 15 s here.
        assert.ok(Date.now() - started < FROZEN_BOUND_MS, `answered in ${Date.now() - started} ms`);
        const deadline = Date.now() + 30_000;
        while ((await call(`${server.url}/healthz`)).status !== 200) {
          assert.ok(Date.now() < deadline, 'the server recovers once the database answers again');
          await sleep(200);
        }
        assert.equal((await call(`${server.url}/admin/jobs/${id}`, { key: server.adminKey })).status, 200);
      } finally {
        ferret.resume();
        await server.stop();
        server.cleanup();
      }
    });

    it('exits within its shutdown bound on SIGTERM while every pool connection waits on a database that never answers', async () => {
      // Not a frozen database: the driver's monitor notices one within about 10 s and fails the
      // waiting requests, so the process stops by itself, whatever the bound (it did with the old
      // 30 s). Here the database keeps answering the monitor and never answers an operation, so
      // requests wait on the socket timeout (20 s) one pool connection at a time, and only the
      // shutdown bound ends the process.
      const proxy = await FaultProxy.start({ host: '127.0.0.1', port: ferret.port });
      const server = await startServer({
        env: { MONGODB_CONNECTION_STRING: `${proxy.connectionString}?maxPoolSize=2`, MONGODB_DATABASE_NAME: 'exhausted' },
      });
      try {
        const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([{ org: 'org', name: 'pool' }]) });
        assert.equal(created.status, 200);
        proxy.holdAnswers();
        // Two connections, thirty requests: the pool is taken and the rest wait for it.
        const waiting = Array.from({ length: 30 }, (_, index) =>
          call(index % 2 ? `${server.url}/admin/jobs?limit=1000` : `${server.url}/admin/nodes`, { key: server.adminKey }).catch(() => undefined),
        );
        const deadline = Date.now() + 10_000;
        while (proxy.heldAnswers() === 0) {
          assert.ok(Date.now() < deadline, 'requests reach the database');
          await sleep(20);
        }
        await sleep(1_500);
        const started = Date.now();
        const code = await server.stop();
        const took = Date.now() - started;
        assert.ok(took < STOP_BOUND_MS, `stopped after ${took} ms`);
        assert.equal(code, 1, 'it gave up on the requests still waiting');
        assert.match(server.output(), /not stopped after 10 s, exiting anyway/);
        await Promise.all(waiting);
      } finally {
        await server.kill();
        server.cleanup();
        await proxy.stop();
      }
    });

    it('refuses to start, naming the database it cannot reach and not the password, when MongoDB is down', async () => {
      const temp = makeTempDir();
      try {
        const port = await freePort();
        const started = Date.now();
        const { code, output } = await runServerToExit({
          MONGODB_CONNECTION_STRING: `mongodb://foodtruck:hunter2-secret@127.0.0.1:${port}/?serverSelectionTimeoutMS=1000`,
          MONGODB_DATABASE_NAME: 'unreachable',
          ADMIN_API_KEY: randomKey(),
          NODES_API_KEY: randomKey(),
          FOODTRUCK_LISTEN_ADDR: '127.0.0.1:0',
          FOODTRUCK_DATA_DIR: temp.dir,
        });
        assert.notEqual(code, 0);
        assert.notEqual(code, null);
        assert.match(output, new RegExp(`cannot reach MongoDB at mongodb://127\\.0\\.0\\.1:${port} \\(database "unreachable"\\)`));
        assert.doesNotMatch(output, /hunter2/);
        assert.ok(Date.now() - started < ANSWER_BOUND_MS, `gave up after ${Date.now() - started} ms`);
      } finally {
        temp.remove();
      }
    });
  });
} else {
  reportMongoUnavailable('a server on MongoDB when the database goes away', own.unavailable);
}
