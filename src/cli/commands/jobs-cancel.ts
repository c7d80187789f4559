import { onePositional, printJson, stringFlag, type Command } from '../command.js';
import { connect } from '../connection.js';
import { EXIT_OK } from '../errors.js';
import { countsText } from '../progress.js';

export const jobsCancel: Command = {
  words: ['jobs', 'cancel'],
  brief: "Cancel a job's tasks that have not started",
  summary: 'Cancels the job\'s tasks that no node has picked up yet. Tasks already running finish.',
  usage: 'ID',
  help: '',
  options: {},
  async run(parsed, context) {
    const id = onePositional(parsed, 'job ID');
    const client = connect({ url: stringFlag(parsed, 'url'), key: stringFlag(parsed, 'key') }, context.env);
    const answer = await client.cancelJob(id);
    if (parsed.values.json) printJson(context, answer);
    else context.write(`Cancelled ${answer.cancelled} task(s) of job ${answer.id}. Now: ${countsText(answer.summary)}\n`);
    return EXIT_OK;
  },
};
