// Which storage errors are passing (503 with Retry-After) and which are not (500).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MongoServerError } from 'mongodb';
import { answerFor } from '../src/server/errors.js';
import { toStoreError } from '../src/store/mongodb/unavailable.js';
import { StoreUnavailableError } from '../src/store/store.js';

const serverError = (code: number, message: string) => new MongoServerError({ ok: 0, code, errmsg: message, message });

describe('storage errors', () => {
  it('reads FerretDB\'s "database is locked" as a passing unavailability, answered 503 (with Retry-After, as every 503)', () => {
    const locked = toStoreError(serverError(1, 'database is locked (5) (SQLITE_BUSY)'));
    assert.ok(locked instanceof StoreUnavailableError);
    const answer = answerFor(locked, undefined);
    assert.equal(answer.statusCode, 503);
    assert.match(answer.message, /^storage is unavailable, try again later: /);
  });

  it('reads the embedded store\'s SQLITE_BUSY as 503', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const answer = answerFor(busy, undefined);
    assert.equal(answer.statusCode, 503);
  });

  it('leaves other server errors as they are: a bug is a 500, not a retry', () => {
    const other = serverError(2, 'BadValue: unknown operator');
    assert.equal(toStoreError(other), other);
    assert.equal(answerFor(other, undefined).statusCode, 500);
  });
});
