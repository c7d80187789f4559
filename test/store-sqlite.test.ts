import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { defineStoreConformanceSuite } from './store-conformance.js';
import { makeTempDir } from './support/temp-dir.js';

defineStoreConformanceSuite('sqlite', async () => {
  const temp = makeTempDir();
  const store = SqliteStore.open(temp.dir);
  return {
    store,
    dispose: async () => {
      await store.close();
      temp.remove();
    },
  };
});
