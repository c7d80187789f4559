// The operators' CLI: `foodtruck jobs create|get|list|cancel|rerun|watch`, `foodtruck nodes list`,
// `foodtruck nodes forget`, `foodtruck nodes key get|set|reset`.
// Errors are one line with the server's message, never a stack trace; the exit status says which
// kind of error it was (see errors.ts).

import { helpText, parseCommandLine, type CliContext, type Command } from './command.js';
import { jobsCancel } from './commands/jobs-cancel.js';
import { jobsCreate } from './commands/jobs-create.js';
import { jobsGet } from './commands/jobs-get.js';
import { jobsList } from './commands/jobs-list.js';
import { jobsOutput } from './commands/jobs-output.js';
import { jobsRerun } from './commands/jobs-rerun.js';
import { jobsWatch } from './commands/jobs-watch.js';
import { nodesKeyGet, nodesKeyReset, nodesKeySet } from './commands/nodes-key.js';
import { nodesForget } from './commands/nodes-forget.js';
import { nodesList } from './commands/nodes-list.js';
import { ApiError, CommandError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';

const COMMANDS: readonly Command[] = [
  jobsCreate,
  jobsGet,
  jobsOutput,
  jobsList,
  jobsCancel,
  jobsRerun,
  jobsWatch,
  nodesList,
  nodesForget,
  nodesKeyGet,
  nodesKeySet,
  nodesKeyReset,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.words.join(' ').length));
  const lines = COMMANDS.map((command) => `  ${command.words.join(' ').padEnd(width)}  ${command.brief}`);
  return `Usage: foodtruck COMMAND [options]

Create and follow Foodtruck jobs from a terminal or a script.

Commands:
${lines.join('\n')}

Run \`foodtruck COMMAND --help\` for a command's options. Every command takes --url, --key
(default: $FOODTRUCK_URL and $ADMIN_API_KEY) and --json.
`;
}

/** Runs one command line; answers the exit status. */
export async function runCli(args: string[], context: CliContext): Promise<number> {
  // Commands are two words (`jobs get`) or three (`nodes key set`).
  const given = args.filter((arg) => !arg.startsWith('-')).slice(0, 3);
  const command = COMMANDS.find((candidate) => candidate.words.every((word, index) => given[index] === word));
  const words = given.slice(0, given[1] === 'key' ? 3 : 2);
  try {
    if (!command) {
      if (args.length === 0 || args.every((arg) => arg === '--help' || arg === '-h' || arg === 'help')) {
        context.write(overview());
        return args.length === 0 ? EXIT_USAGE : EXIT_OK;
      }
      const group = COMMANDS.filter((candidate) => candidate.words[0] === words[0]);
      if (group.length > 0) {
        if (args.includes('--help') || args.includes('-h')) {
          context.write(overview());
          return EXIT_OK;
        }
        throw new UsageError(`"${words.join(' ')}" is not a command; try one of: ${group.map((c) => c.words.join(' ')).join(', ')}`);
      }
      throw new UsageError(`unknown command "${words.join(' ') || args[0]}"`);
    }
    const rest = [...args];
    for (const word of command.words) rest.splice(rest.indexOf(word), 1);
    const parsed = parseCommandLine(command, rest);
    if (parsed.values.help) {
      context.write(helpText(command));
      return EXIT_OK;
    }
    return await command.run(parsed, context);
  } catch (error) {
    return reportError(error, command, context);
  }
}

function reportError(error: unknown, command: Command | undefined, context: CliContext): number {
  if (error instanceof UsageError) {
    const hint = command ? `foodtruck ${command.words.join(' ')} --help` : 'foodtruck --help';
    const usage = command ? `Usage: foodtruck ${command.words.join(' ')} ${command.usage}\n` : '';
    context.writeError(`foodtruck: ${error.message}\n${usage}See: ${hint}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof ApiError) {
    context.writeError(`foodtruck: the server answered ${error.status}: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  if (error instanceof CommandError) {
    context.writeError(`foodtruck: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  context.writeError(`foodtruck: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_FAILURE;
}

const exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  write: (text) => process.stdout.write(text),
  writeError: (text) => process.stderr.write(text),
  isTerminal: process.stdout.isTTY === true,
});
process.exitCode = exitCode;
