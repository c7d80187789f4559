import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TIMEOUTS, FERRETDB_MAX_POOL_SIZE, clientOptions, describeHosts } from '../src/store/mongodb/client-options.js';

describe('MongoDB client options', () => {
  it('bounds every wait by default', () => {
    const options = clientOptions('mongodb://db.example:27017/');
    assert.equal(options.serverSelectionTimeoutMS, DEFAULT_TIMEOUTS.serverSelectionTimeoutMS);
    assert.equal(options.connectTimeoutMS, DEFAULT_TIMEOUTS.connectTimeoutMS);
    assert.equal(options.socketTimeoutMS, DEFAULT_TIMEOUTS.socketTimeoutMS);
    assert.equal(options.heartbeatFrequencyMS, DEFAULT_TIMEOUTS.heartbeatFrequencyMS);
    assert.equal(options.minHeartbeatFrequencyMS, 2 * DEFAULT_TIMEOUTS.heartbeatFrequencyMS);
  });

  it('re-checks a server at most every two heartbeats, whichever heartbeat is set', () => {
    assert.equal(clientOptions('mongodb://h/?heartbeatFrequencyMS=8000').minHeartbeatFrequencyMS, 16_000);
    assert.equal(clientOptions('mongodb://h/', { heartbeatFrequencyMS: 1_000 }).minHeartbeatFrequencyMS, 2_000);
    assert.equal(clientOptions('mongodb://h/', { minHeartbeatFrequencyMS: 700 }).minHeartbeatFrequencyMS, 700);
    assert.equal('minHeartbeatFrequencyMS' in clientOptions('mongodb://h/?minHeartbeatFrequencyMS=500'), false);
  });

  it('leaves a timeout written in the connection string to the connection string', () => {
    const options = clientOptions('mongodb://h1,h2/?ssl=true&SERVERSELECTIONTIMEOUTMS=900&socketTimeoutMS=1200&appName=@acct@', {
      connectTimeoutMS: 700,
    });
    assert.equal('serverSelectionTimeoutMS' in options, false);
    assert.equal('socketTimeoutMS' in options, false);
    assert.equal('appName' in options, false);
    assert.equal(options.connectTimeoutMS, 700);
  });

  it('keeps the driver\'s pool for MongoDB and Cosmos DB, a smaller one for FerretDB, and a pool size in the connection string wins', () => {
    assert.equal('maxPoolSize' in clientOptions('mongodb://h/'), false);
    assert.equal(clientOptions('mongodb://h/', {}, 'ferretdb').maxPoolSize, FERRETDB_MAX_POOL_SIZE);
    assert.equal('maxPoolSize' in clientOptions('mongodb://h/?maxPoolSize=40', {}, 'ferretdb'), false);
  });

  it('describes the hosts without the user name or password', () => {
    assert.equal(
      describeHosts('mongodb://foodtruck:s3cr%40t@acct.mongo.cosmos.azure.com:10255/?ssl=true&replicaSet=globaldb'),
      'mongodb://acct.mongo.cosmos.azure.com:10255',
    );
    assert.equal(describeHosts('mongodb+srv://u:p@cluster0.example.net/db'), 'mongodb+srv://cluster0.example.net');
    assert.equal(describeHosts('not a url'), 'an unparsable connection string');
  });
});
