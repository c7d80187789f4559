// How the store talks to MongoDB: bounded timeouts so that no request hangs while the database is
// away. An option written in the connection string wins over these defaults, so an operator tunes
// them where MongoDB and Cosmos DB users expect to (`...?serverSelectionTimeoutMS=10000`).

import type { MongoClientOptions } from 'mongodb';

export interface MongoTimeouts {
  /** How long an operation waits for a reachable server before failing with 503. */
  serverSelectionTimeoutMS: number;
  /** How long opening a TCP/TLS connection may take; also bounds each heartbeat. */
  connectTimeoutMS: number;
  /** How long a socket may stay silent while an answer is awaited. */
  socketTimeoutMS: number;
  /**
   * How often the driver checks each server. A server that stops answering (a frozen process, a
   * network partition) is noticed within this plus connectTimeoutMS, and the requests waiting on
   * it fail then rather than at socketTimeoutMS.
   */
  heartbeatFrequencyMS: number;
  /**
   * How soon after a check of a server the driver may check it again when an operation asks it to.
   * Twice heartbeatFrequencyMS by default (10 s), not the driver's 500 ms: see
   * MIN_HEARTBEAT_FREQUENCY_FACTOR.
   */
  minHeartbeatFrequencyMS: number;
}

export const DEFAULT_TIMEOUTS: MongoTimeouts = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  // Longer than the others: one answer over a 100,000-node job may legitimately take a while.
  socketTimeoutMS: 20_000,
  heartbeatFrequencyMS: 5_000,
  minHeartbeatFrequencyMS: 10_000,
};

/**
 * Why minHeartbeatFrequencyMS is a multiple of heartbeatFrequencyMS (issue 13, item 1: one server
 * process of four answered 503 after exactly 5 s to everything for an hour after its database
 * restarted, with "connection 14 to ... closed").
 *
 * The driver (mongodb 6.9; 6.22 and 7.9 alike) keeps its monitor's connection open between
 * checks, and polls on it: FerretDB announces no topologyVersion, so there is no streaming hello.
 * When a database exits, every connection gets its FIN at once. Node destroys each socket first and
 * emits its 'close' only at the end of that turn of the event loop, in the reverse order; so the
 * pool connection whose read was in flight reports "connection N closed" while the monitor's socket
 * is already destroyed but its connection not yet marked closed. The read is retried, finds the
 * server Unknown and asks the monitor for a check; when the last check ended more than
 * minHeartbeatFrequencyMS ago, the driver runs it at once, in that same turn. The check writes its
 * hello to the destroyed socket: Node's write() answers false and emits no error, and the driver
 * waits for a 'drain' that never comes (Connection.writeCommand awaits only 'drain' or 'error').
 * The monitor stays "checking" for ever, so no check ever runs again, the server stays Unknown with
 * that last error, and every operation fails its server selection after serverSelectionTimeoutMS,
 * whatever the database does. (test/mongodb-monitor-fault-injection.test.ts reproduces it.)
 *
 * Below minHeartbeatFrequencyMS since the last check, the driver schedules a requested check on a
 * timer instead, and a timer runs in a later turn, after the monitor's socket is closed: the check
 * then opens a new connection. With twice the heartbeat interval every requested check waits for a
 * timer, unless the event loop is a whole heartbeat late. The cost: after an error on a pool
 * connection, the server is checked again at the next timer (at most minHeartbeatFrequencyMS)
 * rather than within 500 ms. What remains is covered by replacing the client (MongoStore).
 */
const MIN_HEARTBEAT_FREQUENCY_FACTOR = 2;

/** What answers on the other end: FerretDB says so in `buildInfo` (`ferretdbVersion`). */
export type DatabaseKind = 'mongodb' | 'ferretdb';

/**
 * The connections a server process keeps to FerretDB at most, unless the connection string sets
 * `maxPoolSize` (the driver's default is 100).
 *
 * FerretDB 1.x over PostgreSQL holds one of its PostgreSQL connections (`pool_max_conns`, 50 by
 * default) for each update while it asks for a second one to write with. With 50 updates at once,
 * every one of them holds one and waits for ever, and FerretDB answers nothing more until it is
 * restarted. A fleet that long-polls gets its tasks together and reports `running` together: 1,000
 * nodes reporting at once wedged FerretDB with the driver's pool (docs/benchmarks.md;
 * test/mongodb-ferretdb-postgres-pool.test.ts). With 10 per process, four server processes stay
 * below FerretDB's 50. Its SQLite backend writes one at a time anyway.
 */
export const FERRETDB_MAX_POOL_SIZE = 10;

export function clientOptions(connectionString: string, timeouts: Partial<MongoTimeouts> = {}, database: DatabaseKind = 'mongodb'): MongoClientOptions {
  const defaults: MongoClientOptions = { appName: 'foodtruck', ...DEFAULT_TIMEOUTS, ...timeouts };
  if (database === 'ferretdb') defaults.maxPoolSize = FERRETDB_MAX_POOL_SIZE;
  // A heartbeat interval set in the connection string or by the caller sets the floor that goes with it.
  const heartbeatMs = Number(connectionStringValue(connectionString, 'heartbeatFrequencyMS') ?? timeouts.heartbeatFrequencyMS ?? NaN);
  if (timeouts.minHeartbeatFrequencyMS === undefined && Number.isFinite(heartbeatMs)) {
    defaults.minHeartbeatFrequencyMS = MIN_HEARTBEAT_FREQUENCY_FACTOR * heartbeatMs;
  }
  const options: MongoClientOptions = {};
  for (const [name, value] of Object.entries(defaults)) {
    if (!connectionStringSets(connectionString, name)) Object.assign(options, { [name]: value });
  }
  return options;
}

function connectionStringSets(connectionString: string, option: string): boolean {
  return queryPairs(connectionString).some(([name]) => name.toLowerCase() === option.toLowerCase());
}

/** The value an option has in the connection string, if it is there. */
function connectionStringValue(connectionString: string, option: string): string | undefined {
  return queryPairs(connectionString).find(([name]) => name.toLowerCase() === option.toLowerCase())?.[1];
}

function queryPairs(connectionString: string): Array<[string, string]> {
  const query = connectionString.split('?', 2)[1] ?? '';
  return query.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    return equals < 0 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
  });
}

/** The hosts of a connection string, without user name or password: safe to log. */
export function describeHosts(connectionString: string): string {
  const match = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]*)/.exec(connectionString);
  return match ? `${match[1]}://${match[2]}` : 'an unparsable connection string';
}
