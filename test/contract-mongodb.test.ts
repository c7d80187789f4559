import { after } from 'node:test';
import { defineContractSuite } from './contract-suite.js';
import { freshMongoDatabase, reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';

const mongo = await setUpMongoForTests();

if ('target' in mongo) {
  const { target } = mongo;
  after(() => target.stop());
  defineContractSuite('mongodb', () => freshMongoDatabase(target));
} else {
  reportMongoUnavailable('wire contract over TCP: mongodb', mongo.unavailable);
}
