// What can go wrong in the CLI, each with the exit status a script sees.

export const EXIT_OK = 0;
/** The job finished, but not every node succeeded. */
export const EXIT_NOT_ALL_SUCCEEDED = 1;
/** The command line was wrong: nothing was sent. */
export const EXIT_USAGE = 2;
/** The server refused the request or could not be reached, or a file could not be read. */
export const EXIT_FAILURE = 3;
/** `watch`/`--wait` gave up: the job was still running when the deadline (`--timeout`) passed. */
export const EXIT_WAIT_TIMEOUT = 4;

/** A mistake on the command line; the message says how to fix it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The server answered an error: its status and its JSON `message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Anything else that stops a command: an unreachable server, an unreadable file. */
export class CommandError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandError';
  }
}

/** No answer from the server: refused, reset, timed out. Worth another try when following a job. */
export class UnreachableError extends CommandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** Whether trying the same request again later may well succeed (a restart, an overload). */
export function isTransient(error: unknown): boolean {
  if (error instanceof UnreachableError) return true;
  return error instanceof ApiError && (error.status >= 500 || error.status === 408 || error.status === 429);
}
