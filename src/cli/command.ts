// What every command shares: its flags (with --url, --key, --json, --help), its help text, and the
// streams it writes to.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  write: (text: string) => void;
  writeError: (text: string) => void;
  /** Whether stdout is a terminal: a progress bar is redrawn in place only there. */
  isTerminal: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** `['jobs', 'create']`. */
  words: string[];
  /** One line for the command list. */
  brief: string;
  summary: string;
  /** The usage line's arguments, e.g. `ID [--json]`. */
  usage: string;
  /** The help text after the usage line: what it does, flags, examples. */
  help: string;
  options: Options;
  run(parsed: ParsedCommand, context: CliContext): Promise<number>;
}

export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export const COMMON_OPTIONS: Options = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const COMMON_HELP = `
Connection (every command):
  --url URL     the server (default: $FOODTRUCK_URL, else http://localhost:1323)
  --key KEY     the admin key (default: $ADMIN_API_KEY; prefer the variable: flags show in ps)
  --json        print the server's JSON instead of tables, for scripts
  -h, --help    this help`;

export function parseCommandLine(command: Command, args: string[]): ParsedCommand {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedCommand['values'], positionals };
  } catch (error) {
    throw new UsageError(parseErrorText(error as Error & { code?: string }));
  }
}

/** Node's parser explains itself at length; the CLI says the same in its own one line. */
function parseErrorText(error: Error & { code?: string }): string {
  const option = /'(-{1,2}[^'\s]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? error.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option ? `option ${option.split(' ')[0]} ${/argument missing/.test(error.message) ? 'needs a value' : 'takes no value'}` : error.message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']+)'/.exec(error.message)?.[1] ?? ''}`.trim();
    default:
      return error.message;
  }
}

export function helpText(command: Command): string {
  return `Usage: foodtruck ${command.words.join(' ')} ${command.usage}\n\n${command.summary}\n${command.help}\n${COMMON_HELP}\n`;
}

export function stringFlag(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listFlag(parsed: ParsedCommand, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value : [];
}

export function positiveIntegerFlag(parsed: ParsedCommand, name: string): number | undefined {
  const text = stringFlag(parsed, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--${name} must be a whole number from 1, got "${text}"`);
  return Number(text);
}

/** The one positional argument a command takes, e.g. a job id. */
export function onePositional(parsed: ParsedCommand, what: string): string {
  const [value, ...extra] = parsed.positionals;
  if (value === undefined) throw new UsageError(`missing ${what}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  return value;
}

export function noPositionals(parsed: ParsedCommand): void {
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
}

export function printJson(context: CliContext, value: unknown): void {
  context.write(`${JSON.stringify(value, null, 2)}\n`);
}
