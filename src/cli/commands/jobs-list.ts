import { noPositionals, positiveIntegerFlag, printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { countsText, finishedCount } from '../progress.js';
import { renderTable } from '../table.js';
import { truncate, visible } from '../terminal-text.js';

export const jobsList: Command = {
  words: ['jobs', 'list'],
  brief: 'List jobs, newest first, with their progress',
  summary: 'Lists jobs, newest first, with their progress.',
  usage: '[--state active|finished] [--provider NAME] [--name TEXT] [--limit N] [--cursor C]',
  help: `
Options:
  --state STATE    active (something still queued, pending or running) or finished
  --provider NAME  only jobs of this provider
  --name TEXT      only jobs whose name contains TEXT
  --limit N        jobs to show (default 20)
  --cursor C       the next page, from a previous answer (give the same filters)`,
  options: {
    limit: { type: 'string' },
    cursor: { type: 'string' },
    state: { type: 'string' },
    provider: { type: 'string' },
    name: { type: 'string' },
  },
  async run(parsed, context) {
    noPositionals(parsed);
    const limit = positiveIntegerFlag(parsed, 'limit') ?? 20;
    const cursor = stringFlag(parsed, 'cursor');
    const stateText = stringFlag(parsed, 'state');
    if (stateText !== undefined && stateText !== 'active' && stateText !== 'finished') {
      throw new UsageError(`--state must be active or finished, got "${stateText}"`);
    }
    const state = stateText as 'active' | 'finished' | undefined;
    const filters = {
      ...(state ? { state } : {}),
      ...(stringFlag(parsed, 'provider') ? { provider: stringFlag(parsed, 'provider') } : {}),
      ...(stringFlag(parsed, 'name') ? { name: stringFlag(parsed, 'name') } : {}),
    };
    const client = connectFromFlags(parsed, context);
    const page = await client.listJobs({ limit, ...filters, ...(cursor ? { cursor } : {}) });
    if (parsed.values.json) {
      printJson(context, page);
      return EXIT_OK;
    }
    if (page.jobs.length === 0) {
      context.write('No jobs.\n');
      return EXIT_OK;
    }
    // The NAME column only when some job on the page has a name.
    const named = page.jobs.some((job) => job.name);
    context.write(
      `${renderTable(
        ['ID', ...(named ? ['NAME'] : []), 'CREATED', 'BY', 'PROVIDER', 'NODES', 'DONE', 'STATUSES'],
        page.jobs.map((job) => [
          job.id,
          ...(named ? [truncate(visible(job.name ?? ''), 30)] : []),
          job.created_at,
          job.created_by ?? '',
          job.task.provider,
          String(job.node_count),
          `${Math.floor((100 * finishedCount(job.summary)) / Math.max(job.node_count, 1))}%`,
          countsText(job.summary) + (job.stopped ? '  (stopped)' : '') + (job.rerun_of ? `  (rerun of ${job.rerun_of})` : ''),
        ]),
      )}\n`,
    );
    if (page.next_cursor) {
      const again = Object.entries(filters).map(([flag, value]) => ` --${flag} ${JSON.stringify(value)}`).join('');
      context.write(`\nOlder jobs: foodtruck jobs list${again} --cursor ${page.next_cursor}\n`);
    }
    return EXIT_OK;
  },
};
