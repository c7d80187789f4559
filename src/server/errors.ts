// The server's few error kinds and, in one place, the HTTP status and JSON message each answers.

import { InvalidCursorError, StoreUnavailableError } from '../store/store.js';
import { INVALID_REQUEST_JSON } from '../wire/job-request.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const unauthorized = () => new HttpError(401, 'Unauthorized');
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);

/** What a 503 asks the caller to wait before trying again (`Retry-After`, in seconds). */
export const RETRY_AFTER_SECONDS = 5;

export interface ErrorAnswer {
  statusCode: number;
  message: string;
  /** Whether it is worth a log line at error level: the server's fault, not the caller's. */
  serverFault: boolean;
}

/** Turns anything thrown while serving a request into the status and message answered. */
export function answerFor(error: unknown, bodyLimitBytes: number | undefined): ErrorAnswer {
  if (error instanceof HttpError) return { statusCode: error.statusCode, message: error.message, serverFault: false };
  if (error instanceof InvalidCursorError) return { statusCode: 400, message: 'invalid cursor', serverFault: false };
  if (error instanceof StoreUnavailableError) {
    return {
      statusCode: 503,
      message: `storage is unavailable, try again later: ${error.message}`,
      serverFault: true,
    };
  }
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      // The embedded store's file held by another program (the sqlite3 shell, a backup) for longer
      // than its busy timeout: passing, like any other unavailable storage.
      return {
        statusCode: 503,
        message: 'storage is unavailable, try again later: the database is locked',
        serverFault: true,
        };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, message: INVALID_REQUEST_JSON, serverFault: false };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // The contract makes a too large body a 400, like every other malformed job.
      return {
        statusCode: 400,
        message: `request body is too large: at most ${bodyLimitBytes ?? 'the allowed number of'} bytes`,
        serverFault: false,
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { statusCode: 400, message: 'request body length does not match its Content-Length', serverFault: false };
  }
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { statusCode, message: (error as Error).message || 'bad request', serverFault: false };
  }
  return { statusCode: 500, message: 'internal server error', serverFault: true };
}
