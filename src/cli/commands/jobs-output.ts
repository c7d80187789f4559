import { printJson, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { CommandError, EXIT_OK, UsageError } from '../errors.js';
import { visible } from '../terminal-text.js';

export const jobsOutput: Command = {
  words: ['jobs', 'output'],
  brief: 'Print one node\'s whole kept output and reason',
  summary:
    'Prints the output the server kept for one node of a job (the last 64 KiB; a cut output starts with ' +
    '"… N bytes cut"), after its status, exit code and whole reason, which tables shorten.',
  usage: 'ID ORG/NAME',
  help: `
On a terminal, control characters in the output are shown escaped; piped, it is written as it is.

Example:
  foodtruck jobs output 5ff7686a91072739255a4a35 web/node-1 | less`,
  options: {},
  async run(parsed, context) {
    const [id, node, ...extra] = parsed.positionals;
    if (id === undefined) throw new UsageError('missing job ID');
    if (node === undefined) throw new UsageError('missing node ORG/NAME');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (!/^[^/]+\/[^/]+$/.test(node)) throw new UsageError(`"${node}" is not a node: write ORG/NAME`);
    const client = connectFromFlags(parsed, context);
    // The node filter matches by "contains": the node is picked out of what it answers.
    let cursor: string | undefined;
    for (;;) {
      const page = await client.jobStatuses(id, { node, limit: 100, ...(cursor ? { cursor } : {}) });
      const status = page.statuses.find((entry) => entry.node_name === node);
      if (status) {
        if (parsed.values.json) {
          printJson(context, status);
          return EXIT_OK;
        }
        const show = (text: string) => (context.isTerminal ? visible(text).replace(/\\x0a/g, '\n') : text);
        const result = status.result;
        context.writeError(
          `${node}: ${status.status}${result ? `, exit code ${result.exit_code}` : ''}${result?.reason ? `: ${show(result.reason)}` : ''}\n`,
        );
        if (result?.output) context.write(show(result.output));
        return EXIT_OK;
      }
      if (!page.next_cursor) throw new CommandError(`job ${id} does not target node ${node}`);
      cursor = page.next_cursor;
    }
  },
};
