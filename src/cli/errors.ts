// What can go wrong in the CLI, each with the exit status a script sees.

export const EXIT_OK = 0;
/** The job finished, but not every node succeeded. */
export const EXIT_NOT_ALL_SUCCEEDED = 1;
/** The command line was wrong: nothing was sent. */
export const EXIT_USAGE = 2;
/** The server refused the request or could not be reached, or a file could not be read. */
export const EXIT_FAILURE = 3;

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
