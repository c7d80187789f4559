import { TASK_STATUSES, isTaskStatus } from '../../wire/task-status.js';
import { formatRfc3339 } from '../../wire/rfc3339.js';
import { listFlag, onePositional, printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { followJob } from '../follow-job.js';
import { parseEnd, parseStart } from '../time-input.js';
import { waitDeadline, watchInterval } from './jobs-watch.js';

/** What the server re-runs when no --status is given. */
const DEFAULT_RERUN_STATUSES = ['failed', 'timed_out', 'expired'];

export const jobsRerun: Command = {
  words: ['jobs', 'rerun'],
  brief: 'Run a job again on the nodes that did not succeed; prints the new job\'s id',
  summary:
    'Creates a new job with the same task for exactly the nodes of job ID in the chosen statuses ' +
    `(default: ${DEFAULT_RERUN_STATUSES.join(', ')}). The new job records which one it re-runs. Prints its id.`,
  usage: 'ID [--status S]... [--start WHEN] [--end WHEN] [--wait]',
  help: `
Options:
  --status STATUS   re-run the nodes in this status; repeat for more
                    (${TASK_STATUSES.join(', ')})
  --start WHEN      a new window: now, +10m from now, or an RFC 3339 time
  --end WHEN        +1h from the start, or an RFC 3339 time (with --start alone: +1h)
                    Without --start and --end the server picks the window.
  --wait            follow the new job until it finishes, as \`foodtruck jobs watch\` does
  --interval DURATION, --wait-timeout DURATION   as for \`foodtruck jobs create --wait\`

Examples:
  foodtruck jobs rerun 5ff7686a91072739255a4a35
  foodtruck jobs rerun 5ff7686a91072739255a4a35 --status failed --status cancelled --end +4h --wait`,
  options: {
    status: { type: 'string', multiple: true },
    start: { type: 'string' },
    end: { type: 'string' },
    wait: { type: 'boolean' },
    interval: { type: 'string' },
    'wait-timeout': { type: 'string' },
  },
  async run(parsed, context) {
    const id = onePositional(parsed, 'job ID');
    const statuses = listFlag(parsed, 'status');
    for (const status of statuses) {
      if (!isTaskStatus(status)) throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')}, got "${status}"`);
    }
    const body: { statuses?: string[]; window_start?: string; window_end?: string } = {};
    if (statuses.length > 0) body.statuses = [...new Set(statuses)];
    const startText = stringFlag(parsed, 'start');
    const endText = stringFlag(parsed, 'end');
    if (startText !== undefined || endText !== undefined) {
      const start = parseStart(startText ?? 'now', new Date());
      body.window_start = formatRfc3339(start);
      body.window_end = formatRfc3339(parseEnd(endText ?? '+1h', start));
    }
    const intervalMs = watchInterval(parsed);
    const timeoutMs = waitDeadline(parsed, 'wait-timeout');
    if (timeoutMs !== undefined && !parsed.values.wait) throw new UsageError('--wait-timeout goes with --wait');

    const client = connectFromFlags(parsed, context);
    const answer = await client.rerunJob(id, body);
    const json = parsed.values.json === true;
    if (!parsed.values.wait) {
      if (json) printJson(context, answer);
      else context.write(`${answer.id}\n`);
      return EXIT_OK;
    }
    if (!json) context.writeError(`created job ${answer.id}, a rerun of ${id}; following it\n`);
    return followJob(client, answer.id, context, { intervalMs, timeoutMs, json });
  },
};
