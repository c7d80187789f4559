import { TASK_STATUSES, isTaskStatus } from '../../wire/task-status.js';
import { onePositional, positiveIntegerFlag, printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { progressLine } from '../progress.js';
import { selectorTermsText } from '../target-flags.js';
import { renderTable } from '../table.js';
import { lastLine, truncate, visible } from '../terminal-text.js';

const DEFAULT_NODE_ROWS = 20;
const REASON_WIDTH = 40;

export const jobsGet: Command = {
  words: ['jobs', 'get'],
  brief: 'Show a job, its counts and a page of its nodes',
  summary: 'Shows a job: its task, window, spec, per-status counts and a page of its nodes.',
  usage: 'ID [--status S] [--node TEXT] [--limit N] [--cursor C]',
  help: `
Options:
  --status STATUS  only nodes in this status (${TASK_STATUSES.join(', ')})
  --node TEXT      only nodes whose ORG/NAME contains TEXT (ignoring case)
  --limit N        nodes to show (default ${DEFAULT_NODE_ROWS})
  --cursor C       the next page, from a previous answer`,
  options: { status: { type: 'string' }, node: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
  async run(parsed, context) {
    const id = onePositional(parsed, 'job ID');
    const status = stringFlag(parsed, 'status');
    if (status !== undefined && !isTaskStatus(status)) throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')}`);
    const limit = positiveIntegerFlag(parsed, 'limit') ?? DEFAULT_NODE_ROWS;
    const client = connectFromFlags(parsed, context);
    const job = await client.jobSummary(id);
    const page = await client.jobStatuses(id, {
      ...(status ? { status } : {}),
      ...(stringFlag(parsed, 'node') ? { node: stringFlag(parsed, 'node') } : {}),
      limit,
      ...(stringFlag(parsed, 'cursor') ? { cursor: stringFlag(parsed, 'cursor') } : {}),
    });
    if (parsed.values.json) {
      printJson(context, { ...job, statuses: page.statuses, next_cursor: page.next_cursor });
      return EXIT_OK;
    }
    const { task } = job;
    const facts: Array<[string, string]> = [['Job', job.id]];
    if (job.name) facts.push(['Name', visible(job.name)]);
    if (job.rerun_of) facts.push(['Rerun of', job.rerun_of]);
    facts.push(
      ['Provider', task.provider],
      ['Created', job.created_at],
      ['Created by', job.created_by ?? 'unknown'],
      ...(job.cancelled_by ? ([['Cancelled by', job.cancelled_by]] as Array<[string, string]>) : []),
      ['Window', `${task.window_start} to ${task.window_end}`],
      ['Timeout', task.timeout ?? 'none'],
      ['Nodes', String(job.node_count) + (job.never_checked_in ? ` (${job.never_checked_in} never checked in)` : '')],
      ...(job.targets ? [['Targets', selectorTermsText(job.targets)] as [string, string]] : []),
      ['Progress', progressLine(job.summary, job.node_count)],
    );
    if (job.max_concurrency !== undefined) facts.push(['Max concurrency', String(job.max_concurrency)]);
    if (job.max_errors !== undefined) facts.push(['Max errors', String(job.max_errors)]);
    if (job.stopped) facts.push(['Stopped', `${job.stopped.at}: ${visible(job.stopped.reason)}`]);
    context.write(`${renderTable(['', ''], facts).split('\n').slice(1).join('\n')}\n`);
    context.write(`Spec:\n${JSON.stringify(task.spec, null, 2)}\n\n`);
    context.write(
      `${renderTable(
        ['NODE', 'STATUS', 'UPDATED', 'EXIT', 'REASON', 'OUTPUT (last line)'],
        page.statuses.map((s) => [
          s.node_name,
          s.status,
          s.last_updated,
          s.result ? String(s.result.exit_code) : '',
          truncate(visible(s.result?.reason ?? ''), REASON_WIDTH),
          lastLine(s.result?.output, 50),
        ]),
      )}\n`,
    );
    if (page.next_cursor) {
      context.write(`\nMore nodes: foodtruck jobs get ${job.id} --cursor ${page.next_cursor}${status ? ` --status ${status}` : ''}\n`);
    }
    if (page.statuses.some((s) => (s.result?.reason ?? '').length > REASON_WIDTH || (s.result?.output ?? '') !== '')) {
      context.write(`\nA node's whole reason and output: foodtruck jobs output ${job.id} ORG/NAME\n`);
    }
    return EXIT_OK;
  },
};
