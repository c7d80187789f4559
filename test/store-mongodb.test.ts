import { after } from 'node:test';
import { MongoStore } from '../src/store/mongodb/mongo-store.js';
import { defineStoreConformanceSuite } from './store-conformance.js';
import { reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  after(() => target.stop());
  defineStoreConformanceSuite('mongodb', async () => {
    const databaseName = target.uniqueDatabaseName();
    const store = await MongoStore.connect({
      connectionString: target.connectionString,
      databaseName,
      cosmos: target.cosmos,
    });
    return {
      store,
      dispose: async () => {
        await store.close();
        await target.dropDatabase(databaseName);
      },
    };
  });
} else {
  reportMongoUnavailable('store conformance: mongodb', mongo.unavailable);
}
