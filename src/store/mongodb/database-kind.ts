// Which MongoDB-protocol server the store talks to, for the few defaults that differ (see
// FERRETDB_MAX_POOL_SIZE). FerretDB names itself in `buildInfo`; MongoDB and Cosmos DB do not.

import { MongoServerError, type MongoClient } from 'mongodb';
import type { DatabaseKind } from './client-options.js';

export async function databaseKind(client: MongoClient, databaseName: string): Promise<DatabaseKind> {
  try {
    const info = await client.db(databaseName).command({ buildInfo: 1 });
    return typeof info.ferretdbVersion === 'string' ? 'ferretdb' : 'mongodb';
  } catch (error) {
    // A server that refuses the command is not FerretDB, which answers it. Anything else (the
    // database gone) is the caller's to report.
    if (error instanceof MongoServerError) return 'mongodb';
    throw error;
  }
}
