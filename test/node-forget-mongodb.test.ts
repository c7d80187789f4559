import { after } from 'node:test';
import { defineNodeForgetSuite } from './node-forget-suite.js';
import { freshMongoDatabase, reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  after(() => target.stop());
  defineNodeForgetSuite('mongodb', () => freshMongoDatabase(target));
} else {
  reportMongoUnavailable('forgetting nodes: mongodb', mongo.unavailable);
}
