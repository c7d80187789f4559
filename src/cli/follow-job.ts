// Follows a job until no node is left queued, pending or running, polling the cheap summary route;
// then lists the nodes that failed. Used by `jobs watch` and `jobs create --wait`. A person must be
// able to leave it running: it gives up at an optional deadline (its own exit status), and it rides
// out a server restart or a passing error (retrying with backoff, saying so on one line).

import type { AdminClient, JobSummaryJson, NodeStatusJson } from './admin-client.js';
import type { CliContext } from './command.js';
import { EXIT_NOT_ALL_SUCCEEDED, EXIT_OK, EXIT_WAIT_TIMEOUT, isTransient } from './errors.js';
import { countsText, isFinished, progressLine } from './progress.js';
import { renderTable } from './table.js';
import { lastLine, truncate, visible } from './terminal-text.js';
import { formatGoDuration } from '../wire/go-duration.js';

export const DEFAULT_WATCH_INTERVAL_MS = 2000;
const FAILED_PAGE_SIZE = 1000;
/** Retries after a passing error start here and double up to the cap. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Statuses listed with their reasons at the end: the nodes that ran the task and did not succeed. */
const FAILED_STATUSES = ['failed', 'timed_out'] as const;

export interface FollowOptions {
  intervalMs: number;
  json: boolean;
  /** Give up after this long; undefined: wait as long as it takes. */
  timeoutMs?: number | undefined;
}

class DeadlinePassed extends Error {}

export async function followJob(client: AdminClient, id: string, context: CliContext, options: FollowOptions): Promise<number> {
  const deadline = new AbortController();
  const deadlineError = new DeadlinePassed();
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => deadline.abort(deadlineError), options.timeoutMs);
  try {
    return await follow(client, id, context, options, deadline.signal);
  } catch (error) {
    if (error !== deadlineError) throw error;
    return EXIT_WAIT_TIMEOUT;
  } finally {
    clearTimeout(timer);
  }
}

async function follow(client: AdminClient, id: string, context: CliContext, options: FollowOptions, deadline: AbortSignal): Promise<number> {
  let job: JobSummaryJson | undefined;
  let shown = '';
  let failures = 0;
  const endLine = () => {
    // On a terminal the progress line has no newline of its own until the end.
    if (!options.json && context.isTerminal && shown !== '') context.write('\n');
    shown = '';
  };
  const onDeadline = () => {
    endLine();
    const waited = formatGoDuration(options.timeoutMs as number);
    if (options.json) {
      context.write(`${JSON.stringify({ ...(job ?? { id }), finished: false, succeeded: false, gave_up_after: waited }, null, 2)}\n`);
    } else {
      context.writeError(
        `foodtruck: gave up waiting after ${waited}: the job is not finished` +
          `${job ? ` (${countsText(job.summary)})` : ''}; follow it again with: foodtruck jobs watch ${id}\n`,
      );
    }
  };
  deadline.addEventListener('abort', onDeadline, { once: true });

  for (;;) {
    try {
      job = await client.jobSummary(id, deadline);
      if (failures > 0) {
        endLine();
        context.writeError(`foodtruck: the server answers again; carrying on\n`);
      }
      failures = 0;
    } catch (error) {
      // The first answer must come: a wrong URL or key is not waited out.
      if (job === undefined || !isTransient(error)) throw error;
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures);
      if (failures === 0) {
        endLine();
        context.writeError(
          `foodtruck: ${(error as Error).message}; retrying with backoff (every ${formatGoDuration(delay)}, up to ${formatGoDuration(RETRY_MAX_MS)})\n`,
        );
      }
      failures++;
      await sleep(delay, deadline);
      continue;
    }
    const line = progressText(job);
    if (!options.json && line !== shown) {
      // On a terminal the line is redrawn in place; in a log, each change is a line of its own.
      context.write(context.isTerminal ? `\r\u001b[2K${line}` : `${line}\n`);
      shown = line;
    }
    if (isFinished(job.summary)) break;
    await sleep(options.intervalMs, deadline);
  }
  deadline.removeEventListener('abort', onDeadline);
  endLine();
  // Finished: the report is made even if the deadline passes meanwhile.
  return report(client, job, context, options);
}

/** The progress bar, then what a person waiting needs to know: silent nodes, a stop by failures. */
function progressText(job: JobSummaryJson): string {
  let line = progressLine(job.summary, job.node_count);
  if (job.never_checked_in) line += `  (${job.never_checked_in} never checked in)`;
  if (job.stopped) line += `  stopped: ${visible(job.stopped.reason)}`;
  return line;
}

async function report(client: AdminClient, job: JobSummaryJson, context: CliContext, options: FollowOptions): Promise<number> {
  const { id } = job;
  const failed = await allFailed(client, id, job);
  const succeeded = job.summary.success === job.node_count;
  if (options.json) {
    context.write(`${JSON.stringify({ ...job, finished: true, succeeded, failed }, null, 2)}\n`);
    return succeeded ? EXIT_OK : EXIT_NOT_ALL_SUCCEEDED;
  }
  context.write(succeeded ? `All ${job.node_count} node(s) succeeded.\n` : `Finished: ${countsText(job.summary)}\n`);
  if (job.stopped) context.write(`Stopped at ${job.stopped.at}: ${visible(job.stopped.reason)}\n`);
  if (failed.length > 0) {
    context.write(`\nFailed nodes (${failed.length}):\n`);
    context.write(
      `${renderTable(
        ['NODE', 'STATUS', 'EXIT', 'REASON', 'OUTPUT (last line)'],
        failed.map((status) => [
          status.node_name,
          status.status,
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
    const lists = (['expired', 'cancelled'] as const)
      .filter((status) => job.summary[status] > 0)
      .map((status) => `foodtruck jobs get ${id} --status ${status}`);
    context.write(
      `\n${missed} node(s) did not run it to the end: ${job.summary.expired} expired, ${job.summary.cancelled} cancelled ` +
        `(list them: ${lists.join('; ')}).\n`,
    );
  }
  if (!succeeded) context.write(`Run it again on the nodes that did not succeed: foodtruck jobs rerun ${id}\n`);
  return succeeded ? EXIT_OK : EXIT_NOT_ALL_SUCCEEDED;
}

async function allFailed(client: AdminClient, id: string, job: JobSummaryJson): Promise<NodeStatusJson[]> {
  const failed: NodeStatusJson[] = [];
  for (const status of FAILED_STATUSES) {
    // A server without `timed_out` has no count for it: nothing to ask for.
    if (!(((job.summary as Record<string, number>)[status] ?? 0) > 0)) continue;
    let cursor: string | undefined;
    do {
      const page = await client.jobStatuses(id, { status, limit: FAILED_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      failed.push(...page.statuses);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }
  return failed;
}

/** Resolves after `ms`; rejects with the deadline's reason when it passes first. */
function sleep(ms: number, deadline: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (deadline.aborted) return reject(deadline.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(deadline.reason as Error);
    };
    const timer = setTimeout(() => {
      deadline.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    deadline.addEventListener('abort', onAbort, { once: true });
  });
}
