// `foodtruck nodes key get|set|reset ORG/NAME`: the public key a node's signed requests are
// verified with (FOODTRUCK_NODE_AUTH=node-keys or both).

import { readFile } from 'node:fs/promises';
import { text as readText } from 'node:stream/consumers';
import { printJson, stringFlag, type Command } from '../command.js';
import { connectFromFlags } from '../connection.js';
import { CommandError, EXIT_OK, UsageError } from '../errors.js';
import { nodeArgument } from '../node-argument.js';

export const nodesKeyGet: Command = {
  words: ['nodes', 'key', 'get'],
  brief: "Show a node's registered public key",
  summary: 'Shows the public key the server verifies the node\'s signed requests with, and how it came.',
  usage: 'ORG/NAME',
  help: '',
  options: {},
  async run(parsed, context) {
    const node = nodeArgument(parsed);
    const client = connectFromFlags(parsed, context);
    const answer = await client.getNodeKey(node);
    if (parsed.values.json) printJson(context, answer);
    else {
      context.write(`${answer.node_name}: ${answer.source} key since ${answer.created_at}, sha256 ${answer.fingerprint}\n`);
      context.write(answer.public_key ?? '');
    }
    return EXIT_OK;
  },
};

export const nodesKeySet: Command = {
  words: ['nodes', 'key', 'set'],
  brief: "Register a node's public key (replaces any it had)",
  summary:
    'Registers the node\'s RSA public key, so that its requests signed with the matching private key are\n' +
    'accepted. For a Chef-managed node, its Chef client\'s public key (e.g. from `knife client key show`).',
  usage: 'ORG/NAME --public-key FILE',
  help: `
Options:
  --public-key FILE   the PEM public key ("-----BEGIN PUBLIC KEY-----"); - for stdin

Example:
  foodtruck nodes key set myorg/node1 --public-key node1.pub`,
  options: { 'public-key': { type: 'string' } },
  async run(parsed, context) {
    const node = nodeArgument(parsed);
    const file = stringFlag(parsed, 'public-key');
    if (file === undefined) throw new UsageError('missing --public-key FILE');
    let pem: string;
    try {
      pem = file === '-' ? await readText(context.stdin) : await readFile(file, 'utf8');
    } catch (error) {
      throw new CommandError(`cannot read ${file}: ${(error as Error).message}`);
    }
    const client = connectFromFlags(parsed, context);
    const answer = await client.setNodeKey(node, pem);
    if (parsed.values.json) printJson(context, answer);
    else context.write(`Registered the key of ${answer.node_name} (sha256 ${answer.fingerprint}).\n`);
    return EXIT_OK;
  },
};

export const nodesKeyReset: Command = {
  words: ['nodes', 'key', 'reset'],
  brief: "Remove a node's key, so it may enroll again",
  summary: 'Removes the node\'s key: its signed requests are refused until it enrolls again or a key is set.',
  usage: 'ORG/NAME',
  help: '',
  options: {},
  async run(parsed, context) {
    const node = nodeArgument(parsed);
    const client = connectFromFlags(parsed, context);
    const answer = await client.resetNodeKey(node);
    if (parsed.values.json) printJson(context, answer);
    else context.write(answer.removed ? `Removed the key of ${answer.node_name}.\n` : `${answer.node_name} had no key.\n`);
    return EXIT_OK;
  },
};
