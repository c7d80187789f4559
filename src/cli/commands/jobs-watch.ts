import { parseGoDuration } from '../../wire/go-duration.js';
import { onePositional, stringFlag, type Command, type ParsedCommand } from '../command.js';
import { connect } from '../connection.js';
import { UsageError } from '../errors.js';
import { DEFAULT_WATCH_INTERVAL_MS, followJob } from '../follow-job.js';

export const jobsWatch: Command = {
  words: ['jobs', 'watch'],
  brief: 'Follow a job to its end; exit 0 only if every node succeeded',
  summary: 'Follows a job with a progress bar and per-status counts until no node is queued, pending or running; then lists the failed nodes with their exit codes and reasons.',
  usage: 'ID [--interval 2s]',
  help: `
Exit status: 0 when every node succeeded; 1 when any failed, expired or was cancelled; 2 for a
wrong command line; 3 when the server refused or could not be reached.

Options:
  --interval DURATION  how often to check (default 2s)

With --json, prints nothing while waiting, then the job's summary with "succeeded" and "failed"
(the failed nodes' statuses).`,
  options: { interval: { type: 'string' } },
  async run(parsed, context) {
    const id = onePositional(parsed, 'job ID');
    const client = connect({ url: stringFlag(parsed, 'url'), key: stringFlag(parsed, 'key') }, context.env);
    return followJob(client, id, context, { intervalMs: watchInterval(parsed), json: parsed.values.json === true });
  },
};

export function watchInterval(parsed: ParsedCommand): number {
  const text = stringFlag(parsed, 'interval');
  if (text === undefined) return DEFAULT_WATCH_INTERVAL_MS;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 100) throw new UsageError(`--interval must be a duration of at least 100ms, such as 2s, got "${text}"`);
  return ms;
}
