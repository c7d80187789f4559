// `foodtruck-client init`: prints a ready configuration for one node, with the README's defaults,
// so that nobody has to guess the format. The result is checked by the same parser the client
// starts with, so what it prints is what the client accepts.

import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULTS, defaultStateDir, parseClientConfig } from './config.js';

export const INIT_USAGE = `usage: foodtruck-client init --server URL --org ORG --name NAME [options]

Prints a configuration for this node (JSON, as the client reads it) on stdout, or writes it to
a file with --out. Start the client with it: foodtruck-client FILE.

Options:
  --server URL           the Foodtruck server, or the Chef Infra Server in front of it (required)
  --org ORG              this node's organization, as jobs name it (required)
  --name NAME            this node's name, as jobs name it (required)
  --interval DURATION    how often to ask for a task, a Go duration (default 5m)
  --providers-path DIRS  directories searched for providers before PATH, "${process.platform === 'win32' ? ';' : ':'}"-separated
                         (default ${defaultProvidersPath(process.platform) ?? 'none'})
  --state-dir DIR        where statuses not yet delivered are kept
                         (default ${defaultStateDir(process.platform, process.env)})
  --auth TYPE            apiKey, chefServer or nodeKey (default apiKey)
  --key KEY              apiKey: put the nodes API key in the file ("-" reads it from stdin);
                         without it the client reads the key from NODES_API_KEY
  --key-path FILE        chefServer: the node's Chef client key (default /etc/chef/client.pem);
                         nodeKey: the node's own RSA key (e.g. a Chef client.pem); without it the
                         client makes one in the state directory on first start (node_key.pem)
  --enrollment-secret S  nodeKey: put the server's enrollment secret in the file ("-" reads it
                         from stdin), so that the client enrolls its key at start; without it
                         the client reads FOODTRUCK_ENROLLMENT_SECRET, or an admin registers
                         the key (foodtruck nodes key set)
  --out FILE             write the configuration to FILE (mode 0600) instead of stdout
  --force                with --out, replace FILE if it exists
  -h, --help             this text

Relative directories are made absolute from the current directory.
`;

const OPTIONS = {
  server: { type: 'string' },
  org: { type: 'string' },
  name: { type: 'string' },
  interval: { type: 'string' },
  'providers-path': { type: 'string' },
  'state-dir': { type: 'string' },
  auth: { type: 'string' },
  key: { type: 'string' },
  'key-path': { type: 'string' },
  'enrollment-secret': { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The README's defaults for what the client itself does not default. */
const DEFAULT_INTERVAL = '5m';
const DEFAULT_CHEF_KEY_PATH = '/etc/chef/client.pem';

/** Where the README installs providers; Windows has no such convention, so nothing there. */
function defaultProvidersPath(platform: NodeJS.Platform): string | undefined {
  return platform === 'win32' ? undefined : '/usr/local/lib/foodtruck/providers';
}

/** Which flag sets which setting, to name the flag in the parser's messages. */
const FLAG_OF_SETTING: [string, string][] = [
  ['base_url', '--server'],
  ['node.org', '--org'],
  ['node.name', '--name'],
  ['interval', '--interval'],
  ['providers_path', '--providers-path'],
  ['state_dir', '--state-dir'],
  ['auth.key_path', '--key-path'],
  ['auth.key', '--key'],
  ['auth.enrollment_secret', '--enrollment-secret'],
];

export interface InitIo {
  cwd: string;
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  readStdin: () => string;
  write: (text: string) => void;
  writeError: (text: string) => void;
}

class InitError extends Error {}

/** Runs `foodtruck-client init ARGS`; answers the exit code (0, or 1 with a message on stderr). */
export function runInit(args: string[], io: InitIo = processIo()): number {
  try {
    return init(args, io);
  } catch (error) {
    if (!(error instanceof InitError)) throw error;
    io.writeError(`foodtruck-client init: ${error.message}\n`);
    return 1;
  }
}

function init(args: string[], io: InitIo): number {
  const values = parseFlags(args);
  if (values.help) {
    io.write(INIT_USAGE);
    return 0;
  }
  const missing = (['server', 'org', 'name'] as const).filter((flag) => values[flag] === undefined);
  if (missing.length > 0) {
    throw new InitError(`missing ${missing.map((flag) => `--${flag}`).join(', ')}\n\n${INIT_USAGE}`);
  }

  const pathApi = io.platform === 'win32' ? path.win32 : path.posix;
  const absolute = (dir: string) => (dir === '' ? dir : pathApi.resolve(io.cwd, dir));
  const authType = values.auth ?? 'apiKey';
  let auth: Record<string, string>;
  if (authType !== 'nodeKey' && values['enrollment-secret'] !== undefined) {
    throw new InitError('--enrollment-secret is for --auth nodeKey');
  }
  if (authType === 'apiKey') {
    if (values['key-path'] !== undefined) throw new InitError('--key-path is for --auth chefServer or nodeKey; apiKey auth takes --key or NODES_API_KEY');
    auth = { type: 'apiKey' };
    if (values.key !== undefined) auth.key = values.key === '-' ? io.readStdin().trim() : values.key;
  } else if (authType === 'chefServer') {
    if (values.key !== undefined) throw new InitError('--key is for --auth apiKey; chefServer auth signs with --key-path');
    auth = { type: 'chefServer', key_path: absolute(values['key-path'] ?? DEFAULT_CHEF_KEY_PATH) };
  } else if (authType === 'nodeKey') {
    if (values.key !== undefined) throw new InitError('--key is for --auth apiKey; nodeKey auth signs with its own key (--key-path, or one made in the state directory)');
    auth = { type: 'nodeKey' };
    if (values['key-path'] !== undefined) auth.key_path = absolute(values['key-path']);
    const secret = values['enrollment-secret'];
    if (secret !== undefined) auth.enrollment_secret = secret === '-' ? io.readStdin().trim() : secret;
  } else {
    throw new InitError(`--auth: expected apiKey, chefServer or nodeKey, got ${JSON.stringify(authType)}`);
  }

  const providersPath = values['providers-path'] ?? defaultProvidersPath(io.platform);
  const delimiter = io.platform === 'win32' ? ';' : ':';
  const config: Record<string, unknown> = {
    base_url: values.server,
    auth,
    node: { org: values.org, name: values.name },
    interval: values.interval ?? DEFAULT_INTERVAL,
    ...(providersPath === undefined ? {} : { providers_path: providersPath.split(delimiter).map(absolute).join(delimiter) }),
    state_dir: absolute(values['state-dir'] ?? defaultStateDir(io.platform, io.env)),
    ...DEFAULTS,
  };
  check(config, io);

  const text = `${JSON.stringify(config, null, 2)}\n`;
  const keyNote =
    authType === 'apiKey' && auth.key === undefined
      ? 'the nodes API key is not in it: start the client with NODES_API_KEY set in its environment ' +
        '(e.g. a systemd EnvironmentFile), or run init again with --key'
      : authType === 'apiKey'
        ? 'it holds the nodes API key: keep it readable by the client\'s user only'
        : authType === 'nodeKey'
          ? nodeKeyNote(auth, config.state_dir as string, pathApi)
          : `the client signs its requests with ${auth.key_path as string}, which must be readable by its user`;
  if (values.out === undefined) {
    if (values.force) throw new InitError('--force goes with --out');
    io.write(text);
    io.writeError(`foodtruck-client init: ${keyNote}.\n`);
    return 0;
  }
  const file = pathApi.resolve(io.cwd, values.out);
  try {
    mkdirSync(pathApi.dirname(file), { recursive: true });
    writeFileSync(file, text, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
    // A replaced file keeps its old mode through writeFileSync: set it.
    chmodSync(file, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new InitError(`${file} exists; add --force to replace it`);
    throw new InitError(`cannot write ${file}: ${(error as Error).message}`);
  }
  io.writeError(`foodtruck-client init: wrote ${file} (mode 0600); ${keyNote}.\nStart the client with: foodtruck-client ${file}\n`);
  return 0;
}

/** What a nodeKey configuration needs beside the file: its key, and the server to know that key. */
function nodeKeyNote(auth: Record<string, string>, stateDir: string, pathApi: path.PlatformPath): string {
  const key =
    auth.key_path === undefined
      ? `the client makes its key on first start in ${pathApi.join(stateDir, 'node_key.pem')} (mode 0600)`
      : `the client signs its requests with ${auth.key_path}, which must be readable by its user`;
  const enrollment =
    auth.enrollment_secret !== undefined
      ? 'it holds the enrollment secret: keep it readable by the client\'s user only; the client enrolls its key at start'
      : 'without FOODTRUCK_ENROLLMENT_SECRET in its environment, an admin registers the node\'s public key ' +
        '(foodtruck nodes key set ORG/NAME --public-key FILE.pub)';
  return `${key}; ${enrollment}; the server needs FOODTRUCK_NODE_AUTH=node-keys or both`;
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new InitError(`${(error as Error).message}\n\n${INIT_USAGE}`);
  }
}

/** Runs the client's own parser over the result; its messages name the flag, not the setting. */
function check(config: Record<string, unknown>, io: InitIo): void {
  const auth = config.auth as Record<string, string>;
  // A key file may live only on the node: check everything else, without it.
  const checked =
    auth.type === 'chefServer'
      ? { ...config, auth: { type: 'apiKey', key: 'stand-in' } }
      : auth.type === 'nodeKey'
        ? { ...config, auth: { ...auth, key_path: undefined } }
        : config;
  try {
    parseClientConfig(checked, {
      env: { NODES_API_KEY: 'stand-in' },
      platform: io.platform,
      source: 'the command line',
      baseDir: io.cwd,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.map((problem) => {
      const match = FLAG_OF_SETTING.find(([setting]) => problem.startsWith(`${setting}:`));
      return match ? `${match[1]}${problem.slice(match[0].length)}` : problem;
    });
    throw new InitError(problems.length === 1 ? (problems[0] as string) : `invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function processIo(): InitIo {
  return {
    cwd: process.cwd(),
    platform: process.platform,
    env: process.env,
    readStdin: () => readFileSync(0, 'utf8'),
    write: (text) => process.stdout.write(text),
    writeError: (text) => process.stderr.write(text),
  };
}
