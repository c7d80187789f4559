import { after } from 'node:test';
import { defineHostileInputSuite } from './hostile-input-suite.js';
import { freshMongoDatabase, reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  after(() => target.stop());
  defineHostileInputSuite('mongodb', () => freshMongoDatabase(target));
} else {
  reportMongoUnavailable('hostile input over TCP: mongodb', mongo.unavailable);
}
