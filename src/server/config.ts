// Every setting of the server is read and checked here, once, at start-up. A bad value stops the
// server with a message naming the variable and what it expected.

import path from 'node:path';
import { DEFAULT_CHECK_IN_RESOLUTION_MS } from './check-in-recorder.js';
import { DEFAULT_TASK_TIMEOUT_MS, DELIVERY_GRACE_MS, MIN_HEARTBEAT_LEASE_MS, TIMEOUT_GRACE_MS } from '../store/task-lease.js';
import { formatGoDuration, parseGoDuration } from '../wire/go-duration.js';
import { NODE_AUTH_MODES, type NodeAuthMode } from './node-auth.js';

export type StoreConfig =
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'mongodb'; connectionString: string; databaseName: string; cosmos: boolean };

export interface ServerConfig {
  listen: { host: string; port: number };
  store: StoreConfig;
  /** Undefined when not set; the embedded store then generates and keeps one. */
  adminApiKey: string | undefined;
  nodesApiKey: string | undefined;
  /** FOODTRUCK_ADMIN_KEYS_FILE: named admin keys besides ADMIN_API_KEY (absolute path), or undefined. */
  adminKeysFile: string | undefined;
  /** FOODTRUCK_NODE_AUTH: how node routes authenticate. */
  nodeAuth: NodeAuthMode;
  /** FOODTRUCK_ENROLLMENT_SECRET: lets nodes enroll their own keys; undefined: nobody can. */
  enrollmentSecret: string | undefined;
  dataDir: string;
  logLevel: string;
  maxJobNodes: number;
  jobBodyLimitBytes: number;
  /** Long polls held at once, at most; 0 turns long polls off. */
  maxHeldPolls: number;
  /** FOODTRUCK_DEFAULT_TASK_TIMEOUT: how long a task without `timeout` may run on a node that sends no heartbeats. */
  defaultTaskTimeoutMs: number;
  /** FOODTRUCK_HEARTBEAT_LEASE_MIN: the floor of the lease of a task whose node sends heartbeats. */
  minHeartbeatLeaseMs: number;
  /** FOODTRUCK_DELIVERY_GRACE: how long a handed-out task may go without its `running` report. */
  deliveryGraceMs: number;
  /** FOODTRUCK_TIMEOUT_GRACE: the time beyond its timeout a task on a node without heartbeats gets. */
  timeoutGraceMs: number;
  /** FOODTRUCK_NODE_PRUNE_AFTER: nodes idle this long are forgotten; 0: never. */
  nodePruneAfterMs: number;
  /** FOODTRUCK_CHECK_IN_RESOLUTION: how stale a polling node's stored check-in may be; 0: a write at every flush. */
  checkInResolutionMs: number;
}

/**
 * FOODTRUCK_NODE_PRUNE_AFTER when not set: 30 days. Forgetting loses no job history and a node
 * comes back when it polls or is targeted again, so a month-long default clears the rows of
 * nodes that are gone (a cancelled 10,000-node job) long after anyone watches them for an outage.
 */
export const DEFAULT_NODE_PRUNE_AFTER_MS = 30 * 24 * 3600_000;

export class ConfigError extends Error {
  constructor(variable: string, expected: string) {
    super(`${variable}: ${expected}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const MIN_API_KEY_LENGTH = 16;

export function readServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dataDir = path.resolve(nonEmpty(env.FOODTRUCK_DATA_DIR) ?? './data');
  const connectionString = nonEmpty(env.MONGODB_CONNECTION_STRING);
  const databaseName = nonEmpty(env.MONGODB_DATABASE_NAME);
  if (connectionString && !databaseName) {
    throw new ConfigError('MONGODB_DATABASE_NAME', 'must be set together with MONGODB_CONNECTION_STRING');
  }
  if (databaseName && !connectionString) {
    throw new ConfigError('MONGODB_CONNECTION_STRING', 'must be set together with MONGODB_DATABASE_NAME');
  }
  const cosmos = readBoolean(env, 'FOODTRUCK_COSMOS_DB', false);
  const store: StoreConfig =
    connectionString && databaseName
      ? { kind: 'mongodb', connectionString, databaseName, cosmos }
      : { kind: 'sqlite', dataDir };

  const adminApiKey = readApiKey(env, 'ADMIN_API_KEY');
  const nodesApiKey = readApiKey(env, 'NODES_API_KEY');
  const nodeAuthText = nonEmpty(env.FOODTRUCK_NODE_AUTH) ?? 'shared-key';
  if (!(NODE_AUTH_MODES as readonly string[]).includes(nodeAuthText)) {
    throw new ConfigError('FOODTRUCK_NODE_AUTH', `must be one of ${NODE_AUTH_MODES.join(', ')}, got "${nodeAuthText}"`);
  }
  const nodeAuth = nodeAuthText as NodeAuthMode;
  const enrollmentSecret = readApiKey(env, 'FOODTRUCK_ENROLLMENT_SECRET');
  if (store.kind === 'mongodb') {
    if (!adminApiKey) throw new ConfigError('ADMIN_API_KEY', 'must be set when MongoDB is used');
    if (!nodesApiKey && nodeAuth !== 'node-keys') {
      throw new ConfigError('NODES_API_KEY', `must be set when MongoDB is used with FOODTRUCK_NODE_AUTH=${nodeAuth}`);
    }
  }
  if (adminApiKey && adminApiKey === nodesApiKey) {
    throw new ConfigError('ADMIN_API_KEY', 'must differ from NODES_API_KEY: the node key must never open admin routes');
  }
  if (enrollmentSecret && (enrollmentSecret === adminApiKey || enrollmentSecret === nodesApiKey)) {
    throw new ConfigError('FOODTRUCK_ENROLLMENT_SECRET', 'must differ from ADMIN_API_KEY and NODES_API_KEY');
  }

  const logLevel = nonEmpty(env.FOODTRUCK_LOG_LEVEL) ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('FOODTRUCK_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return {
    listen: parseListenAddress(nonEmpty(env.FOODTRUCK_LISTEN_ADDR) ?? '0.0.0.0:1323'),
    store,
    adminApiKey,
    nodesApiKey,
    adminKeysFile: nonEmpty(env.FOODTRUCK_ADMIN_KEYS_FILE) === undefined ? undefined : path.resolve(nonEmpty(env.FOODTRUCK_ADMIN_KEYS_FILE) as string),
    nodeAuth,
    enrollmentSecret,
    dataDir,
    logLevel,
    maxJobNodes: readPositiveInteger(env, 'FOODTRUCK_MAX_JOB_NODES', 100_000),
    jobBodyLimitBytes: readPositiveInteger(env, 'FOODTRUCK_JOB_BODY_LIMIT', 64 * 1024 * 1024),
    maxHeldPolls: readWholeNumber(env, 'FOODTRUCK_MAX_HELD_POLLS', 100_000),
    defaultTaskTimeoutMs: readDuration(env, 'FOODTRUCK_DEFAULT_TASK_TIMEOUT', DEFAULT_TASK_TIMEOUT_MS),
    minHeartbeatLeaseMs: readDuration(env, 'FOODTRUCK_HEARTBEAT_LEASE_MIN', MIN_HEARTBEAT_LEASE_MS),
    deliveryGraceMs: readDuration(env, 'FOODTRUCK_DELIVERY_GRACE', DELIVERY_GRACE_MS),
    timeoutGraceMs: readDuration(env, 'FOODTRUCK_TIMEOUT_GRACE', TIMEOUT_GRACE_MS),
    nodePruneAfterMs: readDurationOrOff(env, 'FOODTRUCK_NODE_PRUNE_AFTER', DEFAULT_NODE_PRUNE_AFTER_MS),
    checkInResolutionMs: readDurationOrOff(env, 'FOODTRUCK_CHECK_IN_RESOLUTION', DEFAULT_CHECK_IN_RESOLUTION_MS, 'every flush'),
  };
}

/**
 * Accepts the forms Go's net.Listen took in the seed: `:1323` (every interface), `0.0.0.0:1323`,
 * `[::]:1323`, `[::1]:1323`, `localhost:1323`.
 */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.%\w]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !(port >= 0 && port <= 65535)) {
    throw new ConfigError('FOODTRUCK_LISTEN_ADDR', `expected HOST:PORT such as ":1323", "0.0.0.0:1323" or "[::]:1323", got "${text}"`);
  }
  const host = match[1] ?? match[2] ?? '';
  // An empty host means every interface, as in Go; "::" is dual-stack in Node.
  return { host: host === '' ? '::' : host, port };
}

function readApiKey(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_API_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError(
      variable,
      `must be at least ${MIN_API_KEY_LENGTH} printable ASCII characters without spaces (generate one with: openssl rand -hex 20)`,
    );
  }
  return value;
}

function readPositiveInteger(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = nonEmpty(env[variable]);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new ConfigError(variable, `must be a whole number greater than 0, got "${text}"`);
  }
  return Number(text);
}

function readWholeNumber(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = nonEmpty(env[variable]);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ConfigError(variable, `must be a whole number, 0 or more, got "${text}"`);
  }
  return Number(text);
}

function readDuration(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = nonEmpty(env[variable]);
  if (text === undefined) return fallback;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms <= 0 || !Number.isSafeInteger(Math.round(ms))) {
    throw new ConfigError(variable, `must be a positive Go duration such as "${formatGoDuration(fallback)}" or "90m", got "${text}"`);
  }
  return Math.round(ms);
}

/** A Go duration, or 0 (`0`, `0s`), which `zeroMeans` says what it does ("never"). */
function readDurationOrOff(env: NodeJS.ProcessEnv, variable: string, fallback: number, zeroMeans = 'never'): number {
  const text = nonEmpty(env[variable]);
  if (text === undefined) return fallback;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 0 || !Number.isSafeInteger(Math.round(ms))) {
    throw new ConfigError(variable, `must be a Go duration such as "${formatGoDuration(fallback)}" or "168h", or 0 for ${zeroMeans}, got "${text}"`);
  }
  return Math.round(ms);
}

function readBoolean(env: NodeJS.ProcessEnv, variable: string, fallback: boolean): boolean {
  const text = nonEmpty(env[variable])?.toLowerCase();
  if (text === undefined) return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(variable, `must be true or false, got "${text}"`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
