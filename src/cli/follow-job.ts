// Follows a job until no node is left queued, pending or running, polling the cheap summary route;
// then lists the nodes that failed. Used by `jobs watch` and `jobs create --wait`.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AdminClient, JobSummaryJson, NodeStatusJson } from './admin-client.js';
import type { CliContext } from './command.js';
import { EXIT_NOT_ALL_SUCCEEDED, EXIT_OK } from './errors.js';
import { countsText, isFinished, progressLine } from './progress.js';
import { renderTable } from './table.js';
import { lastLine, truncate } from './terminal-text.js';

export const DEFAULT_WATCH_INTERVAL_MS = 2000;
const FAILED_PAGE_SIZE = 1000;

export interface FollowOptions {
  intervalMs: number;
  json: boolean;
}

export async function followJob(client: AdminClient, id: string, context: CliContext, options: FollowOptions): Promise<number> {
  let job: JobSummaryJson;
  let shown = '';
  for (;;) {
    job = await client.jobSummary(id);
    const line = progressLine(job.summary, job.node_count);
    if (!options.json && line !== shown) {
      // On a terminal the line is redrawn in place; in a log, each change is a line of its own.
      context.write(context.isTerminal ? `\r\u001b[2K${line}` : `${line}\n`);
      shown = line;
    }
    if (isFinished(job.summary)) break;
    await sleep(options.intervalMs);
  }
  if (!options.json && context.isTerminal) context.write('\n');

  const failed = await allFailed(client, id);
  const succeeded = job.summary.success === job.node_count;
  if (options.json) {
    context.write(`${JSON.stringify({ ...job, succeeded, failed }, null, 2)}\n`);
  } else {
    context.write(succeeded ? `All ${job.node_count} node(s) succeeded.\n` : `Finished: ${countsText(job.summary)}\n`);
    if (failed.length > 0) {
      context.write(`\nFailed nodes (${failed.length}):\n`);
      context.write(
        `${renderTable(
          ['NODE', 'EXIT', 'REASON', 'OUTPUT (last line)'],
          failed.map((status) => [
            status.node_name,
            String(status.result?.exit_code ?? ''),
            truncate(status.result?.reason ?? '', 60),
            lastLine(status.result?.output, 60),
          ]),
        )}\n`,
      );
      context.write(`A node's whole reason and output: foodtruck jobs output ${id} ORG/NAME\n`);
    }
    const missed = job.summary.expired + job.summary.cancelled;
    if (missed > 0) {
      context.write(
        `\n${missed} node(s) never ran it: ${job.summary.expired} expired, ${job.summary.cancelled} cancelled ` +
          `(list them: foodtruck jobs get ${id} --status expired).\n`,
      );
    }
  }
  return succeeded ? EXIT_OK : EXIT_NOT_ALL_SUCCEEDED;
}

async function allFailed(client: AdminClient, id: string): Promise<NodeStatusJson[]> {
  const failed: NodeStatusJson[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.jobStatuses(id, { status: 'failed', limit: FAILED_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    failed.push(...page.statuses);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return failed;
}
