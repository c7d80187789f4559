// `npm run bench`: prints the figures issue by issue asks for, for each storage driver, next to a
// bare node:http server measured in the same run. Numbers, not assertions: see docs/benchmarks.md.

import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import autocannon from 'autocannon';
import { startServer as startTestServer, type ServerProcess, type ServerProcessOptions } from '../test/support/server-process.js';
import { makeTempDir } from '../test/support/temp-dir.js';
import { cpuMs, measureHandOut, measureHeldConnections, openFileLimit, type HandOutFigures, type HeldFigures } from './delivery.js';
import { bareHeldCount, startBareServer } from './bare-process.js';
import { median } from './median.js';
import { benchDrivers, type BenchSizes } from './drivers.js';
import { benchRateControl, rateControlNodes } from './rate-control.js';
import { benchNodeAuthPolls } from './node-auth-polls.js';
import { measureReportBurst } from './report-burst.js';
import { wrkAvailable, wrkPolls } from './wrk-polls.js';

const POLL_SECONDS = Number(process.env.BENCH_POLL_SECONDS ?? 10);
/** Rounds of empty polls of a fleet polling again, each beside a round of the bare server. */
const POLL_ROUNDS = Number(process.env.BENCH_POLL_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** wrk when it is installed (BENCH_LOAD_GENERATOR=autocannon asks for autocannon anyway). */
const USE_WRK = process.env.BENCH_LOAD_GENERATOR !== 'autocannon' && wrkAvailable();
/** Every repeated request stops at its count or after this long, whichever comes first. */
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 60);
/** No single request may take longer than this (the MongoDB socket timeout the bench sets). */
const REQUEST_TIMEOUT_MS = 300_000;
/** The fleet of the bare server's poll test; it answers the same whatever the node. */
const BARE_FLEET = 100_000;
/** BENCH_ONLY_DELIVERY=1: only the issue-10 figures (hand-out, held polls) and the bare server's. */
const ONLY_DELIVERY = process.env.BENCH_ONLY_DELIVERY === '1';

interface PollFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  unexpected: number;
  /** Polls sent, answered or not: those still unanswered when the time is up, the server still works on. */
  sent: number;
  answered: number;
  seconds: number;
}

const logs = makeTempDir('foodtruck-bench-logs-');
let serverCount = 0;
/** Each bench server's log file. */
const logFiles = new Map<ServerProcess, string>();

/** The real server, logging at info to a file as it would in production, not into this process. */
async function startServer(options: ServerProcessOptions): Promise<ServerProcess> {
  const logFile = `${logs.dir}/server-${++serverCount}.log`;
  const server = await startTestServer({ ...options, logFile });
  logFiles.set(server, logFile);
  // Should the bench be interrupted, its servers must not outlive it.
  const killOnExit = () => {
    server.child.kill('SIGKILL');
    server.cleanup();
  };
  process.once('exit', killOnExit);
  server.child.once('exit', () => process.off('exit', killOnExit));
  return server;
}

async function main(): Promise<void> {
  const named = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  // `node-auth`: the empty polls of FOODTRUCK_NODE_AUTH=shared-key beside node-keys (embedded store).
  const nodeAuthOnly = named.length === 1 && named[0] === 'node-auth';
  const wanted = named.filter((name) => name !== 'node-auth');
  const drivers = benchDrivers();
  const unknown = wanted.filter((name) => !drivers.some((driver) => driver.name === name));
  if (unknown.length > 0) throw new Error(`unknown driver ${unknown.join(', ')}; there are: ${drivers.map((driver) => driver.name).join(', ')}`);
  console.log(`# Foodtruck bench, ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`);
  console.log(`load average (1, 5, 15 min): ${loadAverage()}`);
  console.log(`polls: ${USE_WRK ? 'wrk (1 thread)' : 'autocannon'}, ${CONNECTIONS} connections, ${POLL_SECONDS} s; repeated reads stop after their count or ${STEP_SECONDS} s\n`);

  if (nodeAuthOnly || named.length === 0 || named.includes('node-auth')) await benchNodeAuth();
  if (nodeAuthOnly) return;

  const bare = await measureBarePolls();
  console.log(`bare node:http 404 (${BARE_FLEET.toLocaleString('en')} distinct nodes)  ${formatPolls(bare)}`);

  for (const driver of drivers) {
    if (wanted.length > 0 && !wanted.includes(driver.name)) continue;
    const prepared = await driver.prepare();
    if ('unavailable' in prepared) {
      console.log(`\n## store: ${driver.name}: skipped (${prepared.unavailable})`);
      continue;
    }
    try {
      console.log(`\n## store: ${driver.name}: ${prepared.description}`);
      console.log(`load average at start: ${loadAverage()}`);
      if (!ONLY_DELIVERY) await benchStore(prepared.serverEnv, prepared.sizes);
      if (!ONLY_DELIVERY) await benchRateControl(prepared.serverEnv, rateControlNodes(driver.name));
      await benchDelivery(prepared.serverEnv, prepared.sizes, driver.name !== 'sqlite');
      console.log(`load average at end:   ${loadAverage()}`);
    } finally {
      await prepared.dispose();
    }
  }
}

/** Empty polls with the shared key and with node keys (each poll signed beforehand), one after the other. */
async function benchNodeAuth(): Promise<void> {
  const polls = Number(process.env.BENCH_NODE_AUTH_POLLS ?? 20_000);
  console.log(`## node authentication: ${polls.toLocaleString('en')} empty polls of 1,000 nodes, ${CONNECTIONS} keep-alive connections, embedded store`);
  console.log(`load average at start: ${loadAverage()}`);
  for (const figures of await benchNodeAuthPolls(startServer, { polls, connections: CONNECTIONS })) {
    console.log(
      `FOODTRUCK_NODE_AUTH=${figures.mode.padEnd(10)}  ${Math.round(figures.perSecond).toLocaleString('en')} polls/s, ` +
        `p50 ${figures.p50Ms.toFixed(1)} ms, p99 ${figures.p99Ms.toFixed(1)} ms` +
        (figures.unexpected > 0 ? `, ${figures.unexpected} answers other than 404` : ''),
    );
  }
  console.log(`load average at end:   ${loadAverage()}\n`);
}

async function benchStore(serverEnv: () => Record<string, string | undefined>, sizes: BenchSizes): Promise<void> {
  // Job creation: a fresh server (and store) per size, so its peak memory is that of the one request.
  for (const size of sizes.jobSizes) {
    const server = await startServer({ env: serverEnv() });
    try {
      const body = JSON.stringify(jobBodyFor(size, 'create', futureWindow()));
      const started = performance.now();
      const answer = await post(server, '/admin/jobs', body, server.adminKey);
      const elapsed = performance.now() - started;
      if (answer.status !== 200) throw new Error(`create ${size}: ${answer.status} ${answer.text}`);
      console.log(
        `create a job for ${size.toLocaleString('en').padStart(7)} nodes  ${elapsed.toFixed(0).padStart(6)} ms, ` +
          `server peak RSS ${peakRssMiB(server)} MiB, body ${(body.length / 2 ** 20).toFixed(1)} MiB`,
      );
    } finally {
      await server.stop();
      server.cleanup();
    }
  }

  const server = await startServer({ env: serverEnv() });
  try {
    // The fleet of the poll test: nodes with a task each whose window opens tomorrow, so every
    // poll finds real rows in the index and answers 404, the fleet's steady state.
    const fleet = sizes.fleet;
    const fleetJob = await post(server, '/admin/jobs', JSON.stringify(jobBodyFor(fleet, 'fleet', futureWindow())), server.adminKey);
    if (fleetJob.status !== 200) throw new Error(`fleet job: ${fleetJob.status} ${fleetJob.text}`);
    // Twice: the first round is most nodes' first poll to this process (each is written as a
    // check-in at the next flush); the second, the same nodes polling again, is a fleet's steady
    // state (a node that keeps polling is written once per FOODTRUCK_CHECK_IN_RESOLUTION).
    // Each round of this server follows a round of the bare server, kept running beside it: the
    // machine's pace drifts by several points over the minutes of a bench, and "% of bare" should
    // compare rounds taken together. Polling again runs POLL_ROUNDS pairs; the medians are compared.
    let sent = 0;
    const bareServer = await startBareServer();
    try {
      for (const round of ['first polls', 'polling again']) {
        const pairs: Array<{ bare: RoundFigures; ours: RoundFigures }> = [];
        for (let i = 0; i < (round === 'first polls' ? 1 : POLL_ROUNDS); i++) {
          const bareRound = await measureRound(bareServer, BARE_FLEET);
          const ours = await measureRound(server, fleet);
          pairs.push({ bare: bareRound, ours });
          sent += ours.polls.sent;
          // Polls the load generator gave up on at the end still run in the server: let them finish,
          // so that they do not slow what is measured next.
          const drain = await waitForPolls(server, sent);
          if (drain.unanswered > 0 || drain.ms > 1000) {
            console.log(
              `  the server finished the ${ours.polls.sent - ours.polls.answered} polls still running at the end ${(drain.ms / 1000).toFixed(1)} s later` +
                (drain.unanswered > 0 ? `; ${drain.unanswered} still unfinished after ${STEP_SECONDS} s` : ''),
            );
          }
        }
        console.log(`empty polls, ${round} (${fleet.toLocaleString('en')} distinct nodes, ${fleet.toLocaleString('en')} tasks stored)  ${formatPollRounds(pairs)}`);
      }
    } finally {
      await bareServer.stop();
    }

    // A running job with a mix of statuses, next to the fleet's tasks.
    const big = sizes.bigJob;
    const bigLabel = `${big.toLocaleString('en')}-node job`;
    const now = Date.now();
    const jobAnswer = await post(
      server,
      '/admin/jobs',
      JSON.stringify(jobBodyFor(big, 'big', { window_start: new Date(now - 60_000).toISOString(), window_end: new Date(now + 86_400_000).toISOString() })),
      server.adminKey,
    );
    if (jobAnswer.status !== 200) throw new Error(`${bigLabel}: ${jobAnswer.status} ${jobAnswer.text}`);
    const jobId = (JSON.parse(jobAnswer.text) as { id: string }).id;
    const reports = await claimAndReport(server, jobId, Math.min(sizes.reports, big));
    console.log(
      `claim + report, ${bigLabel}  ${reports.count.toLocaleString('en')} tasks (one in ten failed) in ${(reports.ms / 1000).toFixed(1)} s, ` +
        `${(reports.ms / Math.max(reports.count, 1)).toFixed(0)} ms per claim and report`,
    );
    const summary = await timeGets(server, `/admin/jobs/${jobId}/summary`, 20);
    console.log(`summary of a ${bigLabel}  ${formatTimes(summary)}`);
    const statuses = await timeGets(server, `/admin/jobs/${jobId}?fetchStatuses=true`, 5);
    console.log(`all statuses of a ${bigLabel}  ${formatTimes(statuses)}, ${(statuses.bytes / 2 ** 20).toFixed(1)} MiB`);
    const paged = await timeGets(server, `/admin/jobs/${jobId}?fetchStatuses=true&status=failed&limit=100`, 20);
    console.log(`one page of 100 failed, ${bigLabel}  ${formatTimes(paged)}`);
    console.log(`server peak RSS over the run (${(fleet + big).toLocaleString('en')} tasks)  ${peakRssMiB(server)} MiB`);
  } finally {
    await server.stop();
    server.cleanup();
  }
}

/**
 * Issue 10: from a job's 200 to each node receiving its task, with the fleet holding long polls
 * and then polling every 5 s; on a shared database across two server processes, the fleet split
 * between them and the job created through the first. Then what such a fleet does next: every node
 * claims and reports at once. Then what holding many polls costs one
 * process (the embedded store only: it does not depend on the store), and what holding as many
 * requests costs a bare node:http server, Node's own share of it.
 */
async function benchDelivery(serverEnv: () => Record<string, string | undefined>, sizes: BenchSizes, twoProcesses: boolean): Promise<void> {
  const env = { ...serverEnv(), FOODTRUCK_MAX_HELD_POLLS: '1000000' };
  const keys = { adminKey: `bench-admin-${process.pid}-key`, nodesKey: `bench-nodes-${process.pid}-key` };
  const servers: ServerProcess[] = [];
  const where = twoProcesses ? 'two server processes, one database, the job created through one' : 'one server process';
  try {
    for (let i = 0; i < (twoProcesses ? 2 : 1); i++) servers.push(await startServer({ env, ...keys }));
    const size = sizes.handOutFleet;
    const format = (figures: HandOutFigures) =>
      `p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms (${figures.received.toLocaleString('en')} of ${figures.nodes.toLocaleString('en')} received` +
      `${figures.errors > 0 ? `, ${figures.errors} poll errors, first: ${figures.firstErrors.join('; ')}` : ''})`;
    let logsFrom = servers.map(logSize);
    const held = await measureHandOut(servers, { prefix: 'lp-', count: size, mode: 'hold', timeoutMs: 120_000 });
    console.log(`submit to hand-out, ${size.toLocaleString('en')} nodes holding long polls, ${where}  ${format(held)}`);
    printLoggedProblems(servers, logsFrom);
    logsFrom = servers.map(logSize);
    const interval = await measureHandOut(servers, { prefix: 'iv-', count: size, mode: 'interval', intervalMs: 5_000, timeoutMs: 60_000 });
    console.log(`submit to hand-out, ${size.toLocaleString('en')} nodes polling every 5 s, ${where}  ${format(interval)}`);
    printLoggedProblems(servers, logsFrom);
    logsFrom = servers.map(logSize);
    for (const stage of await measureReportBurst(servers, size, 'rb-')) {
      const answers = Object.entries(stage.answers).map(([status, n]) => `${n.toLocaleString('en')} x ${status === '0' ? 'no answer' : status}`);
      console.log(
        `a whole job at once, ${size.toLocaleString('en')} nodes, ${where}: ${stage.what}  ${stage.ms} ms (${answers.join(', ')})` +
          `${stage.firstProblem ? `, first problem: ${stage.firstProblem}` : ''}`,
      );
    }
    printLoggedProblems(servers, logsFrom);
  } finally {
    for (const server of servers) {
      await server.stop();
      server.cleanup();
    }
  }

  if (sizes.heldFleet === 0) return;
  // One socket per held poll in the server: it cannot hold more than its open-file limit allows.
  const limit = openFileLimit();
  const count = Math.min(sizes.heldFleet, limit - 500);
  const server = await startServer({ env, ...keys });
  try {
    const figures = await measureHeldConnections(server, count, 10);
    const perPollKiB = printHeld('held long polls on one server process', figures, 'a held poll');
    if (count < sizes.heldFleet) {
      console.log(
        `  (${sizes.heldFleet.toLocaleString('en')} asked, but this process may open only ${limit.toLocaleString('en')} files and cannot raise that; ` +
          `at ${perPollKiB.toFixed(1)} KiB each, ${sizes.heldFleet.toLocaleString('en')} would take about ` +
          `${(figures.baselineRssMiB + (perPollKiB * sizes.heldFleet) / 1024).toFixed(0)} MiB)`,
      );
    }
  } finally {
    await server.stop();
    server.cleanup();
  }
  // Beside it, what Node's own HTTP server costs per held request, with nothing of ours.
  const bare = await startBareServer();
  try {
    printHeld('bare node:http holding the same', await measureHeldConnections(bare, count, 10, bareHeldCount), 'a held request');
  } finally {
    await bare.stop();
  }
}

/** Prints a held-poll line; answers the RSS each held poll added (KiB). */
function printHeld(label: string, figures: HeldFigures, each: string): number {
  const perPollKiB = ((figures.rssMiB - figures.baselineRssMiB) * 1024) / Math.max(figures.held, 1);
  console.log(
    `${label}  ${figures.held.toLocaleString('en')} held: RSS ${figures.rssMiB.toFixed(0)} MiB ` +
      `(${figures.baselineRssMiB.toFixed(0)} MiB before, ${perPollKiB.toFixed(1)} KiB ${each}), ` +
      `idle CPU ${figures.idleCpuPercent.toFixed(1)}% of a core over ${figures.seconds} s`,
  );
  return perPollKiB;
}

function logSize(server: ServerProcess): number {
  const file = logFiles.get(server);
  return file ? statSync(file).size : 0;
}

/**
 * The servers' warning and error lines written since `from` (each server's log size then), by
 * message and cause, most frequent first: what the fleet's error answers were about.
 */
function printLoggedProblems(servers: ServerProcess[], from: number[]): void {
  const counts = new Map<string, number>();
  servers.forEach((server, i) => {
    const file = logFiles.get(server);
    if (!file) return;
    const text = readFileSync(file).subarray(from[i] ?? 0).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      let entry: { level?: number; msg?: string; err?: { message?: string }; res?: { statusCode?: number } };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if ((entry.level ?? 0) < 40) continue;
      const what = `${entry.msg ?? '?'}${entry.err?.message ? `: ${entry.err.message.slice(0, 200)}` : ''}`;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
  });
  const sorted = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 6);
  for (const [what, count] of sorted) console.log(`  server log, ${count} x: ${what}`);
}

function futureWindow() {
  const tomorrow = Date.now() + 86_400_000;
  return { window_start: new Date(tomorrow).toISOString(), window_end: new Date(tomorrow + 3_600_000).toISOString() };
}

function jobBodyFor(size: number, prefix: string, window: { window_start: string; window_end: string }) {
  return {
    task: { ...window, provider: 'infra', spec: { url: 'https://example.com/policy.tar.gz' } },
    nodes: Array.from({ length: size }, (_, i) => ({ org: 'bench', name: `${prefix}-${i}` })),
  };
}

/** Claims and reports tasks of the job one node after the other, up to `count` or STEP_SECONDS. */
async function claimAndReport(server: ServerProcess, jobId: string, count: number): Promise<{ count: number; ms: number }> {
  const started = performance.now();
  let done = 0;
  while (done < count && performance.now() - started < STEP_SECONDS * 1000) {
    const name = `big-${done}`;
    const failed = done % 10 === 0;
    const claim = await post(server, `/organizations/bench/foodtruck/nodes/${name}/tasks/next`, '', server.nodesKey);
    if (claim.status !== 200) throw new Error(`claim for ${name}: ${claim.status} ${claim.text}`);
    const report = await post(
      server,
      `/organizations/bench/foodtruck/nodes/${name}/tasks/status`,
      JSON.stringify({ job_id: jobId, status: failed ? 'failed' : 'success', result: { exit_code: failed ? 1 : 0, reason: failed ? 'exit error' : '', output: 'ok\n'.repeat(20) } }),
      server.nodesKey,
    );
    if (report.status >= 300) throw new Error(`report for ${name}: ${report.status} ${report.text}`);
    done++;
  }
  return { count: done, ms: performance.now() - started };
}

/** Waits, up to STEP_SECONDS, until the server has answered `sent` polls, from its own metrics. */
async function waitForPolls(server: ServerProcess, sent: number): Promise<{ ms: number; unanswered: number }> {
  const started = performance.now();
  let answered: number;
  for (;;) {
    const response = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    answered = ['foodtruck_empty_polls_total', 'foodtruck_tasks_handed_out_total']
      .map((name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0))
      .reduce((a, b) => a + b, 0);
    if (answered >= sent || performance.now() - started > STEP_SECONDS * 1000) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { ms: performance.now() - started, unanswered: Math.max(sent - answered, 0) };
}

async function measurePolls(url: string, nodesKey: string, fleet: number): Promise<PollFigures> {
  if (USE_WRK) {
    const figures = await wrkPolls({ url, nodesKey, fleet, connections: CONNECTIONS, seconds: POLL_SECONDS, scriptDir: logs.dir });
    return {
      requestsPerSecond: figures.requestsPerSecond,
      p50Ms: figures.p50Ms,
      p99Ms: figures.p99Ms,
      errors: figures.errors,
      unexpected: figures.answered - figures.notFound,
      // wrk does not count what it sent; at most one poll per connection was left unanswered.
      sent: figures.answered,
      answered: figures.answered,
      seconds: POLL_SECONDS,
    };
  }
  let next = 0;
  let sent = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: POLL_SECONDS,
    // A poll slower than this counts as an error (a timeout), not as a figure.
    timeout: 30,
    headers: { authorization: `Bearer ${nodesKey}` },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          // Every poll from another node of the fleet, as 100,000 agents would.
          next = (next + 7919) % fleet;
          sent++;
          return { ...request, path: `/organizations/bench/foodtruck/nodes/fleet-${next}/tasks/next` };
        },
      },
    ],
  });
  const notFound = result.statusCodeStats['404']?.count ?? 0;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    unexpected: result.requests.total - notFound,
    sent,
    answered: result.requests.total,
    seconds: POLL_SECONDS,
  };
}

async function measureBarePolls(): Promise<PollFigures> {
  const bare = await startBareServer();
  try {
    return await measurePolls(bare.url, bare.nodesKey, BARE_FLEET);
  } finally {
    await bare.stop();
  }
}

interface RoundFigures {
  polls: PollFigures;
  /** The server process's CPU time (all its threads) over the round, per answered poll. */
  cpuMicrosecondsPerPoll: number;
}

/** One round of empty polls against a server process, with the CPU time it spent on them. */
async function measureRound(server: { url: string; nodesKey: string; child: ChildProcess }, fleet: number): Promise<RoundFigures> {
  const cpuBefore = cpuMs(server.child);
  const polls = await measurePolls(server.url, server.nodesKey, fleet);
  return { polls, cpuMicrosecondsPerPoll: ((cpuMs(server.child) - cpuBefore) * 1000) / Math.max(polls.answered, 1) };
}

/**
 * This server's rounds beside the bare server's: each figure the median of its rounds. "Of bare"
 * by throughput, and by CPU time per poll (the bare server's over this one's: the share of the bare
 * server's throughput it would reach on the same CPU, which the load generator's share of the
 * machine disturbs less).
 */
function formatPollRounds(pairs: Array<{ bare: RoundFigures; ours: RoundFigures }>): string {
  const ours = pairs.map((pair) => pair.ours);
  const bare = pairs.map((pair) => pair.bare);
  const oursRate = median(ours.map((round) => round.polls.requestsPerSecond));
  const bareRate = median(bare.map((round) => round.polls.requestsPerSecond));
  const oursCpu = median(ours.map((round) => round.cpuMicrosecondsPerPoll));
  const bareCpu = median(bare.map((round) => round.cpuMicrosecondsPerPoll));
  const rounds = pairs.length === 1 ? 'one round' : `median of ${pairs.length} rounds (${ours.map((round) => round.polls.requestsPerSecond.toFixed(0)).join(', ')} req/s)`;
  const last = ours.at(-1) as RoundFigures;
  const ratio = (part: number, whole: number) => ((part / whole) * 100).toFixed(part < whole / 100 ? 2 : 0);
  return (
    `${formatPolls({ ...last.polls, requestsPerSecond: oursRate })}, ${rounds}\n` +
    `  = ${ratio(oursRate, bareRate)}% of bare by throughput (bare ${bareRate.toFixed(0)} req/s in the same rounds), ` +
    `${ratio(bareCpu, oursCpu)}% by CPU (${oursCpu.toFixed(1)} µs per poll, bare ${bareCpu.toFixed(1)} µs)`
  );
}

function formatPolls(figures: PollFigures): string {
  const problems = figures.errors + figures.unexpected > 0 ? `, ${figures.errors} errors, ${figures.unexpected} not 404` : '';
  if (figures.answered === 0) return `no poll answered in ${figures.seconds} s (${figures.sent} sent)${problems}`;
  return (
    `${figures.requestsPerSecond.toFixed(0).padStart(6)} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms ` +
    `(${figures.answered.toLocaleString('en')} answered in ${figures.seconds} s)${problems}`
  );
}

async function post(server: ServerProcess, path: string, body: string, key: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body || undefined,
  });
  return { status: response.status, text: await response.text() };
}

/** GETs the path up to `runs` times, one after the other, stopping early after STEP_SECONDS. */
async function timeGets(server: ServerProcess, path: string, runs: number) {
  const times: number[] = [];
  let bytes = 0;
  const stepStarted = performance.now();
  for (let i = 0; i < runs && (i === 0 || performance.now() - stepStarted < STEP_SECONDS * 1000); i++) {
    const started = performance.now();
    const response = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${server.adminKey}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const buffer = await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    bytes = buffer.byteLength;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] as number, maxMs: times[times.length - 1] as number, runs: times.length, bytes };
}

function formatTimes(times: { medianMs: number; maxMs: number; runs: number }): string {
  const ms = (value: number) => (value < 100 ? value.toFixed(1) : value.toFixed(0));
  return `median ${ms(times.medianMs)} ms, max ${ms(times.maxMs)} ms (${times.runs} run${times.runs === 1 ? '' : 's'})`;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(', ');
}

function peakRssMiB(server: ServerProcess): string {
  try {
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
    return (kib / 1024).toFixed(0);
  } catch {
    return '?';
  }
}

// Interrupted, exit properly: servers and databases are stopped, and temporary files removed, on 'exit'.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
process.once('exit', () => logs.remove());

try {
  await main();
} finally {
  logs.remove();
}
