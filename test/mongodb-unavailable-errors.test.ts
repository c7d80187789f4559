// Every driver error that means "the database is not there" becomes StoreUnavailableError (503),
// whatever class the driver gave it; errors that mean a bug or a refused request do not.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import {
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoInvalidArgumentError,
} from 'mongodb';
import { MongoStore } from '../src/store/mongodb/mongo-store.js';
import { isUnavailableError, toStoreError } from '../src/store/mongodb/unavailable.js';
import { StoreUnavailableError } from '../src/store/store.js';
import { reportMongoUnavailable, setUpMongoForTests } from './support/mongodb-server.js';

// The driver's pool errors are not exported from its main module: the real classes, from their file.
type ErrorClass = new (...args: unknown[]) => Error;
const { PoolClearedError, PoolClosedError, WaitQueueTimeoutError } = createRequire(import.meta.url)('mongodb/lib/cmap/errors.js') as Record<
  'PoolClearedError' | 'PoolClosedError' | 'WaitQueueTimeoutError',
  ErrorClass
>;

/** The error Node itself raises when a socket that has ended is written to. */
async function writeAfterEndError(): Promise<Error> {
  const stream = new PassThrough();
  stream.end();
  return new Promise((resolve) => {
    stream.on('error', resolve);
    stream.write('late');
  });
}

describe('which MongoDB driver errors mean the database is unreachable', () => {
  const pool = { address: '127.0.0.1:27019', serverError: undefined, options: {} } as never;

  it('counts socket, pool, topology and selection failures as unavailable', async () => {
    const unavailable: Array<[string, unknown]> = [
      ['ERR_STREAM_WRITE_AFTER_END', await writeAfterEndError()],
      ['connection closed', new MongoNetworkError('connection 14 to 127.0.0.1:27019 closed')],
      ['socket timeout', new MongoNetworkTimeoutError('connection 3 to 127.0.0.1:27019 timed out')],
      ['pool cleared', new PoolClearedError(pool)],
      ['pool closed', new PoolClosedError(pool)],
      ['wait queue timeout', new WaitQueueTimeoutError('Timed out while checking out a connection from connection pool', '127.0.0.1:27019')],
      ['server closed', new MongoServerClosedError()],
      ['topology closed', new MongoTopologyClosedError()],
      ['not connected', new MongoNotConnectedError('client must be connected')],
      ['server selection', new MongoServerSelectionError('Server selection timed out after 5000 ms', { type: 'Unknown', servers: new Map() } as never)],
      ['shutting down', new MongoServerError({ message: 'interrupted at shutdown', code: 11600 })],
      ['reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
      ['wrapped', new Error('bulk write failed', { cause: new MongoNetworkError('connection 2 to 127.0.0.1:27019 closed') })],
    ];
    for (const [what, error] of unavailable) {
      assert.equal(isUnavailableError(error), true, what);
      assert.ok(toStoreError(error) instanceof StoreUnavailableError, what);
    }
    const labelled = new MongoError('pool reset');
    labelled.addErrorLabel('ResetPool');
    assert.equal(isUnavailableError(labelled), true, 'ResetPool label');
  });

  it('leaves bugs and refused requests alone', () => {
    const others: Array<[string, unknown]> = [
      ['duplicate key', new MongoServerError({ message: 'E11000 duplicate key', code: 11000 })],
      ['bad argument', new MongoInvalidArgumentError('bad')],
      ['plain error', new Error('boom')],
      ['type error', new TypeError('x is undefined')],
      ['not an error', 'a string'],
    ];
    for (const [what, error] of others) {
      assert.equal(isUnavailableError(error), false, what);
      assert.equal(toStoreError(error), error, what);
    }
  });
});

const mongo = await setUpMongoForTests();
if ('target' in mongo) {
  const { target } = mongo;
  after(() => target.stop());
  describe('a MongoDB store whose client is closed under it', () => {
    it('throws StoreUnavailableError from every operation, never a driver error', async () => {
      const databaseName = target.uniqueDatabaseName();
      const store = await MongoStore.connect({ connectionString: target.connectionString, databaseName, cosmos: target.cosmos });
      await store.close();
      const node = { org: 'org', name: 'closed' };
      const now = new Date();
      const operations: Array<[string, () => Promise<unknown>]> = [
        ['checkHealth', () => store.checkHealth()],
        ['listJobs', () => store.listJobs({ limit: 10 }, now)],
        ['getJob', () => store.getJob('5ff7686a91072739255a4a35', now)],
        ['claimNextTask', () => store.claimNextTask(node, now)],
        ['recordCheckIns', () => store.recordCheckIns([{ node, at: now }])],
        ['listNodes', () => store.listNodes({ limit: 10 }, now)],
      ];
      for (const [what, operation] of operations) {
        await assert.rejects(operation, StoreUnavailableError, what);
      }
      await target.dropDatabase(databaseName);
    });
  });
} else {
  reportMongoUnavailable('a MongoDB store whose client is closed under it', mongo.unavailable);
}
