// The storage drivers the bench measures, each with the server environment that selects it and
// the sizes it is measured at.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { MongoClient } from 'mongodb';
import { FerretDb, findFerretDb, type FerretDbBackend } from '../test/support/mongodb-server.js';
import { makeTempDir } from '../test/support/temp-dir.js';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../test/support/postgres-server.js';

/** How big each measurement is. Every line the bench prints names the size it was measured at. */
export interface BenchSizes {
  /** Distinct nodes polling, each with one task whose window opens tomorrow. */
  fleet: number;
  /** The jobs whose creation is timed, one fresh server (and database) each. */
  jobSizes: number[];
  /** The running job whose summary, statuses and failed page are read. */
  bigJob: number;
  /** How many of its tasks are claimed and reported (one in ten failed) before those reads. */
  reports: number;
  /** Nodes whose tasks' hand-out is timed from the job's creation (long polls, then a 5 s interval). */
  handOutFleet: number;
  /** Nodes holding long polls on one server process, for its memory and idle CPU (0: skipped). */
  heldFleet: number;
}

export interface PreparedDriver {
  /** What actually stores the data, for the output, e.g. "FerretDB 1.24.2 on PostgreSQL 15.14". */
  description: string;
  sizes: BenchSizes;
  /** The server environment for one more server; each gets an empty store. */
  serverEnv: () => Record<string, string | undefined>;
  dispose: () => Promise<void>;
}

export interface BenchDriver {
  name: string;
  prepare: () => Promise<PreparedDriver | { unavailable: string }>;
}

/** The sizes the issue asks about. */
const FULL_SIZES: BenchSizes = {
  fleet: 100_000,
  jobSizes: [10_000, 100_000],
  bigJob: 100_000,
  reports: 1000,
  handOutFleet: 10_000,
  heldFleet: 100_000,
};

/** The server waits this long for a MongoDB answer; FerretDB takes seconds over big collections. */
const MONGODB_SOCKET_TIMEOUT_MS = 300_000;

export function benchDrivers(): BenchDriver[] {
  return [
    {
      name: 'sqlite',
      prepare: async () => {
        // startServer gives each server its own data directory; this one only anchors temp files.
        const temp = makeTempDir('foodtruck-bench-');
        return {
          description: 'embedded SQLite (better-sqlite3), a file per server',
          sizes: sizesFromEnv('sqlite', FULL_SIZES),
          serverEnv: () => ({}),
          dispose: async () => temp.remove(),
        };
      },
    },
    {
      name: 'mongodb',
      prepare: () => (process.env.BENCH_MONGODB_CONNECTION_STRING ? prepareExternalMongoDb(process.env.BENCH_MONGODB_CONNECTION_STRING) : prepareFerretDb()),
    },
  ];
}

/**
 * The MongoDB driver against FerretDB, the MongoDB-protocol server this machine has: on its
 * PostgreSQL backend when a PostgreSQL can be started here (BENCH_FERRETDB_BACKEND=sqlite forces
 * the SQLite one). FerretDB 1.24 answers every query but `_id` lookups with a full scan of the
 * collection: on PostgreSQL a sequential scan (its filters, `_jsonb->'node' @> '"a/b"'`, cannot use
 * the btree indexes it creates), on SQLite a scan decoded by FerretDB itself, slower still. Hence
 * the default sizes: polls and job creation at full size on PostgreSQL but the job that is read at
 * 10,000 nodes; all of them far smaller on SQLite.
 */
async function prepareFerretDb(): Promise<PreparedDriver | { unavailable: string }> {
  const binary = findFerretDb();
  if (!binary) return { unavailable: 'FerretDB was found neither as "ferretdb" on PATH nor at ~/go/bin/ferretdb' };
  const forced = process.env.BENCH_FERRETDB_BACKEND;
  const postgresReason = forced === 'sqlite' ? 'BENCH_FERRETDB_BACKEND=sqlite' : postgresUnavailableReason();
  if (forced === 'postgresql' && postgresReason) return { unavailable: `BENCH_FERRETDB_BACKEND=postgresql, but ${postgresReason}` };

  let postgres: PostgresServer | undefined;
  let backend: FerretDbBackend = { handler: 'sqlite' };
  if (!postgresReason) {
    postgres = await startPostgres('ferretdb');
    backend = { handler: 'postgresql', url: postgres.url };
  }
  let ferret: FerretDb;
  try {
    ferret = await FerretDb.start(binary, backend);
  } catch (error) {
    postgres?.remove();
    throw error;
  }
  // FerretDB kills itself when the bench exits; its files go too.
  const removeOnExit = () => rmSync(ferret.dataDir, { recursive: true, force: true });
  process.once('exit', removeOnExit);
  const version = /version:\s*(\S+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1] ?? '(unknown version)';
  const description = postgres
    ? `FerretDB ${version} on ${postgres.version} (a stand-in for MongoDB)`
    : `FerretDB ${version} on SQLite (a stand-in for MongoDB; no PostgreSQL here: ${postgresReason})`;
  const sizes = postgres
    ? { fleet: 100_000, jobSizes: [10_000, 100_000], bigJob: 10_000, reports: 200, handOutFleet: 2_000, heldFleet: 0 }
    : { fleet: 2_000, jobSizes: [1_000, 10_000], bigJob: 1_000, reports: 50, handOutFleet: 500, heldFleet: 0 };
  const runId = randomBytes(3).toString('hex');
  let databases = 0;
  return {
    description,
    sizes: sizesFromEnv('mongodb', sizes),
    serverEnv: () => ({
      MONGODB_CONNECTION_STRING: `${ferret.connectionString}?socketTimeoutMS=${MONGODB_SOCKET_TIMEOUT_MS}`,
      MONGODB_DATABASE_NAME: `foodtruck_bench_${runId}_${++databases}`,
    }),
    dispose: async () => {
      process.off('exit', removeOnExit);
      await ferret.remove();
      postgres?.remove();
    },
  };
}

/**
 * A real MongoDB (or Cosmos DB: FOODTRUCK_COSMOS_DB=true) named by BENCH_MONGODB_CONNECTION_STRING,
 * measured at the SQLite sizes. Each server gets a database of its own, dropped at the end.
 */
async function prepareExternalMongoDb(connectionString: string): Promise<PreparedDriver> {
  const client = new MongoClient(connectionString, { serverSelectionTimeoutMS: 15_000 });
  const names: string[] = [];
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    const runId = randomBytes(3).toString('hex');
    const cosmos = process.env.FOODTRUCK_COSMOS_DB;
    return {
      description: `the MongoDB ${String(info.version)} of BENCH_MONGODB_CONNECTION_STRING${cosmos ? `, FOODTRUCK_COSMOS_DB=${cosmos}` : ''}`,
      sizes: sizesFromEnv('mongodb', FULL_SIZES),
      serverEnv: () => {
        names.push(`foodtruck_bench_${runId}_${names.length + 1}`);
        return { MONGODB_CONNECTION_STRING: connectionString, MONGODB_DATABASE_NAME: names.at(-1), FOODTRUCK_COSMOS_DB: cosmos };
      },
      dispose: async () => {
        try {
          for (const name of names) await client.db(name).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}

/**
 * The defaults, overridden per driver by BENCH_<DRIVER>_FLEET, BENCH_<DRIVER>_JOB_SIZES (a comma
 * list), BENCH_<DRIVER>_BIG_JOB, BENCH_<DRIVER>_REPORTS, BENCH_<DRIVER>_HAND_OUT_FLEET and
 * BENCH_<DRIVER>_HELD_FLEET (0 skips it), e.g. BENCH_MONGODB_FLEET=20000.
 */
function sizesFromEnv(driver: string, defaults: BenchSizes): BenchSizes {
  const prefix = `BENCH_${driver.toUpperCase()}_`;
  const counts = (name: string, fallback: number[]) => {
    const text = process.env[prefix + name];
    if (text === undefined || text === '') return fallback;
    return text.split(',').map((item) => {
      const value = Number(item.trim().replaceAll('_', ''));
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${prefix}${name} must be whole numbers above 0, not "${text}"`);
      return value;
    });
  };
  const count = (name: string, fallback: number) => counts(name, [fallback])[0] as number;
  return {
    fleet: count('FLEET', defaults.fleet),
    jobSizes: counts('JOB_SIZES', defaults.jobSizes),
    bigJob: count('BIG_JOB', defaults.bigJob),
    reports: count('REPORTS', defaults.reports),
    handOutFleet: count('HAND_OUT_FLEET', defaults.handOutFleet),
    heldFleet: process.env[`${prefix}HELD_FLEET`] === '0' ? 0 : count('HELD_FLEET', defaults.heldFleet),
  };
}
