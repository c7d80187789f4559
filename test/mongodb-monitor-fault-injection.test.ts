// The MongoDB driver's monitor stuck for good (issue 13, item 1), reproduced on purpose: a proxy
// between the server and FerretDB keeps the database's answers back while reads wait on them, then
// closes every connection at once (as a database that exits does), the monitor's first, a second or
// two after its last heartbeat. With the driver's own timing, a retried read then asks the monitor
// for a check while its socket is already destroyed but not yet closed; the check's write waits for
// a 'drain' that never comes, and the server answers 503 to everything for as long as it runs.
// See the comments in src/store/mongodb/client-options.ts and mongo-store.ts (#noteUnavailable).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultProxy } from './support/fault-proxy.js';
import { reportMongoUnavailable, startOwnFerretDb } from './support/mongodb-server.js';
import { startServer, type ServerProcess } from './support/server-process.js';

/**
 * Every process must serve again within this after the database's connections closed: a stuck
 * client is replaced after 15 s of failures, each taking the 5 s server selection timeout; room for
 * a loaded 2-core machine.
 */
const RECOVERY_BOUND_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const REPLACED = 'replaced the MongoDB client';
/** The driver's monitor is answered every 5 s (heartbeatFrequencyMS): close this long after an answer. */
const AFTER_HEARTBEAT_MS = { min: 1_000, max: 3_500 };

async function status(url: string, key?: string): Promise<number | 'no answer'> {
  try {
    const response = await fetch(url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'no answer';
  }
}

async function waitFor(what: string, test: () => boolean, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!test()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${boundMs} ms`);
    await sleep(20);
  }
}

/** Waits until the server answers 200 on /healthz and on a job list; answers how long that took. */
async function serving(server: ServerProcess, when: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const [health, list] = await Promise.all([status(`${server.url}/healthz`), status(`${server.url}/admin/jobs?limit=1`, server.adminKey)]);
    if (health === 200 && list === 200) return Date.now() - started;
    if (Date.now() - started > RECOVERY_BOUND_MS) {
      assert.fail(`the server does not serve ${RECOVERY_BOUND_MS / 1000} s after ${when}: healthz ${health}, list ${list}\n${server.output().slice(-3000)}`);
    }
    await sleep(250);
  }
}

/**
 * Reads wait on answers the proxy keeps back; then, a second or two after the monitor's last
 * heartbeat (so that the driver runs a requested check at once), every connection closes.
 */
async function closeConnectionsUnderWaitingReads(server: ServerProcess, proxy: FaultProxy): Promise<void> {
  proxy.holdAnswers();
  const reads = Array.from({ length: 4 }, () => status(`${server.url}/admin/jobs?limit=1`, server.adminKey));
  await waitFor('a read waits on the database', () => proxy.heldAnswers() > 0, 10_000);
  await waitFor(
    'the monitor between two heartbeats',
    () => {
      const since = proxy.msSinceHeartbeat();
      return since >= AFTER_HEARTBEAT_MS.min && since <= AFTER_HEARTBEAT_MS.max;
    },
    15_000,
  );
  // The server process is frozen for a moment while the connections close, so that it reads
  // every close in one turn of its event loop, as a busy process does; otherwise, on an idle
  // machine, it could wake up for the monitor's close alone and handle it before the others.
  server.child.kill('SIGSTOP');
  try {
    proxy.closeAllConnections();
    await sleep(200);
  } finally {
    server.child.kill('SIGCONT');
  }
  await Promise.all(reads);
}

const own = await startOwnFerretDb();

if ('ferret' in own) {
  const { ferret } = own;
  after(() => ferret.remove());
  const target = { host: '127.0.0.1', port: ferret.port };

  describe('a MongoDB server whose database closes every connection while reads wait', () => {
    it('with the driver re-checking at once (minHeartbeatFrequencyMS=500), gets its monitor stuck and is brought back by replacing its client', async () => {
      const proxy = await FaultProxy.start(target);
      const server = await startServer({
        env: { MONGODB_CONNECTION_STRING: `${proxy.connectionString}?minHeartbeatFrequencyMS=500`, MONGODB_DATABASE_NAME: 'stuck_monitor' },
      });
      try {
        await serving(server, 'start');
        const recoveries: number[] = [];
        // One try nearly always leaves the monitor stuck; a few make the test independent of luck.
        for (let attempt = 1; attempt <= 3 && !server.output().includes(REPLACED); attempt++) {
          await closeConnectionsUnderWaitingReads(server, proxy);
          recoveries.push(await serving(server, `the connections closed (try ${attempt})`));
        }
        assert.ok(
          server.output().includes(REPLACED),
          `the monitor never got stuck in ${recoveries.length} tries (served again after ${recoveries.join(', ')} ms without ` +
            'replacing the client): does this driver no longer hang? Then this test no longer reaches the replacement',
        );
        console.log(`stuck monitor: served again ${recoveries.join(', ')} ms after the connections closed, client replaced`);
      } finally {
        await server.stop();
        server.cleanup();
        await proxy.stop();
      }
    });

    it('with its own client options, never gets its monitor stuck: serves again without replacing its client', async () => {
      const proxy = await FaultProxy.start(target);
      const server = await startServer({ env: { MONGODB_CONNECTION_STRING: proxy.connectionString, MONGODB_DATABASE_NAME: 'unstuck_monitor' } });
      try {
        await serving(server, 'start');
        const recoveries: number[] = [];
        for (let attempt = 1; attempt <= 2; attempt++) {
          await closeConnectionsUnderWaitingReads(server, proxy);
          recoveries.push(await serving(server, `the connections closed (try ${attempt})`));
        }
        assert.ok(!server.output().includes(REPLACED), `the client was replaced: its monitor got stuck\n${server.output().slice(-3000)}`);
        console.log(`monitor not stuck: served again ${recoveries.join(', ')} ms after the connections closed`);
      } finally {
        await server.stop();
        server.cleanup();
        await proxy.stop();
      }
    });
  });
} else {
  reportMongoUnavailable('a MongoDB server whose database closes every connection while reads wait', own.unavailable);
}
