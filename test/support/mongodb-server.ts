// Gives tests a MongoDB to talk to: the one named by MONGODB_CONNECTION_STRING (a real MongoDB or
// Azure Cosmos DB, as the seed's tests allowed), or else a FerretDB started here on a free
// loopback port with its SQLite backend in a temporary directory. Every test gets a database of
// its own, dropped afterwards.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { MongoClient } from 'mongodb';
import { isExecutable } from './executable.js';

export interface MongoTestTarget {
  connectionString: string;
  /** FOODTRUCK_COSMOS_DB=true: the store sets collections up the Cosmos DB way. */
  cosmos: boolean;
  /** Where the database came from, for messages. */
  description: string;
  /** Nothing but this test file uses the server, so its server-wide counters are this file's. */
  exclusive: boolean;
  /** A database name no other test uses. */
  uniqueDatabaseName(): string;
  dropDatabase(name: string): Promise<void>;
  /** Stops what was started for the tests; an external database is left running. */
  stop(): Promise<void>;
}

export type MongoTestSetup = { target: MongoTestTarget } | { unavailable: string };

const READY_TIMEOUT_MS = 15_000;

/** The FerretDB binary: `ferretdb` on PATH, else `$HOME/go/bin/ferretdb`; undefined when neither. */
export function findFerretDb(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'ferretdb')),
    path.join(homedir(), 'go', 'bin', 'ferretdb'),
  ];
  return candidates.find(isExecutable);
}

/**
 * Where FerretDB keeps its data: SQLite files in its data directory (the tests' default), or a
 * PostgreSQL database (the bench, when it can start a PostgreSQL).
 */
export type FerretDbBackend = { handler: 'sqlite' } | { handler: 'postgresql'; url: string };

/** A FerretDB process on a loopback port, with its SQLite files (or its state) in a directory of its own. */
export class FerretDb {
  readonly binary: string;
  readonly dataDir: string;
  readonly port: number;
  readonly backend: FerretDbBackend;
  #process: ChildProcess | undefined;
  #output = '';

  static async start(binary: string, backend: FerretDbBackend = { handler: 'sqlite' }): Promise<FerretDb> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'foodtruck-ferretdb-'));
    const server = new FerretDb(binary, dataDir, await freePort(), backend);
    await server.start();
    return server;
  }

  private constructor(binary: string, dataDir: string, port: number, backend: FerretDbBackend) {
    this.binary = binary;
    this.dataDir = dataDir;
    this.port = port;
    this.backend = backend;
  }

  get connectionString(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** Starts the process (again, after `stop`, on the same port and data) and waits until it accepts connections. */
  async start(): Promise<void> {
    this.#output = '';
    const child = spawn(
      this.binary,
      [
        ...(this.backend.handler === 'sqlite'
          ? ['--handler=sqlite', `--sqlite-url=file:${this.dataDir}/`]
          : ['--handler=postgresql', `--postgresql-url=${this.backend.url}`]),
        `--listen-addr=127.0.0.1:${this.port}`,
        '--telemetry=disable',
        '--debug-addr=-',
        // Its state file (telemetry id) goes with the data, not into the current directory.
        `--state-dir=${this.dataDir}`,
        '--log-level=error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#process = child;
    // Should the test process end without its after hooks, the database must not outlive it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`FerretDB (${this.binary}) exited before accepting connections:\n${this.#output}`);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`FerretDB did not accept connections on port ${this.port} within ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the process and waits for it to exit; the data directory stays. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Freezes the process (SIGSTOP): connections stay open and nothing answers, as on a network partition. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * The MongoDB the tests use: MONGODB_CONNECTION_STRING when set, else a FerretDB started here.
 * Answers why not when there is neither.
 */
export async function setUpMongoForTests(): Promise<MongoTestSetup> {
  const cosmos = process.env.FOODTRUCK_COSMOS_DB === 'true';
  const prefix = process.env.MONGODB_DATABASE_NAME || 'foodtruck_test';
  const external = process.env.MONGODB_CONNECTION_STRING;
  if (external) {
    return { target: makeTarget(external, cosmos, prefix, 'MONGODB_CONNECTION_STRING', false, async () => undefined) };
  }
  const binary = findFerretDb();
  if (!binary) {
    return {
      unavailable:
        'no MongoDB for the tests: MONGODB_CONNECTION_STRING is not set and FerretDB was found neither ' +
        `as "ferretdb" on PATH nor at ${path.join(homedir(), 'go', 'bin', 'ferretdb')}`,
    };
  }
  let ferret: FerretDb;
  try {
    ferret = await FerretDb.start(binary);
  } catch (error) {
    return { unavailable: `FerretDB could not be started: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    target: makeTarget(ferret.connectionString, cosmos, prefix, `FerretDB at ${ferret.connectionString}`, true, () =>
      ferret.remove(),
    ),
  };
}

/** The server's environment for a MongoDB database of `target`. */
export function mongoServerEnv(target: MongoTestTarget, databaseName: string): Record<string, string> {
  return {
    MONGODB_CONNECTION_STRING: target.connectionString,
    MONGODB_DATABASE_NAME: databaseName,
    FOODTRUCK_COSMOS_DB: String(target.cosmos),
  };
}

/** A database of its own on `target` for one suite's server, and how to drop it afterwards. */
export async function freshMongoDatabase(target: MongoTestTarget): Promise<{ env: Record<string, string>; dispose: () => Promise<void> }> {
  const databaseName = target.uniqueDatabaseName();
  return { env: mongoServerEnv(target, databaseName), dispose: () => target.dropDatabase(databaseName) };
}

/** A store the real server can run on, as the environment that selects it. */
export interface ServerDriver {
  name: string;
  env: () => Record<string, string>;
  /** Drops what the driver's server stored and stops its database, once the tests are done. */
  done: () => Promise<void>;
}

/**
 * The drivers a test of the whole server runs on: SQLite always, MongoDB when `mongo` has one
 * (a database of its own, dropped by `done`).
 */
export function serverDrivers(mongo: MongoTestSetup): ServerDriver[] {
  const drivers: ServerDriver[] = [{ name: 'SQLite', env: () => ({}), done: async () => undefined }];
  if ('target' in mongo) {
    const { target } = mongo;
    const databaseName = target.uniqueDatabaseName();
    drivers.push({
      name: 'MongoDB',
      env: () => mongoServerEnv(target, databaseName),
      done: async () => {
        await target.dropDatabase(databaseName);
        await target.stop();
      },
    });
  }
  return drivers;
}

/**
 * Stands in for tests that need MongoDB when there is none: skipped with the reason, or failed
 * when FOODTRUCK_REQUIRE_MONGODB=1 (CI), so that a missing database never passes silently.
 */
export function reportMongoUnavailable(what: string, reason: string): void {
  if (process.env.FOODTRUCK_REQUIRE_MONGODB === '1') {
    it(what, () => {
      throw new Error(`FOODTRUCK_REQUIRE_MONGODB=1, but ${reason}`);
    });
  } else {
    it(what, { skip: reason }, () => undefined);
  }
}

/**
 * A FerretDB of the test's own, for tests that stop and restart the database; the external
 * database of MONGODB_CONNECTION_STRING cannot serve those.
 */
export async function startOwnFerretDb(): Promise<{ ferret: FerretDb } | { unavailable: string }> {
  const binary = findFerretDb();
  if (!binary) {
    return {
      unavailable:
        'this test stops and restarts its database and needs FerretDB, found neither as "ferretdb" on PATH ' +
        `nor at ${path.join(homedir(), 'go', 'bin', 'ferretdb')}`,
    };
  }
  try {
    return { ferret: await FerretDb.start(binary) };
  } catch (error) {
    return { unavailable: `FerretDB could not be started: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function makeTarget(
  connectionString: string,
  cosmos: boolean,
  prefix: string,
  description: string,
  exclusive: boolean,
  stop: () => Promise<void>,
): MongoTestTarget {
  let client: MongoClient | undefined;
  return {
    connectionString,
    cosmos,
    description,
    exclusive,
    // Short: MongoDB database names must stay under 64 bytes.
    uniqueDatabaseName: () => `${prefix.slice(0, 30)}_${process.pid}_${randomBytes(5).toString('hex')}`,
    dropDatabase: async (name) => {
      client ??= new MongoClient(connectionString, { serverSelectionTimeoutMS: 5_000 });
      await client.db(name).dropDatabase();
    },
    stop: async () => {
      await client?.close();
      await stop();
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
