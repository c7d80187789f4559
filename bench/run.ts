// `npm run bench`: prints the figures issue by issue asks for, for each storage driver, next to a
// bare node:http server measured in the same run. Numbers, not assertions: see docs/benchmarks.md.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startServer as startTestServer, type ServerProcess, type ServerProcessOptions } from '../test/support/server-process.js';
import { makeTempDir } from '../test/support/temp-dir.js';
import { benchDrivers } from './drivers.js';

const FLEET_SIZE = 100_000;
const POLL_SECONDS = Number(process.env.BENCH_POLL_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

interface PollFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  unexpected: number;
}

const logs = makeTempDir('foodtruck-bench-logs-');
let serverCount = 0;

/** The real server, logging at info to a file as it would in production, not into this process. */
function startServer(options: ServerProcessOptions): Promise<ServerProcess> {
  return startTestServer({ ...options, logFile: `${logs.dir}/server-${++serverCount}.log` });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  console.log(`# Foodtruck bench, ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`);
  console.log(`polls: autocannon, ${CONNECTIONS} connections, ${POLL_SECONDS} s, ${FLEET_SIZE.toLocaleString('en')} distinct nodes\n`);

  const bare = await measureBarePolls();
  console.log(`bare node:http 404            ${formatPolls(bare)}`);

  for (const driver of benchDrivers()) {
    if (wanted.length > 0 && !wanted.includes(driver.name)) continue;
    const prepared = await driver.prepare();
    if (!prepared) {
      console.log(`\n## ${driver.name}: skipped (${driver.unavailableReason})`);
      continue;
    }
    try {
      console.log(`\n## store: ${driver.name}`);
      await benchStore(prepared.env, bare);
    } finally {
      await prepared.dispose();
    }
  }
}

async function benchStore(env: Record<string, string | undefined>, bare: PollFigures): Promise<void> {
  // Job creation: a fresh server per size, so its peak memory is that of the one request.
  for (const size of [10_000, 100_000]) {
    const server = await startServer({ env });
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

  const server = await startServer({ env });
  try {
    // The fleet of the poll test: 100,000 nodes with a task each whose window opens tomorrow, so
    // every poll finds real rows in the index and answers 404, the fleet's steady state.
    const fleetJob = await post(server, '/admin/jobs', JSON.stringify(jobBodyFor(FLEET_SIZE, 'fleet', futureWindow())), server.adminKey);
    if (fleetJob.status !== 200) throw new Error(`fleet job: ${fleetJob.status} ${fleetJob.text}`);
    const polls = await measurePolls(server.url, server.nodesKey);
    console.log(`empty polls                   ${formatPolls(polls)}  = ${((polls.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(0)}% of bare`);

    // A running 100,000-node job with a mix of statuses.
    const now = Date.now();
    const jobAnswer = await post(
      server,
      '/admin/jobs',
      JSON.stringify(jobBodyFor(FLEET_SIZE, 'big', { window_start: new Date(now - 60_000).toISOString(), window_end: new Date(now + 86_400_000).toISOString() })),
      server.adminKey,
    );
    const jobId = (JSON.parse(jobAnswer.text) as { id: string }).id;
    for (let i = 0; i < 1000; i++) {
      const name = `big-${i}`;
      await post(server, `/organizations/bench/foodtruck/nodes/${name}/tasks/next`, '', server.nodesKey);
      await post(server, `/organizations/bench/foodtruck/nodes/${name}/tasks/status`, JSON.stringify({ job_id: jobId, status: i % 10 === 0 ? 'failed' : 'success', result: { exit_code: i % 10 === 0 ? 1 : 0, reason: i % 10 === 0 ? 'exit error' : '', output: 'ok\n'.repeat(20) } }), server.nodesKey);
    }
    const summary = await timeGets(server, `/admin/jobs/${jobId}/summary`, 20);
    console.log(`summary of a 100,000-node job  median ${summary.medianMs.toFixed(1)} ms, max ${summary.maxMs.toFixed(1)} ms (${summary.runs} runs)`);
    const statuses = await timeGets(server, `/admin/jobs/${jobId}?fetchStatuses=true`, 5);
    console.log(`all statuses of that job       median ${statuses.medianMs.toFixed(0)} ms, max ${statuses.maxMs.toFixed(0)} ms (${statuses.runs} runs), ${(statuses.bytes / 2 ** 20).toFixed(1)} MiB`);
    const paged = await timeGets(server, `/admin/jobs/${jobId}?fetchStatuses=true&status=failed&limit=100`, 20);
    console.log(`one page of 100 failed         median ${paged.medianMs.toFixed(1)} ms (${paged.runs} runs)`);
    console.log(`server peak RSS over the run   ${peakRssMiB(server)} MiB`);
  } finally {
    await server.stop();
    server.cleanup();
  }
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

async function measurePolls(url: string, nodesKey: string): Promise<PollFigures> {
  let next = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: POLL_SECONDS,
    headers: { authorization: `Bearer ${nodesKey}` },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          // Every poll from another node of the fleet, as 100,000 agents would.
          next = (next + 7919) % FLEET_SIZE;
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
  };
}

async function measureBarePolls(): Promise<PollFigures> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./bare-server.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
  const port = Number(/listening on (\d+)/.exec(line)?.[1]);
  try {
    return await measurePolls(`http://127.0.0.1:${port}`, 'unused');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

function formatPolls(figures: PollFigures): string {
  const problems = figures.errors + figures.unexpected > 0 ? `, ${figures.errors} errors, ${figures.unexpected} not 404` : '';
  return `${figures.requestsPerSecond.toFixed(0).padStart(6)} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms${problems}`;
}

async function post(server: ServerProcess, path: string, body: string, key: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body || undefined,
  });
  return { status: response.status, text: await response.text() };
}

async function timeGets(server: ServerProcess, path: string, runs: number) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    const buffer = await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    bytes = buffer.byteLength;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] as number, maxMs: times[times.length - 1] as number, runs, bytes };
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

try {
  await main();
} finally {
  logs.remove();
}
