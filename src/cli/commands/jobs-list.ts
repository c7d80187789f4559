import { noPositionals, positiveIntegerFlag, printJson, stringFlag, type Command } from '../command.js';
import { connect } from '../connection.js';
import { EXIT_OK } from '../errors.js';
import { countsText, finishedCount } from '../progress.js';
import { renderTable } from '../table.js';

export const jobsList: Command = {
  words: ['jobs', 'list'],
  brief: 'List jobs, newest first, with their progress',
  summary: 'Lists jobs, newest first, with their progress.',
  usage: '[--limit N] [--cursor C]',
  help: `
Options:
  --limit N    jobs to show (default 20)
  --cursor C   the next page, from a previous answer`,
  options: { limit: { type: 'string' }, cursor: { type: 'string' } },
  async run(parsed, context) {
    noPositionals(parsed);
    const limit = positiveIntegerFlag(parsed, 'limit') ?? 20;
    const cursor = stringFlag(parsed, 'cursor');
    const client = connect({ url: stringFlag(parsed, 'url'), key: stringFlag(parsed, 'key') }, context.env);
    const page = await client.listJobs({ limit, ...(cursor ? { cursor } : {}) });
    if (parsed.values.json) {
      printJson(context, page);
      return EXIT_OK;
    }
    if (page.jobs.length === 0) {
      context.write('No jobs.\n');
      return EXIT_OK;
    }
    context.write(
      `${renderTable(
        ['ID', 'CREATED', 'BY', 'PROVIDER', 'NODES', 'DONE', 'STATUSES'],
        page.jobs.map((job) => [
          job.id,
          job.created_at,
          job.created_by ?? '',
          job.task.provider,
          String(job.node_count),
          `${Math.floor((100 * finishedCount(job.summary)) / Math.max(job.node_count, 1))}%`,
          countsText(job.summary),
        ]),
      )}\n`,
    );
    if (page.next_cursor) context.write(`\nOlder jobs: foodtruck jobs list --cursor ${page.next_cursor}\n`);
    return EXIT_OK;
  },
};
