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
}

export const DEFAULT_TIMEOUTS: MongoTimeouts = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  // Longer than the others: one answer over a 100,000-node job may legitimately take a while.
  socketTimeoutMS: 20_000,
  heartbeatFrequencyMS: 5_000,
};

export function clientOptions(connectionString: string, timeouts: Partial<MongoTimeouts> = {}): MongoClientOptions {
  const defaults: MongoClientOptions = { appName: 'foodtruck', ...DEFAULT_TIMEOUTS, ...timeouts };
  const options: MongoClientOptions = {};
  for (const [name, value] of Object.entries(defaults)) {
    if (!connectionStringSets(connectionString, name)) Object.assign(options, { [name]: value });
  }
  return options;
}

function connectionStringSets(connectionString: string, option: string): boolean {
  const query = connectionString.split('?', 2)[1] ?? '';
  return query.split('&').some((pair) => pair.split('=', 1)[0]?.toLowerCase() === option.toLowerCase());
}

/** The hosts of a connection string, without user name or password: safe to log. */
export function describeHosts(connectionString: string): string {
  const match = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]*)/.exec(connectionString);
  return match ? `${match[1]}://${match[2]}` : 'an unparsable connection string';
}
