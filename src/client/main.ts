// `foodtruck-client conf.json`: reads the configuration, prepares the state directory and runs the
// agent until SIGTERM or SIGINT.

import path from 'node:path';
import { Agent } from './agent.js';
import { ConfigError, loadClientConfig } from './config.js';
import { HttpTransport } from './http-transport.js';
import { FactsReporter } from './facts-reporter.js';
import { runInit } from './init-command.js';
import { createLogger } from './log.js';
import { NodeApi } from './node-api.js';
import { collectFacts } from './node-facts.js';
import { Outbox } from './outbox.js';
import { EnrollmentRefusedError, enrollNodeKey } from './enrollment.js';
import { loadOrCreateNodeKey } from './node-key.js';
import { requestAuthenticator, type SigningCredentials } from './request-auth.js';
import { RunningTaskFile } from './running-task.js';
import { formatGoDuration } from '../wire/go-duration.js';

const USAGE = `usage: foodtruck-client <config.json>
       foodtruck-client init --server URL --org ORG --name NAME [options]   (prints a configuration)

Polls the Foodtruck server for this node's tasks and runs them with foodtruck-provider-<provider>.
The configuration file is JSON, for example:

  {
    "base_url": "https://foodtruck.example.com",
    "auth": { "type": "apiKey", "key": "..." },
    "node": { "org": "myorg", "name": "node1" },
    "interval": "5m"
  }

See the Client section of Foodtruck's README for every setting.
`;

/** Runs the client; resolves with the process's exit code. */
export async function main(args: string[]): Promise<number> {
  // A configuration file named "init" is still reachable as ./init.
  if (args[0] === 'init') return runInit(args.slice(1));
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.length !== 1 || (args[0] as string).startsWith('-')) {
    process.stderr.write(USAGE);
    return 1;
  }

  const logger = createLogger();
  let loaded;
  try {
    loaded = loadClientConfig(args[0] as string);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`foodtruck-client: ${error.message}\n`);
    return 1;
  }
  const { config, warnings } = loaded;
  for (const warning of warnings) logger.warn(warning);

  let outbox: Outbox;
  try {
    outbox = Outbox.open(path.join(config.stateDir, 'outbox'));
  } catch (error) {
    process.stderr.write(
      `foodtruck-client: state_dir: cannot use ${config.stateDir}: ${(error as Error).message}\n` +
        '  (it keeps statuses not yet delivered; set "state_dir" to a directory this user can write)\n',
    );
    return 1;
  }

  const transport = new HttpTransport({ timeoutMs: config.requestTimeoutMs, tlsVerify: config.tlsVerify });
  let credentials: SigningCredentials;
  if (config.auth.type === 'nodeKey') {
    let privateKey = config.auth.privateKey;
    if (!privateKey) {
      try {
        const kept = loadOrCreateNodeKey(config.stateDir);
        privateKey = kept.privateKey;
        logger.info(kept.created ? 'made this node\'s key pair' : 'using this node\'s key pair', { file: kept.file });
      } catch (error) {
        process.stderr.write(`foodtruck-client: cannot keep this node's key in ${config.stateDir}: ${(error as Error).message}\n`);
        return 1;
      }
    }
    credentials = { type: 'nodeKey', privateKey };
    if (config.auth.enrollmentSecret !== undefined) {
      const stopEnrolling = new AbortController();
      const onStop = () => stopEnrolling.abort();
      process.once('SIGTERM', onStop).once('SIGINT', onStop);
      try {
        const enrolled = await enrollNodeKey(config, transport, privateKey, config.auth.enrollmentSecret, logger, stopEnrolling.signal);
        // A signal that came while the enrollment request was in flight was taken by onStop: honour
        // it here, or the agent below would start and never hear it.
        if (!enrolled || stopEnrolling.signal.aborted) return 0;
      } catch (error) {
        if (!(error instanceof EnrollmentRefusedError)) throw error;
        logger.error(error.message, { node: `${config.node.org}/${config.node.name}` });
        return 1;
      } finally {
        process.off('SIGTERM', onStop).off('SIGINT', onStop);
      }
    }
  } else {
    credentials = config.auth;
  }
  const api = new NodeApi(config, transport, requestAuthenticator(credentials, config.node.name));
  const agent = new Agent({
    config,
    logger,
    api,
    outbox,
    runningTask: new RunningTaskFile(config.stateDir),
    env: process.env,
    facts: new FactsReporter(api, config.stateDir, () => collectFacts(config), logger),
  });

  const onSignal = (signal: NodeJS.Signals) => agent.stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  logger.info('foodtruck-client started', {
    node: `${config.node.org}/${config.node.name}`,
    base_url: config.baseUrl,
    auth: config.auth.type,
    interval: formatGoDuration(config.intervalMs),
    state_dir: config.stateDir,
    pid: process.pid,
  });
  try {
    await agent.run();
  } catch (error) {
    logger.error('foodtruck-client failed', { error: (error as Error).stack ?? String(error) });
    return 2;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  logger.info('foodtruck-client stopped');
  return 0;
}
