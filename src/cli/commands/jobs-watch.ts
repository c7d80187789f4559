import { parseGoDuration } from '../../wire/go-duration.js';
import { onePositional, stringFlag, type Command, type ParsedCommand } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { UsageError } from '../errors.js';
import { DEFAULT_WATCH_INTERVAL_MS, followJob } from '../follow-job.js';

export const jobsWatch: Command = {
  words: ['jobs', 'watch'],
  brief: 'Follow a job to its end; exit 0 only if every node succeeded',
  summary: 'Follows a job with a progress bar and per-status counts until no node is queued, pending or running; then lists the failed nodes with their exit codes and reasons.',
  usage: 'ID [--interval 2s] [--timeout 30m]',
  help: `
Exit status: 0 when every node succeeded; 1 when any failed, timed out, expired or was cancelled;
2 for a wrong command line; 3 when the server refused or could not be reached at the start;
4 when --timeout passed before the job finished.

Once it has the job, a server restart or a passing error (5xx, 429, no answer) does not end it:
it says so on one line, retries with backoff (1s doubling to 30s) and carries on.

Options:
  --interval DURATION  how often to check (default 2s)
  --timeout DURATION   give up after this long, e.g. 30m (exit status 4); default: no limit

With --json, prints nothing while waiting, then the job's summary with "finished", "succeeded" and
"failed" (the statuses of the nodes that failed or timed out).`,
  options: { interval: { type: 'string' }, timeout: { type: 'string' } },
  async run(parsed, context) {
    const id = onePositional(parsed, 'job ID');
    const intervalMs = watchInterval(parsed);
    const timeoutMs = waitDeadline(parsed, 'timeout');
    const client = connectFromFlags(parsed, context);
    return followJob(client, id, context, { intervalMs, timeoutMs, json: parsed.values.json === true });
  },
};

/** The longest wait one timer can hold (2^31-1 ms, about 596 h). */
const MAX_WAIT_MS = 2 ** 31 - 1;

export function watchInterval(parsed: ParsedCommand): number {
  const text = stringFlag(parsed, 'interval');
  if (text === undefined) return DEFAULT_WATCH_INTERVAL_MS;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 100 || ms > MAX_WAIT_MS) {
    throw new UsageError(`--interval must be a duration from 100ms to 596h, such as 2s, got "${text}"`);
  }
  return ms;
}

/** How long `watch` / `--wait` may wait for the job to finish (`flag`); undefined: no limit. */
export function waitDeadline(parsed: ParsedCommand, flag: string): number | undefined {
  const text = stringFlag(parsed, flag);
  if (text === undefined) return undefined;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms <= 0 || ms > MAX_WAIT_MS) {
    throw new UsageError(`--${flag} must be a duration from 1ms to 596h, such as 30m, got "${text}"`);
  }
  return ms;
}
