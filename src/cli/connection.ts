// Where the server is and which key opens it: flags first, then the environment.

import { AdminClient } from './admin-client.js';
import { stringFlag, type CliContext, type ParsedCommand } from './command.js';
import { UsageError } from './errors.js';

export const DEFAULT_SERVER_URL = 'http://localhost:1323';

export interface ConnectionFlags {
  url?: string | undefined;
  key?: string | undefined;
}

export function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv): AdminClient {
  const url = flags.url ?? nonEmpty(env.FOODTRUCK_URL) ?? DEFAULT_SERVER_URL;
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) {
    throw new UsageError(`the server URL must look like http://host:1323, got "${url}"`);
  }
  const key = flags.key ?? nonEmpty(env.ADMIN_API_KEY);
  if (!key) throw new UsageError('no admin key: set ADMIN_API_KEY (or pass --key)');
  return new AdminClient(url, key);
}

/** The client for a command's `--url` and `--key` flags, else the environment. */
export function connectFromFlags(parsed: ParsedCommand, context: CliContext): AdminClient {
  return connect({ url: stringFlag(parsed, 'url'), key: stringFlag(parsed, 'key') }, context.env);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
