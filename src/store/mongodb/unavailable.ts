// Which driver errors mean "the database is not there right now", as opposed to a bug or a
// refused request. Those become StoreUnavailableError: the server answers 503 and carries on, and
// the driver reconnects by itself when the database returns.
//
// The driver does not wrap every such failure in its own network error: a socket the database
// closed while a command was being written surfaces as Node's ERR_STREAM_WRITE_AFTER_END, a
// client or pool closed under a request as an API error, a full pool as a wait-queue timeout.
// All of them are the database being away, so all of them are 503.

import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
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
 * Driver errors that are not exported as classes, by name: the pool closed under a waiting request
 * (the client is closing), and a request that waited too long for one of the pool's connections.
 */
const UNAVAILABLE_DRIVER_ERROR_NAMES: ReadonlySet<string> = new Set(['MongoPoolClosedError', 'MongoWaitQueueTimeoutError']);

/** Node's codes for a socket that broke, closed or never opened. */
const UNAVAILABLE_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_SOCKET_CLOSED',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
  'EAI_AGAIN',
]);

/** Driver labels the server or driver puts on errors worth retrying once the database is back. */
const UNAVAILABLE_LABELS = ['ResetPool', 'SystemOverloadedError'] as const;

/**
 * A database that is up but busy for a moment: FerretDB on its SQLite backend answers
 * "database is locked" (SQLITE_BUSY) as an internal error when writers from several server
 * processes collide; PostgreSQL under FerretDB reports serialization failures and deadlocks.
 */
const TRANSIENT_SERVER_MESSAGE = /database is locked|SQLITE_BUSY|could not serialize access|deadlock detected/i;

/** How far down `cause` chains to look: wrapped errors are one or two levels deep. */
const MAX_CAUSE_DEPTH = 5;

export function isUnavailableError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (meansUnreachable(current)) return true;
    current = current.cause;
  }
  return false;
}

function meansUnreachable(error: Error): boolean {
  // MongoNetworkError covers refused and reset connections, "connection N to host closed", socket
  // timeouts (MongoNetworkTimeoutError) and cleared pools (PoolClearedError).
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError
  ) {
    return true;
  }
  if (UNAVAILABLE_DRIVER_ERROR_NAMES.has(error.name)) return true;
  if (error instanceof MongoError && UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label))) return true;
  if (error instanceof MongoServerError) {
    return (typeof error.code === 'number' && UNAVAILABLE_SERVER_CODES.has(error.code)) || TRANSIENT_SERVER_MESSAGE.test(error.message);
  }
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && UNAVAILABLE_SYSTEM_CODES.has(code);
}

/**
 * A database that refused a write because others held it at that moment ("database is locked",
 * a serialization failure, a deadlock): nothing was written, and the same operation a moment later
 * may well succeed. A narrower kind of unavailable: worth a retry or two before giving up.
 */
export function isBusyError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (current instanceof MongoServerError && TRANSIENT_SERVER_MESSAGE.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/** Rethrows `error` as StoreUnavailableError when it means the database cannot be reached. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailableError(error)) return error;
  return new StoreUnavailableError('the database cannot be reached or did not answer in time', { cause: error });
}
