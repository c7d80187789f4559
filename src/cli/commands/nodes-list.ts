import { parseGoDuration } from '../../wire/go-duration.js';
import type { NodeOverviewJson } from '../admin-client.js';
import { noPositionals, positiveIntegerFlag, printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { renderTable } from '../table.js';
import { ago } from '../terminal-text.js';

const SILENT_SCAN_PAGE_SIZE = 1000;

export const nodesList: Command = {
  words: ['nodes', 'list'],
  brief: 'List nodes with their last check-in and task counts',
  summary: 'Lists nodes (every node a job targets or that has polled) with when each last checked in and its tasks by status.',
  usage: '[--limit N] [--cursor C] [--silent DURATION]',
  help: `
Options:
  --limit N            nodes to show (default 100)
  --cursor C           the next page, from a previous answer
  --silent DURATION    only nodes with queued or pending tasks that have not polled for this long
                       (e.g. 10m), across every page

The server notes polls in memory and writes them every few seconds, so a check-in can show a few
seconds late.`,
  options: { limit: { type: 'string' }, cursor: { type: 'string' }, silent: { type: 'string' } },
  async run(parsed, context) {
    noPositionals(parsed);
    const limit = positiveIntegerFlag(parsed, 'limit') ?? 100;
    const cursor = stringFlag(parsed, 'cursor');
    const silentText = stringFlag(parsed, 'silent');
    const silentMs = silentText === undefined ? undefined : parseGoDuration(silentText);
    if (silentText !== undefined && (silentMs === undefined || silentMs < 0)) {
      throw new UsageError(`--silent must be a duration such as 10m, got "${silentText}"`);
    }
    const client = connectFromFlags(parsed, context);
    let nodes: NodeOverviewJson[];
    let nextCursor: string | null = null;
    const now = new Date();
    if (silentMs === undefined) {
      const page = await client.listNodes({ limit, ...(cursor ? { cursor } : {}) });
      nodes = page.nodes;
      nextCursor = page.next_cursor;
    } else {
      nodes = [];
      let next: string | undefined = cursor;
      do {
        const page = await client.listNodes({ limit: SILENT_SCAN_PAGE_SIZE, ...(next ? { cursor: next } : {}) });
        nodes.push(...page.nodes.filter((node) => isSilent(node, silentMs, now)));
        next = page.next_cursor ?? undefined;
      } while (next);
    }
    if (parsed.values.json) {
      printJson(context, { nodes, next_cursor: nextCursor });
      return EXIT_OK;
    }
    if (nodes.length === 0) {
      context.write(silentMs === undefined ? 'No nodes.\n' : 'No silent nodes.\n');
      return EXIT_OK;
    }
    context.write(
      `${renderTable(
        ['NODE', 'LAST CHECK-IN', 'QUEUED', 'PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'TIMED OUT', 'EXPIRED', 'CANCELLED'],
        nodes.map((node) => [
          node.node_name,
          node.last_check_in === null ? 'never' : `${ago(node.last_check_in, now)} (${node.last_check_in})`,
          ...(['queued', 'pending', 'running', 'success', 'failed', 'timed_out', 'expired', 'cancelled'] as const).map((s) => String(node.tasks[s])),
        ]),
      )}\n`,
    );
    if (nextCursor) context.write(`\nMore nodes: foodtruck nodes list --cursor ${nextCursor}\n`);
    return EXIT_OK;
  },
};

/** Work is waiting for it, and it has not asked for any for `silentMs`. */
function isSilent(node: NodeOverviewJson, silentMs: number, now: Date): boolean {
  const waiting = node.tasks.queued + node.tasks.pending > 0;
  const quiet = node.last_check_in === null || now.getTime() - Date.parse(node.last_check_in) >= silentMs;
  return waiting && quiet;
}
