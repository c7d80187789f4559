import { after } from 'node:test';
import { defineNodeForgetSuite } from './node-forget-suite.js';
import { reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  after(() => target.stop());
  defineNodeForgetSuite('mongodb', async () => {
    const databaseName = target.uniqueDatabaseName();
    return {
      env: {
        MONGODB_CONNECTION_STRING: target.connectionString,
        MONGODB_DATABASE_NAME: databaseName,
        FOODTRUCK_COSMOS_DB: String(target.cosmos),
      },
      dispose: () => target.dropDatabase(databaseName),
    };
  });
} else {
  reportMongoUnavailable('forgetting nodes: mongodb', mongo.unavailable);
}
