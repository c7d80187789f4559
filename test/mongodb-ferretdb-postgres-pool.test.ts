// A fleet that got its tasks together reports together: every node of a job posts `running` at the
// same moment, then `success`. On FerretDB 1.x over PostgreSQL each update holds one of FerretDB's
// PostgreSQL connections (50 by default) while it asks for a second, so 50 updates at once wedge
// FerretDB for good. With the connection string's defaults the server must keep its own
// connections below that (FERRETDB_MAX_POOL_SIZE). With the driver's 100 instead, 896 of this
// test's 1,000 `success` reports answered 503, after 200 s; with 10, the test takes about 11 s.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { FerretDb, findFerretDb } from './support/mongodb-server.js';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from './support/postgres-server.js';
import { startServer } from './support/server-process.js';

const NODES = 1000;

/** Why this test cannot run here, or undefined; with FOODTRUCK_REQUIRE_POSTGRESQL=1 (CI) it must run. */
function unavailableReason(): string | undefined {
  if (!findFerretDb()) return 'FerretDB was found neither as "ferretdb" on PATH nor at ~/go/bin/ferretdb';
  return postgresUnavailableReason();
}

const reason = unavailableReason();
const title = 'a whole job reporting at once on FerretDB over PostgreSQL, with the connection string\'s defaults';

if (reason && process.env.FOODTRUCK_REQUIRE_POSTGRESQL !== '1') {
  it(title, { skip: reason }, () => undefined);
} else {
  describe(title, () => {
    let postgres: PostgresServer | undefined;
    let ferret: FerretDb | undefined;
    after(async () => {
      await ferret?.remove();
      postgres?.remove();
    });

    it(`answers every one of ${NODES} simultaneous reports, twice, and FerretDB still answers`, async () => {
      assert.equal(reason, undefined, `FOODTRUCK_REQUIRE_POSTGRESQL=1, but ${reason}`);
      postgres = await startPostgres('ferretdb');
      ferret = await FerretDb.start(findFerretDb() as string, { handler: 'postgresql', url: postgres.url });
      const server = await startServer({ env: { MONGODB_CONNECTION_STRING: ferret.connectionString, MONGODB_DATABASE_NAME: 'pool' } });
      try {
        const nodes = Array.from({ length: NODES }, (_, i) => ({ org: 'fleet', name: `n${i}` }));
        const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody(nodes) });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        const jobId = created.body.id as string;
        const nodeUrl = (name: string, route: string) => `${server.url}/organizations/fleet/foodtruck/nodes/${name}/tasks/${route}`;

        const claims = await Promise.all(nodes.map((node) => call(nodeUrl(node.name, 'next'), { method: 'POST', key: server.nodesKey })));
        assert.deepEqual(tally(claims.map((claim) => claim.status)), { 200: NODES });

        for (const status of ['running', 'success']) {
          const reports = await Promise.all(
            nodes.map((node) => call(nodeUrl(node.name, 'status'), { key: server.nodesKey, json: { job_id: jobId, status, result: { exit_code: 0 } } })),
          );
          const failed = reports.find((report) => report.status !== 200);
          assert.deepEqual(tally(reports.map((report) => report.status)), { 200: NODES }, `${status}: ${JSON.stringify(failed?.body)}`);
        }

        const summary = await call(`${server.url}/admin/jobs/${jobId}/summary`, { key: server.adminKey });
        assert.equal(summary.status, 200);
        assert.equal(summary.body.summary.success, NODES, JSON.stringify(summary.body.summary));
      } finally {
        await server.stop();
        server.cleanup();
      }
    });
  });
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
