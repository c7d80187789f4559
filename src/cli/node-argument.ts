// The one node a command acts on: its single positional argument, ORG/NAME.

import { onePositional, type ParsedCommand } from './command.js';
import { UsageError } from './errors.js';

export function nodeArgument(parsed: ParsedCommand): { org: string; name: string } {
  const text = onePositional(parsed, 'node ORG/NAME');
  const [org, name, ...rest] = text.split('/');
  if (!org || !name || rest.length > 0) throw new UsageError(`expected a node as ORG/NAME, got "${text}"`);
  return { org, name };
}
