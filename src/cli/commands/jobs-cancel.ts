import { isValidNodePart } from '../../wire/names.js';
import { onePositional, printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { countsText } from '../progress.js';

export const jobsCancel: Command = {
  words: ['jobs', 'cancel'],
  brief: "Cancel a job (or one node's task): queued tasks at once, running ones at their next report",
  summary:
    "Cancels the job's tasks that no node has picked up yet, and asks the nodes running it to stop " +
    '(our client stops the provider at its next report, within its heartbeat interval, and reports ' +
    '`cancelled`; the original Go client cannot be told and finishes). With --node, only that node\'s task.',
  usage: 'ID [--node ORG/NAME]',
  help: `
Options:
  --node ORG/NAME  cancel only this node's task

List the cancelled nodes afterwards: foodtruck jobs get ID --status cancelled`,
  options: { node: { type: 'string' } },
  async run(parsed, context) {
    const id = onePositional(parsed, 'job ID');
    const node = stringFlag(parsed, 'node');
    if (node !== undefined) {
      const [org, name, ...rest] = node.split('/');
      if (org === undefined || name === undefined || rest.length > 0 || !isValidNodePart(org) || !isValidNodePart(name)) {
        throw new UsageError(`--node: "${node}" is not a node: write ORG/NAME`);
      }
    }
    const client = connectFromFlags(parsed, context);
    const answer = await client.cancelJob(id, node);
    if (parsed.values.json) {
      printJson(context, answer);
      return EXIT_OK;
    }
    const target = node === undefined ? `job ${answer.id}` : `${node} in job ${answer.id}`;
    const stopping = answer.stopping ? `; asked the nodes of ${answer.stopping} handed-out task(s) to stop` : '';
    context.write(`Cancelled ${answer.cancelled} task(s) of ${target}${stopping}. Now: ${countsText(answer.summary)}\n`);
    if (answer.cancelled + (answer.stopping ?? 0) > 0) {
      context.write(`List the cancelled nodes: foodtruck jobs get ${answer.id} --status cancelled\n`);
    }
    return EXIT_OK;
  },
};
