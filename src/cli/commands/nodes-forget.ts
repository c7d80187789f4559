// `foodtruck nodes forget ORG/NAME`: the node leaves the node list; its jobs keep its tasks.

import { printJson, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { EXIT_OK } from '../errors.js';
import { nodeArgument } from '../node-argument.js';

export const nodesForget: Command = {
  words: ['nodes', 'forget'],
  brief: 'Forget a node with no unfinished task',
  summary:
    'Removes the node from the node list: its check-in goes, and its finished tasks no longer count\n' +
    '(its jobs keep them and still name it). A node with a task queued, pending or running is refused.\n' +
    'It is listed again when a new job targets it or it polls again. Its key, if any, stays\n' +
    '(`foodtruck nodes key reset` removes it).',
  usage: 'ORG/NAME',
  help: `
Example:
  foodtruck nodes forget myorg/old-node`,
  options: {},
  async run(parsed, context) {
    const node = nodeArgument(parsed);
    const client = connectFromFlags(parsed, context);
    const answer = await client.forgetNode(node);
    if (parsed.values.json) {
      printJson(context, answer);
      return EXIT_OK;
    }
    const tasks = answer.finished_tasks === 1 ? '1 finished task' : `${answer.finished_tasks} finished tasks`;
    const checkIn = answer.last_check_in === null ? 'it had never polled' : `last polled ${answer.last_check_in}`;
    context.write(`Forgot ${answer.node_name} (${tasks}, kept in their jobs; ${checkIn}).\n`);
    if (answer.key_kept) context.write(`Its key stays: foodtruck nodes key reset ${answer.node_name} removes it.\n`);
    return EXIT_OK;
  },
};
