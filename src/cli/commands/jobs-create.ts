import { readFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import { isValidNodePart } from '../../wire/names.js';
import { formatRfc3339 } from '../../wire/rfc3339.js';
import { listFlag, noPositionals, printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { followJob } from '../follow-job.js';
import { parseEnd, parseStart } from '../time-input.js';
import { TARGET_HELP, targetSelector } from '../target-flags.js';
import { printNodeTable } from './nodes-list.js';
import { waitDeadline, watchInterval } from './jobs-watch.js';

export const jobsCreate: Command = {
  words: ['jobs', 'create'],
  brief: 'Create a job; prints its id (--wait follows it)',
  summary: 'Creates a job: the task runs once on each node. Prints the new job\'s id.',
  usage: '--provider NAME (--node ORG/NAME... | --target KEY=VALUE...) [options]',
  help: `
Options:
  --provider NAME      runs foodtruck-provider-NAME on each node (required)
  --spec SPEC          the provider's input: JSON text, @FILE for a file's JSON, or - for stdin
                       (default: null)
  --node ORG/NAME      a node to run it on; repeat for more
  --nodes-file FILE    more nodes, one ORG/NAME per line (# comments and blank lines skipped;
                       - for stdin)
${TARGET_HELP}
                       The server resolves the targets once, when it creates the job, and adds
                       the nodes they pick to the ones given with --node.
  --dry-run            create nothing: show how many nodes the --target flags pick, and the
                       first 20 of them (no --provider needed)
  --start WHEN         now (default), +10m from now, or an RFC 3339 time
  --end WHEN           +1h from the start (default), or an RFC 3339 time
  --timeout DURATION   the node stops the provider after this long, e.g. 30m
  --name TEXT          a short name, shown in lists (and searched by jobs list --name)
  --max-concurrency N  at most N nodes (or a percentage such as 10%) run it at once
  --max-errors N       stop handing it out once more than N nodes (or 10%) failed or timed out
  --wait               follow the job until it finishes, as \`foodtruck jobs watch\` does, and
                       exit as it does: 0 only when every node succeeded
  --interval DURATION  with --wait: how often to check (default 2s)
  --wait-timeout DURATION
                       with --wait: give up after this long, exit status 4 (--timeout is the
                       task's own timeout on the nodes)

Examples:
  foodtruck jobs create --provider infra --spec '{"url":"https://example.com/p.tar.gz"}' \\
    --node org/web1 --node org/web2 --timeout 30m
  foodtruck jobs create --provider infra --spec @spec.json --nodes-file fleet.txt --end +4h --wait
  foodtruck jobs create --target tag=web --target os=ubuntu --dry-run
  foodtruck jobs create --provider infra --target tag=web --target os=ubuntu --target seen_within=1h`,
  options: {
    provider: { type: 'string' },
    spec: { type: 'string' },
    node: { type: 'string', multiple: true },
    target: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    'nodes-file': { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    timeout: { type: 'string' },
    wait: { type: 'boolean' },
    interval: { type: 'string' },
    'wait-timeout': { type: 'string' },
    name: { type: 'string' },
    'max-concurrency': { type: 'string' },
    'max-errors': { type: 'string' },
  },
  async run(parsed, context) {
    noPositionals(parsed);
    const targets = targetSelector(listFlag(parsed, 'target'));
    const json = parsed.values.json === true;
    if (parsed.values['dry-run']) {
      if (!targets) throw new UsageError('--dry-run previews --target: give at least one --target KEY=VALUE');
      if (parsed.values.wait) throw new UsageError('--dry-run creates nothing to --wait for');
      const client = connectFromFlags(parsed, context);
      const preview = await client.resolveNodes(targets, { limit: DRY_RUN_NODES });
      if (json) {
        printJson(context, preview);
        return EXIT_OK;
      }
      if (preview.count === 0) {
        context.write('No node matches the targets: nothing would be created.\n');
        return EXIT_OK;
      }
      context.write(`${preview.count} node(s) match the targets${preview.count > preview.nodes.length ? `; the first ${preview.nodes.length}` : ''}:\n\n`);
      printNodeTable(context, preview.nodes, new Date());
      return EXIT_OK;
    }
    const provider = stringFlag(parsed, 'provider');
    if (!provider) throw new UsageError('--provider is required');
    const nodesFile = stringFlag(parsed, 'nodes-file');
    const specText = stringFlag(parsed, 'spec');
    if (nodesFile === '-' && specText === '-') throw new UsageError('--spec and --nodes-file cannot both read stdin');
    const nodeTexts = [...listFlag(parsed, 'node')];
    if (nodesFile !== undefined) nodeTexts.push(...nodeLines(await readInput(nodesFile, context)));
    if (nodeTexts.length === 0 && !targets) {
      throw new UsageError('no nodes: give --node ORG/NAME, --nodes-file FILE or --target KEY=VALUE');
    }
    const nodes = nodeTexts.map(parseNode);
    const spec = specText === undefined ? null : parseSpec(await readSpecText(specText, context));
    const start = parseStart(stringFlag(parsed, 'start') ?? 'now', new Date());
    const end = parseEnd(stringFlag(parsed, 'end') ?? '+1h', start);
    const interval = watchInterval(parsed);
    const waitTimeoutMs = waitDeadline(parsed, 'wait-timeout');
    if (waitTimeoutMs !== undefined && !parsed.values.wait) throw new UsageError('--wait-timeout goes with --wait');
    const limits = {
      ...rateLimit(parsed, 'max-concurrency', 'max_concurrency'),
      ...rateLimit(parsed, 'max-errors', 'max_errors'),
    };
    const name = stringFlag(parsed, 'name');
    const task: Record<string, unknown> = {
      window_start: formatRfc3339(start),
      window_end: formatRfc3339(end),
      provider,
      spec,
    };
    const timeout = stringFlag(parsed, 'timeout');
    if (timeout !== undefined) task.timeout = timeout;

    const client = connectFromFlags(parsed, context);
    const created = await client.createJob({
      task,
      ...(nodes.length > 0 || !targets ? { nodes } : {}),
      ...(targets ? { targets } : {}),
      ...(name === undefined ? {} : { name }),
      ...limits,
    });
    const { id } = created;
    const nodeCount = created.node_count ?? nodes.length;
    if (!parsed.values.wait) {
      if (json) printJson(context, created);
      else context.write(`${id}\n`);
      if (!json && targets) context.writeError(`created job ${id} for ${nodeCount} node(s)\n`);
      return EXIT_OK;
    }
    if (!json) context.writeError(`created job ${id} for ${nodeCount} node(s); following it\n`);
    return followJob(client, id, context, { intervalMs: interval, timeoutMs: waitTimeoutMs, json });
  },
};

/** How many nodes a dry run lists (the count covers them all). */
const DRY_RUN_NODES = 20;

/** `--max-errors 3` or `--max-errors 10%`: a count goes as a number, a percentage as text. */
function rateLimit(parsed: Parameters<Command['run']>[0], flag: string, field: string): Record<string, number | string> {
  const text = stringFlag(parsed, flag);
  if (text === undefined) return {};
  if (/^[1-9]\d*$/.test(text)) return { [field]: Number(text) };
  // The server checks the range; a percentage goes as it was written.
  if (/^\d+(\.\d+)?%$/.test(text)) return { [field]: text };
  throw new UsageError(`--${flag} must be a whole number from 1 or a percentage such as 10%, got "${text}"`);
}

function nodeLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function parseNode(text: string): { org: string; name: string } {
  const [org, name, ...rest] = text.split('/');
  if (org === undefined || name === undefined || rest.length > 0 || !isValidNodePart(org) || !isValidNodePart(name)) {
    throw new UsageError(`"${text}" is not a node: write ORG/NAME with letters, digits, ".", "_", "-", ":" or "@"`);
  }
  return { org, name };
}

async function readSpecText(text: string, context: Parameters<Command['run']>[1]): Promise<string> {
  if (text === '-') return readInput('-', context);
  if (text.startsWith('@')) return readInput(text.slice(1), context);
  return text;
}

function parseSpec(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--spec is not valid JSON: ${(error as Error).message}`);
  }
}

async function readInput(file: string, context: Parameters<Command['run']>[1]): Promise<string> {
  if (file === '-') return readStream(context.stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    // A file named on the command line that is not there is a mistake in the command: nothing was sent.
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
