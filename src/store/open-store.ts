import type { StoreConfig } from '../server/config.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens the store the configuration names, migrated and ready. */
export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.kind) {
    case 'sqlite':
      return SqliteStore.open(config.dataDir);
    case 'mongodb':
      throw new Error('the MongoDB store is not built into this version yet');
  }
}
