// `npm run demo`: Foodtruck end to end on one machine. Starts the server on the embedded store in
// ./demo-data, three local clients (demo/node1..3, each with its own configuration written by
// `foodtruck-client init` and its own state directory) that run providers/foodtruck-provider-example,
// creates a job for the three nodes with the CLI and follows it to its end with `foodtruck jobs watch`;
// then prints the web page's address and the admin key, and runs until Ctrl-C, which stops
// everything it started.
//
// Environment: FOODTRUCK_LISTEN_ADDR (default 127.0.0.1:1323; port 0 picks a free one).
// Logs: demo-data/server.log and demo-data/<node>/client.log. `rm -rf demo-data` starts afresh.
//
// The server and the clients run in process groups of their own, so that a Ctrl-C reaches them
// once, from here, in order (clients first, then the server): a second signal would make them
// exit without their graceful stop.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = path.join(root, 'demo-data');
const bin = (name) => path.join(root, 'bin', name);
const ORG = 'demo';
const NODES = ['node1', 'node2', 'node3'];
const SPEC = { message: 'hello from the Foodtruck quick start', sleep: 1 };
const STOP_TIMEOUT_MS = 15_000;

/** The server and the clients, in start order. */
const children = [];
/** Short commands running now (init, the CLI): stopped with the rest. */
const commands = new Set();
let stopping = false;

const say = (text) => process.stdout.write(`${text}\n`);

function fail(text) {
  process.stderr.write(`demo: ${text}\n`);
  return stopAll(1);
}

/** The environment of what the demo starts: none of an operator's keys or database settings. */
function demoEnv(extra) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(ADMIN_API_KEY|NODES?_API_KEY|MONGODB_.*|FOODTRUCK_.*)$/.test(name)) delete env[name];
  }
  return { ...env, ...extra };
}

/** Starts a long-running process; once `entry.watched` is set, its exit stops the demo. */
function start(label, args, options) {
  const child = spawn(process.execPath, args, { ...options, detached: true });
  const entry = { label, child, watched: false, exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))) };
  children.push(entry);
  void entry.exited.then(({ code, signal }) => {
    entry.done = true;
    if (entry.watched && !stopping) void fail(`${label} stopped unexpectedly (${signal ?? `exit code ${code}`}); see its log in demo-data/`);
  });
  return entry;
}

/** Runs a short command (init, the CLI) to its end; answers its exit code and stdout. */
function run(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', options.inherit ? 'inherit' : 'pipe', 'pipe'], env: options.env });
    commands.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (options.quiet ? (stderr += chunk) : process.stderr.write(chunk)));
    child.once('error', reject);
    child.once('exit', (code) => {
      commands.delete(child);
      // A quiet command's notes matter only when it failed.
      if (code !== 0) process.stderr.write(stderr);
      resolve({ code, stdout });
    });
  });
}

async function stopOne(entry, signal) {
  if (entry.done) return;
  try {
    process.kill(entry.child.pid, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    process.stderr.write(`demo: ${entry.label} did not stop within ${STOP_TIMEOUT_MS / 1000} s: killing it\n`);
    try {
      process.kill(-entry.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, STOP_TIMEOUT_MS);
  await entry.exited;
  clearTimeout(timer);
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  for (const child of commands) child.kill('SIGTERM');
  const clients = children.filter((entry) => entry.label !== 'the server');
  if (children.some((entry) => !entry.done)) say('\nStopping the clients and the server...');
  await Promise.all(clients.map((entry) => stopOne(entry, 'SIGTERM')));
  await Promise.all(children.filter((entry) => !clients.includes(entry)).map((entry) => stopOne(entry, 'SIGTERM')));
  if (exitCode === 0) say('Stopped. Everything the demo made is in demo-data/ (remove it to start afresh).');
  process.exit(exitCode);
}

/** Starts the server and answers its URL, read from its first "Server listening at" line. */
async function startServer(listen) {
  const logFile = path.join(dataDir, 'server.log');
  const log = openSync(logFile, 'a');
  const server = start('the server', [bin('foodtruck-server')], {
    env: demoEnv({ FOODTRUCK_DATA_DIR: dataDir, FOODTRUCK_LISTEN_ADDR: listen }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept only until the server listens: afterwards its log goes to the file alone.
  let seen = '';
  let listening = false;
  let errors = '';
  const port = await new Promise((resolve) => {
    server.child.stdout.setEncoding('utf8').on('data', (chunk) => {
      writeFileSync(log, chunk);
      if (listening) return;
      seen += chunk;
      const match = /Server listening at https?:\/\/[^"]*:(\d+)/.exec(seen);
      if (match) {
        listening = true;
        seen = '';
        resolve(Number(match[1]));
      }
    });
    server.child.stderr.setEncoding('utf8').on('data', (chunk) => {
      writeFileSync(log, chunk);
      errors += chunk;
    });
    void server.exited.then(() => resolve(undefined));
  });
  if (port === undefined) {
    if (stopping) return undefined;
    stopping = true;
    process.stderr.write(errors);
    process.stderr.write(`demo: the server did not start (log: ${logFile}).\n`);
    process.stderr.write('      Another port: FOODTRUCK_LISTEN_ADDR=127.0.0.1:1324 npm run demo\n');
    process.exit(1);
  }
  server.watched = true;
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  const reachable = ['', '0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}`;
}

async function main() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stopAll(0));
  process.on('exit', () => {
    // Last resort (an unexpected error here): leave nothing running.
    for (const entry of children) {
      if (!entry.done) {
        try {
          process.kill(-entry.child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  });
  if (!existsSync(path.join(root, 'dist', 'src', 'server', 'main.js'))) {
    process.stderr.write('demo: not built yet; run `npm ci` (or `npm run build`) first\n');
    process.exit(1);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const listen = process.env.FOODTRUCK_LISTEN_ADDR || '127.0.0.1:1323';

  say(`Starting the server on ${listen} (embedded store in demo-data/)...`);
  const url = await startServer(listen);
  if (stopping) return;
  const adminKey = readFileSync(path.join(dataDir, 'admin_api_key'), 'utf8').trim();
  const nodesKey = readFileSync(path.join(dataDir, 'nodes_api_key'), 'utf8').trim();

  say(`Starting ${NODES.length} clients (${NODES.map((name) => `${ORG}/${name}`).join(', ')}) with the example provider...`);
  for (const name of NODES) {
    const nodeDir = path.join(dataDir, name);
    const configFile = path.join(nodeDir, 'client.json');
    const made = await run([
      bin('foodtruck-client'), 'init', '--server', url, '--org', ORG, '--name', name, '--interval', '1s',
      '--providers-path', path.join(root, 'providers'), '--state-dir', path.join(nodeDir, 'state'),
      '--out', configFile, '--force',
    ], { quiet: true });
    if (stopping) return;
    if (made.code !== 0) return fail(`foodtruck-client init failed for ${name}`);
    // A Ctrl-C should not wait the default 30 s for a provider someone asked to sleep, and a
    // cancel should reach a running provider at the next report, within 2 s rather than 30.
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, `${JSON.stringify({ ...config, shutdown_grace: '3s', heartbeat: '2s' }, null, 2)}\n`, { mode: 0o600 });
    const log = openSync(path.join(nodeDir, 'client.log'), 'a');
    start(`the client of ${ORG}/${name}`, [bin('foodtruck-client'), configFile], {
      env: demoEnv({ NODES_API_KEY: nodesKey }),
      stdio: ['ignore', log, log],
    }).watched = true;
  }

  const cliEnv = demoEnv({ FOODTRUCK_URL: url, ADMIN_API_KEY: adminKey });
  const envFile = path.join(dataDir, 'env');
  writeFileSync(envFile, `export FOODTRUCK_URL='${url}' ADMIN_API_KEY='${adminKey}'\n`, { mode: 0o600 });

  const nodeFlags = NODES.flatMap((name) => ['--node', `${ORG}/${name}`]);
  const specText = JSON.stringify(SPEC);
  // A name, so that the job reads as the demo's in the job list and on the page.
  const jobName = 'demo: hello from the example provider';
  say(`\n$ foodtruck jobs create --name '${jobName}' --provider example --spec '${specText}' ${nodeFlags.join(' ')}`);
  const created = await run(
    [bin('foodtruck'), 'jobs', 'create', '--name', jobName, '--provider', 'example', '--spec', specText, ...nodeFlags],
    { env: cliEnv },
  );
  if (stopping) return;
  const id = created.stdout.trim();
  if (created.code !== 0 || !/^[0-9a-f]{24}$/.test(id)) return fail('the job could not be created');
  say(id);
  say(`$ foodtruck jobs watch ${id}`);
  const watched = await run([bin('foodtruck'), 'jobs', 'watch', id], { env: cliEnv, inherit: true });
  if (stopping) return;
  if (watched.code !== 0 && watched.code !== 1) return fail(`foodtruck jobs watch ended with exit code ${watched.code}`);

  say(`
${watched.code === 0 ? `The job finished: success on all ${NODES.length} nodes.` : 'The job finished, but not on every node: see above.'}

  Web page:   ${url}/#/jobs/${id}
  Admin key:  ${adminKey}   (sign in with it; also in demo-data/admin_api_key)

  In another terminal, the CLI (from this directory):
    . demo-data/env            # sets FOODTRUCK_URL and ADMIN_API_KEY for ./bin/foodtruck
    ./bin/foodtruck jobs get ${id}
    ./bin/foodtruck jobs create --provider example --spec '{"exit_code": 3}' --node demo/node2 --wait

  Logs: demo-data/server.log, demo-data/<node>/client.log

The server and the clients keep running: press Ctrl-C to stop them all.`);
}

main().catch((error) => {
  void fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});
