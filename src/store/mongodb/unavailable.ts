// Which driver errors mean "the database is not there right now", as opposed to a bug or a
// refused request. Those become StoreUnavailableError: the server answers 503 and carries on, and
// the driver reconnects by itself when the database returns.

import {
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { StoreUnavailableError } from '../store.js';

/**
 * Server error codes of a database that is up but cannot serve now: shutting down, failing over,
 * out of time, or (Cosmos DB, 16500) throttling requests beyond its provisioned throughput.
 */
const UNAVAILABLE_SERVER_CODES: ReadonlySet<number> = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  16500, // Cosmos DB: TooManyRequests (request rate is large)
]);

/**
 * A database that is up but busy for a moment: FerretDB on its SQLite backend answers
 * "database is locked" (SQLITE_BUSY) as an internal error when writers from several server
 * processes collide; PostgreSQL under FerretDB reports serialization failures and deadlocks.
 */
const TRANSIENT_SERVER_MESSAGE = /database is locked|SQLITE_BUSY|could not serialize access|deadlock detected/i;

export function isUnavailableError(error: unknown): boolean {
  // MongoNetworkError covers refused and reset connections, socket timeouts (MongoNetworkTimeoutError)
  // and cleared pools.
  if (error instanceof MongoServerSelectionError || error instanceof MongoNetworkError) return true;
  if (!(error instanceof MongoServerError)) return false;
  if (typeof error.code === 'number' && UNAVAILABLE_SERVER_CODES.has(error.code)) return true;
  return TRANSIENT_SERVER_MESSAGE.test(error.message);
}

/** Rethrows `error` as StoreUnavailableError when it means the database cannot be reached. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailableError(error)) return error;
  return new StoreUnavailableError('the database cannot be reached or did not answer in time', { cause: error });
}
