import type { StoreConfig } from '../server/config.js';
import { MongoStore } from './mongodb/mongo-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import type { LeasePolicy } from './task-lease.js';

/** Opens the store the configuration names, migrated and ready. */
/** What a store tells its server about itself, for the log. */
export interface StoreEvents {
  /** MongoDB: a fresh driver client took over from one that stayed unusable after the database returned. */
  onClientReplaced?: () => void;
}

export async function openStore(config: StoreConfig, leasePolicy: LeasePolicy, events: StoreEvents = {}): Promise<Store> {
  switch (config.kind) {
    case 'sqlite':
      return SqliteStore.open(config.dataDir, leasePolicy);
    case 'mongodb':
      // Timeouts are tuned in the connection string itself (see client-options.ts).
      return MongoStore.connect({
        connectionString: config.connectionString,
        databaseName: config.databaseName,
        cosmos: config.cosmos,
        leasePolicy,
        ...(events.onClientReplaced ? { onClientReplaced: events.onClientReplaced } : {}),
      });
  }
}
