// Reads and checks the client's JSON configuration (the seed's format, plus a few optional
// settings) and the environment it honours, once, at start-up. Every problem is named, all at once.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseGoDuration } from '../wire/go-duration.js';
import { isValidNodePart } from '../wire/names.js';
import { attributesProblem, tagsProblem } from '../wire/node-facts.js';

export type ClientAuth =
  | { type: 'apiKey'; key: string }
  | { type: 'chefServer'; keyPath: string; privateKey: KeyObject }
  | {
      type: 'nodeKey';
      /** The node's own key (`key_path`, e.g. a Chef client.pem); absent: one kept in `state_dir`. */
      keyPath?: string;
      privateKey?: KeyObject;
      /** Enroll the key with this at start (`enrollment_secret` or FOODTRUCK_ENROLLMENT_SECRET). */
      enrollmentSecret?: string;
    };

export interface ClientConfig {
  /** Without a trailing slash; the node routes are appended to it. */
  baseUrl: string;
  auth: ClientAuth;
  node: { org: string; name: string };
  intervalMs: number;
  /** Searched, in order, before PATH. */
  providerDirs: string[];
  stateDir: string;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  maxBackoffMs: number;
  /** How often `running` is re-reported while a provider runs (the server's sign of life). */
  heartbeatMs: number;
  tlsVerify: boolean;
  /** Reported among the node's facts; jobs can target them (`targets.tags_all`, ...). */
  tags: string[];
  attributes: Record<string, string>;
}

export interface LoadedConfig {
  config: ClientConfig;
  /** Not fatal, but worth a log line (e.g. an unknown setting, probably a typo). */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigEnvironment {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
}

const KNOWN_SETTINGS = new Set([
  'base_url',
  'auth',
  'node',
  'interval',
  'providers_path',
  'state_dir',
  'request_timeout',
  'shutdown_grace',
  'max_backoff',
  'tags',
  'attributes',
  'heartbeat',
]);

/** The defaults of the optional durations, as the README lists them (`init` writes them out). */
export const DEFAULTS = {
  request_timeout: '30s',
  shutdown_grace: '30s',
  max_backoff: '5m',
  heartbeat: '30s',
};

/** The longest `heartbeat_interval` the server takes. */
const MAX_HEARTBEAT_MS = 3_600_000;

/** Where undelivered statuses wait when `state_dir` is not set. */
export function defaultStateDir(platform: NodeJS.Platform, env: Record<string, string | undefined>): string {
  if (platform === 'win32') {
    return path.win32.join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', 'foodtruck-client');
  }
  return '/var/lib/foodtruck-client';
}

/** Reads `file` and checks it; throws ConfigError naming every bad setting. */
export function loadClientConfig(
  file: string,
  environment: ConfigEnvironment = { env: process.env, platform: process.platform },
): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the configuration file: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`the configuration file is not valid JSON: ${(error as Error).message}`]);
  }
  return parseClientConfig(raw, { ...environment, source: file, baseDir: path.dirname(path.resolve(file)) });
}

/**
 * Checks an already parsed configuration. Relative paths (`key_path`, `providers_path`,
 * `state_dir`) are taken from `baseDir`, the configuration file's directory.
 */
export function parseClientConfig(
  raw: unknown,
  options: ConfigEnvironment & { source: string; baseDir: string },
): LoadedConfig {
  const { env, platform, source, baseDir } = options;
  const problems: string[] = [];
  const warnings: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, ['the configuration must be a JSON object']);
  }
  const settings = raw as Record<string, unknown>;
  for (const key of Object.keys(settings)) {
    if (!KNOWN_SETTINGS.has(key)) warnings.push(`unknown setting "${key}" is ignored`);
  }
  const resolvePath = (value: string) => (platform === 'win32' ? path.win32 : path.posix).resolve(baseDir, value);

  const baseUrl = readBaseUrl(settings.base_url, problems);
  const auth = readAuth(settings.auth, env, resolvePath, problems);
  const node = readNode(settings.node, problems);
  const intervalMs = readDuration(settings, 'interval', undefined, problems);
  const requestTimeoutMs = readDuration(settings, 'request_timeout', DEFAULTS.request_timeout, problems);
  const shutdownGraceMs = readDuration(settings, 'shutdown_grace', DEFAULTS.shutdown_grace, problems);
  const maxBackoffMs = readDuration(settings, 'max_backoff', DEFAULTS.max_backoff, problems);
  const heartbeatMs = readDuration(settings, 'heartbeat', DEFAULTS.heartbeat, problems);
  // The server refuses a `heartbeat_interval` over an hour (API document), and a task's lease is
  // four of them: longer would only let a dead node's tasks hang longer.
  if (heartbeatMs !== undefined && (heartbeatMs < 100 || heartbeatMs > MAX_HEARTBEAT_MS)) {
    problems.push(`heartbeat: expected a Go duration from 100ms to 1h, such as "30s", got ${describe(settings.heartbeat)}`);
  }
  const providerDirs = readProviderDirs(settings.providers_path, platform, resolvePath, problems);

  let stateDir = defaultStateDir(platform, env);
  if (settings.state_dir !== undefined) {
    if (typeof settings.state_dir !== 'string' || settings.state_dir === '') {
      problems.push('state_dir: expected a directory path (a non-empty string)');
    } else {
      stateDir = resolvePath(settings.state_dir);
    }
  }

  let tags: string[] = [];
  if (settings.tags !== undefined) {
    const problem = tagsProblem(settings.tags);
    if (problem) problems.push(problem);
    else tags = [...new Set(settings.tags as string[])];
  }
  let attributes: Record<string, string> = {};
  if (settings.attributes !== undefined) {
    const problem = attributesProblem(settings.attributes);
    if (problem) problems.push(problem);
    else attributes = { ...(settings.attributes as Record<string, string>) };
  }

  const tlsVerify = !isTrue(env.SSL_NO_VERIFY);
  if (!tlsVerify) warnings.push('SSL_NO_VERIFY is set: TLS certificates are not verified');

  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    config: {
      baseUrl: baseUrl as string,
      auth: auth as ClientAuth,
      node: node as ClientConfig['node'],
      intervalMs: intervalMs as number,
      providerDirs,
      stateDir,
      requestTimeoutMs: requestTimeoutMs as number,
      shutdownGraceMs: shutdownGraceMs as number,
      maxBackoffMs: maxBackoffMs as number,
      heartbeatMs: heartbeatMs as number,
      tlsVerify,
      tags,
      attributes,
    },
    warnings,
  };
}

function readBaseUrl(value: unknown, problems: string[]): string | undefined {
  const expected = 'base_url: expected the http:// or https:// URL of the Foodtruck server (or of the Chef Infra Server in front of it)';
  if (typeof value !== 'string' || value === '') {
    problems.push(`${expected}, got ${describe(value)}`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${expected}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${expected}, got the scheme ${JSON.stringify(url.protocol)}`);
    return undefined;
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    problems.push('base_url: must not carry a query, a fragment or credentials');
    return undefined;
  }
  return url.href.replace(/\/+$/, '');
}

function readAuth(
  value: unknown,
  env: Record<string, string | undefined>,
  resolvePath: (value: string) => string,
  problems: string[],
): ClientAuth | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`auth: expected an object with "type": "apiKey", "chefServer" or "nodeKey", got ${describe(value)}`);
    return undefined;
  }
  const auth = value as Record<string, unknown>;
  if (auth.type === 'apiKey') {
    if (auth.key !== undefined && (typeof auth.key !== 'string' || auth.key === '')) {
      problems.push('auth.key: expected the nodes API key (a non-empty string)');
      return undefined;
    }
    // NODE_API_KEY is the spelling in the seed's README; NODES_API_KEY is the server's.
    const key = (auth.key as string | undefined) || env.NODES_API_KEY || env.NODE_API_KEY;
    if (!key) {
      problems.push('auth.key: required for "apiKey" auth (or set the NODES_API_KEY environment variable)');
      return undefined;
    }
    if ([...key].some((char) => char <= ' ' || char === '\u007f')) {
      problems.push('auth.key: must not contain spaces or control characters');
      return undefined;
    }
    return { type: 'apiKey', key };
  }
  if (auth.type === 'nodeKey') {
    const nodeKey: ClientAuth & { type: 'nodeKey' } = { type: 'nodeKey' };
    const secret = auth.enrollment_secret ?? env.FOODTRUCK_ENROLLMENT_SECRET;
    if (secret !== undefined && secret !== '') {
      if (typeof secret !== 'string' || [...secret].some((char) => char <= ' ' || char === '\u007f')) {
        problems.push('auth.enrollment_secret: expected the server\'s enrollment secret (a string without spaces or control characters)');
        return undefined;
      }
      nodeKey.enrollmentSecret = secret;
    }
    if (auth.key_path === undefined) return nodeKey;
    if (typeof auth.key_path !== 'string' || auth.key_path === '') {
      problems.push('auth.key_path: expected the path of the node\'s RSA private key (e.g. /etc/chef/client.pem), or leave it out');
      return undefined;
    }
    const loaded = readRsaPrivateKey(resolvePath(auth.key_path), problems);
    return loaded ? { ...nodeKey, ...loaded } : undefined;
  }
  if (auth.type === 'chefServer') {
    if (typeof auth.key_path !== 'string' || auth.key_path === '') {
      problems.push('auth.key_path: required for "chefServer" auth: the path of the node\'s Chef client key (e.g. /etc/chef/client.pem)');
      return undefined;
    }
    const loaded = readRsaPrivateKey(resolvePath(auth.key_path), problems);
    return loaded ? { type: 'chefServer', ...loaded } : undefined;
  }
  problems.push(`auth.type: expected "apiKey", "chefServer" or "nodeKey", got ${describe(auth.type)}`);
  return undefined;
}

function readRsaPrivateKey(keyPath: string, problems: string[]): { keyPath: string; privateKey: KeyObject } | undefined {
  let pem: string;
  try {
    pem = readFileSync(keyPath, 'utf8');
  } catch (error) {
    problems.push(`auth.key_path: cannot read ${keyPath}: ${(error as Error).message}`);
    return undefined;
  }
  try {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'rsa') {
      problems.push(`auth.key_path: ${keyPath} holds a ${privateKey.asymmetricKeyType ?? 'non-RSA'} key; Chef client keys are RSA`);
      return undefined;
    }
    return { keyPath, privateKey };
  } catch (error) {
    problems.push(`auth.key_path: ${keyPath} is not a PEM private key: ${(error as Error).message}`);
    return undefined;
  }
}

function readNode(value: unknown, problems: string[]): ClientConfig['node'] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`node: expected an object {"org": ..., "name": ...}, got ${describe(value)}`);
    return undefined;
  }
  const node = value as Record<string, unknown>;
  let ok = true;
  for (const part of ['org', 'name'] as const) {
    const text = node[part];
    if (typeof text !== 'string' || !isValidNodePart(text)) {
      problems.push(`node.${part}: expected 1 to 255 letters, digits, ".", "_", "-", ":" or "@", got ${describe(text)}`);
      ok = false;
    }
  }
  return ok ? { org: node.org as string, name: node.name as string } : undefined;
}

function readDuration(
  settings: Record<string, unknown>,
  key: string,
  fallback: string | undefined,
  problems: string[],
): number | undefined {
  const value = settings[key] ?? fallback;
  const expected = `${key}: expected a positive Go duration such as "250ms", "5s", "5m" or "1h30m"`;
  if (value === undefined) {
    problems.push(`${key}: required, a Go duration such as "5s", "5m" or "1h30m"`);
    return undefined;
  }
  const ms = typeof value === 'string' ? parseGoDuration(value) : undefined;
  if (ms === undefined || ms <= 0) {
    problems.push(`${expected}, got ${describe(value)}`);
    return undefined;
  }
  return ms;
}

function readProviderDirs(
  value: unknown,
  platform: NodeJS.Platform,
  resolvePath: (value: string) => string,
  problems: string[],
): string[] {
  if (value === undefined) return [];
  const delimiter = platform === 'win32' ? ';' : ':';
  let entries: unknown[];
  if (typeof value === 'string') entries = value.split(delimiter);
  else if (Array.isArray(value)) entries = value;
  else {
    problems.push(`providers_path: expected a directory, a list of directories separated by "${delimiter}", or an array of them, got ${describe(value)}`);
    return [];
  }
  const dirs: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      problems.push(`providers_path: every entry must be a directory path, got ${describe(entry)}`);
    } else if (entry !== '') {
      dirs.push(resolvePath(entry));
    }
  }
  return dirs;
}

/** Go's strconv.ParseBool true values, which the seed's client read SSL_NO_VERIFY with. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
