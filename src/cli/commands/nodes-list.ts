import { parseGoDuration } from '../../wire/go-duration.js';
import type { NodeOverviewJson } from '../admin-client.js';
import { listFlag, noPositionals, positiveIntegerFlag, printJson, stringFlag, type CliContext, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { renderTable } from '../table.js';
import { TARGET_HELP, targetTerms } from '../target-flags.js';
import { ago } from '../terminal-text.js';

const SILENT_SCAN_PAGE_SIZE = 1000;

export const nodesList: Command = {
  words: ['nodes', 'list'],
  brief: 'List nodes with their last check-in and task counts',
  summary: 'Lists nodes (every node a job targets or that has polled) with when each last checked in and its tasks by status.',
  usage: '[--search TEXT] [--never-seen] [--seen-within DURATION] [--unfinished] [--target KEY=VALUE...] [--silent DURATION] [--limit N] [--cursor C]',
  help: `
Options:
  --limit N            nodes to show (default 100)
  --cursor C           the next page, from a previous answer
  --search TEXT        only nodes whose ORG/NAME contains TEXT (ignoring case)
  --never-seen         only nodes that never polled (known because a job targets them)
  --seen-within DURATION
                       only nodes that polled within DURATION (e.g. 1h; the same as
                       --target seen_within=DURATION)
  --unfinished         only nodes with a task queued, pending or running
  --silent DURATION    only nodes with queued or pending tasks that have not polled for this long
                       (e.g. 10m), across every page
${TARGET_HELP}
                       With --target or --seen-within, only nodes that polled or reported facts
                       are listed. Every filter given must hold.

The server notes polls in memory and writes them every few seconds, so a check-in can show a few
seconds late.`,
  options: {
    limit: { type: 'string' },
    cursor: { type: 'string' },
    silent: { type: 'string' },
    target: { type: 'string', multiple: true },
    search: { type: 'string' },
    'never-seen': { type: 'boolean' },
    'seen-within': { type: 'string' },
    unfinished: { type: 'boolean' },
  },
  async run(parsed, context) {
    noPositionals(parsed);
    const limit = positiveIntegerFlag(parsed, 'limit') ?? 100;
    const cursor = stringFlag(parsed, 'cursor');
    const silentText = stringFlag(parsed, 'silent');
    const silentMs = silentText === undefined ? undefined : parseGoDuration(silentText);
    if (silentText !== undefined && (silentMs === undefined || silentMs < 0)) {
      throw new UsageError(`--silent must be a duration such as 10m, got "${silentText}"`);
    }
    const terms = targetTerms(listFlag(parsed, 'target'));
    const seenWithin = stringFlag(parsed, 'seen-within');
    if (seenWithin !== undefined) terms.push(['seen_within', seenWithin]);
    const filters = {
      ...(stringFlag(parsed, 'search') ? { search: stringFlag(parsed, 'search') } : {}),
      ...(parsed.values['never-seen'] ? { never_seen: 'true' as const } : {}),
      ...(parsed.values.unfinished ? { unfinished: 'true' as const } : {}),
    };
    const client = connectFromFlags(parsed, context);
    let nodes: NodeOverviewJson[];
    let nextCursor: string | null = null;
    const now = new Date();
    if (silentMs === undefined) {
      const page = await client.listNodes({ limit, ...filters, ...(cursor ? { cursor } : {}) }, terms);
      nodes = page.nodes;
      nextCursor = page.next_cursor;
    } else {
      nodes = [];
      let next: string | undefined = cursor;
      do {
        const page = await client.listNodes({ limit: SILENT_SCAN_PAGE_SIZE, ...filters, ...(next ? { cursor: next } : {}) }, terms);
        nodes.push(...page.nodes.filter((node) => isSilent(node, silentMs, now)));
        next = page.next_cursor ?? undefined;
      } while (next);
    }
    if (parsed.values.json) {
      printJson(context, { nodes, next_cursor: nextCursor });
      return EXIT_OK;
    }
    if (nodes.length === 0) {
      const filtered = terms.length > 0 || Object.keys(filters).length > 0;
      context.write(silentMs !== undefined ? 'No silent nodes.\n' : filtered ? 'No node matches the filters.\n' : 'No nodes.\n');
      return EXIT_OK;
    }
    printNodeTable(context, nodes, now);
    if (nextCursor) context.write(`\nMore nodes: foodtruck nodes list --cursor ${nextCursor}\n`);
    return EXIT_OK;
  },
};

/** Nodes as a table: check-in, task counts, and what each reported about itself. */
export function printNodeTable(context: CliContext, nodes: NodeOverviewJson[], now: Date): void {
  context.write(
    `${renderTable(
      ['NODE', 'LAST CHECK-IN', 'QUEUED', 'PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'TIMED OUT', 'EXPIRED', 'CANCELLED', 'OS', 'ARCH', 'TAGS'],
      nodes.map((node) => [
        node.node_name,
        node.last_check_in === null ? 'never' : `${ago(node.last_check_in, now)} (${node.last_check_in})`,
        ...(['queued', 'pending', 'running', 'success', 'failed', 'timed_out', 'expired', 'cancelled'] as const).map((s) => String(node.tasks[s])),
        node.facts ? [node.facts.os, node.facts.os_version].filter(Boolean).join(' ') || '-' : '-',
        node.facts?.arch ?? '-',
        node.facts && node.facts.tags.length > 0 ? node.facts.tags.join(',') : '-',
      ]),
    )}\n`,
  );
}

/** Work is waiting for it, and it has not asked for any for `silentMs`. */
function isSilent(node: NodeOverviewJson, silentMs: number, now: Date): boolean {
  const waiting = node.tasks.queued + node.tasks.pending > 0;
  const quiet = node.last_check_in === null || now.getTime() - Date.parse(node.last_check_in) >= silentMs;
  return waiting && quiet;
}
