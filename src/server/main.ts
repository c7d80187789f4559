// The server executable: configuration, keys, store, HTTP, and a graceful stop on SIGTERM/SIGINT.

// First, before anything allocates: see the module.
import './tick-object-shape.js';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { openStore } from '../store/open-store.js';
import { DataDirInUseError } from '../store/sqlite/data-dir-lock.js';
import { StoreUnavailableError } from '../store/store.js';
import { AdminKeys, AdminKeysFileError } from './admin-keys.js';
import { resolveApiKeys } from './api-keys.js';
import { buildApp } from './app.js';
import { ConfigError, readServerConfig, type ServerConfig } from './config.js';

/**
 * How long in-flight requests and the store get to finish after SIGTERM or SIGINT before the
 * process exits anyway (code 1). It holds whatever the store is doing: requests waiting on a frozen
 * database, or on a pool whose every connection is taken, do not hold the process.
 */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = readServerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`foodtruck-server: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const { keys, origins } = resolveApiKeys({ admin: config.adminApiKey, nodes: config.nodesApiKey }, config.dataDir);
  const adminKeys = new AdminKeys(keys.admin, config.adminKeysFile, {
    NODES_API_KEY: keys.nodes,
    FOODTRUCK_ENROLLMENT_SECRET: config.enrollmentSecret,
  });
  let adminKeyNames: string[];
  try {
    adminKeyNames = adminKeys.load().names;
  } catch (error) {
    if (!(error instanceof AdminKeysFileError)) throw error;
    process.stderr.write(`foodtruck-server: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  // The store opens before the app (and its logger) exists; it reports to the log once there is one.
  const late: { log?: FastifyBaseLogger } = {};
  const store = await openStore(
    config.store,
    {
      defaultTaskTimeoutMs: config.defaultTaskTimeoutMs,
      minHeartbeatLeaseMs: config.minHeartbeatLeaseMs,
      deliveryGraceMs: config.deliveryGraceMs,
      timeoutGraceMs: config.timeoutGraceMs,
    },
    {
      onClientReplaced: () =>
        late.log?.warn(
          { store: 'mongodb' },
          'replaced the MongoDB client: every operation had failed as unavailable for 15 s, and a fresh client reached the database',
        ),
    },
  );
  const { app } = await buildApp({
    store,
    keys,
    adminKeys,
    nodeAuth: config.nodeAuth,
    ...(config.enrollmentSecret ? { enrollmentSecret: config.enrollmentSecret } : {}),
    maxJobNodes: config.maxJobNodes,
    jobBodyLimitBytes: config.jobBodyLimitBytes,
    maxHeldPolls: config.maxHeldPolls,
    nodePruneAfterMs: config.nodePruneAfterMs,
    checkInResolutionMs: config.checkInResolutionMs,
    logger: pino(
      {
        level: config.logLevel,
        // Belt and braces: no header is logged today, and a key must never be.
        redact: ['req.headers.authorization', 'headers.authorization'],
      },
      // Asynchronous writes: under load, many lines go out in one write instead of one write per
      // request. pino flushes what is left when the process exits.
      pino.destination({ dest: 1, sync: false }),
    ),
  });
  late.log = app.log;
  for (const origin of origins) {
    if (origin.file) {
      app.log.info(
        { variable: origin.variable, file: origin.file },
        origin.generated
          ? `${origin.variable} was not set: generated one and kept it in ${origin.file} (readable by its owner only)`
          : `${origin.variable} was not set: using the one kept in ${origin.file}`,
      );
    }
  }
  if (config.adminKeysFile) app.log.info({ file: config.adminKeysFile, names: adminKeyNames }, 'named admin keys loaded');
  // SIGHUP: read the named admin keys again, so that a key is added or revoked without a restart.
  process.on('SIGHUP', () => {
    if (!config.adminKeysFile) return app.log.info('SIGHUP: no FOODTRUCK_ADMIN_KEYS_FILE to read again');
    try {
      app.log.info({ file: config.adminKeysFile, names: adminKeys.load().names }, 'SIGHUP: named admin keys reloaded');
    } catch (error) {
      app.log.error({ file: config.adminKeysFile, problem: (error as Error).message }, 'SIGHUP: the admin keys file is not valid; keeping the previous keys');
    }
  });
  app.log.info({ node_auth: config.nodeAuth, enrollment: config.enrollmentSecret !== undefined }, 'node authentication');
  app.log.info({ store: config.store.kind, dataDir: config.store.kind === 'sqlite' ? config.dataDir : undefined }, 'store ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal while stopping: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'stopping: no new requests, finishing the ones in flight');
    // A request that never ends (a stuck client, a dead log pipe) must not keep the process alive.
    setTimeout(() => {
      process.stderr.write(`foodtruck-server: not stopped after ${SHUTDOWN_GRACE_MS / 1000} s, exiting anyway\n`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    try {
      await app.close();
      await store.close();
      app.log.info('stopped');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (error) {
    // A port in use or an address this machine does not have: the operator's to fix, by name.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      process.stderr.write(
        `foodtruck-server: cannot listen on ${config.listen.host}:${config.listen.port} (FOODTRUCK_LISTEN_ADDR): ` +
          `${(error as Error).message}\n`,
      );
      await store.close();
      process.exit(1);
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  // A database that cannot be reached is the operator's to fix, not a bug: its message says all.
  const text =
    error instanceof StoreUnavailableError || error instanceof DataDirInUseError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`foodtruck-server: ${text}\n`);
  process.exit(1);
});
