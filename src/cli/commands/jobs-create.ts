import { readFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import { isValidNodePart } from '../../wire/names.js';
import { formatRfc3339 } from '../../wire/rfc3339.js';
import { listFlag, noPositionals, printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { followJob } from '../follow-job.js';
import { parseEnd, parseStart } from '../time-input.js';
import { waitDeadline, watchInterval } from './jobs-watch.js';

export const jobsCreate: Command = {
  words: ['jobs', 'create'],
  brief: 'Create a job; prints its id (--wait follows it)',
  summary: 'Creates a job: the task runs once on each node. Prints the new job\'s id.',
  usage: '--provider NAME --node ORG/NAME... [options]',
  help: `
Options:
  --provider NAME      runs foodtruck-provider-NAME on each node (required)
  --spec SPEC          the provider's input: JSON text, @FILE for a file's JSON, or - for stdin
                       (default: null)
  --node ORG/NAME      a node to run it on; repeat for more
  --nodes-file FILE    more nodes, one ORG/NAME per line (# comments and blank lines skipped;
                       - for stdin)
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
  foodtruck jobs create --provider infra --spec @spec.json --nodes-file fleet.txt --end +4h --wait`,
  options: {
    provider: { type: 'string' },
    spec: { type: 'string' },
    node: { type: 'string', multiple: true },
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
    const provider = stringFlag(parsed, 'provider');
    if (!provider) throw new UsageError('--provider is required');
    const nodesFile = stringFlag(parsed, 'nodes-file');
    const specText = stringFlag(parsed, 'spec');
    if (nodesFile === '-' && specText === '-') throw new UsageError('--spec and --nodes-file cannot both read stdin');
    const nodeTexts = [...listFlag(parsed, 'node')];
    if (nodesFile !== undefined) nodeTexts.push(...nodeLines(await readInput(nodesFile, context)));
    if (nodeTexts.length === 0) throw new UsageError('no nodes: give --node ORG/NAME or --nodes-file FILE');
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
    const { id } = await client.createJob({ task, nodes, ...(name === undefined ? {} : { name }), ...limits });
    const json = parsed.values.json === true;
    if (!parsed.values.wait) {
      if (json) printJson(context, { id });
      else context.write(`${id}\n`);
      return EXIT_OK;
    }
    if (!json) context.writeError(`created job ${id} for ${nodes.length} node(s); following it\n`);
    return followJob(client, id, context, { intervalMs: interval, timeoutMs: waitTimeoutMs, json });
  },
};

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
