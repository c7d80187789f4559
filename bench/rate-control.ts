// Issue 8's benchmark: claims per second with and without rate control. Nodes that poll as fast as
// they are answered take a job's tasks and report each one `success` at once; each variant is the
// same job with other limits, on a server of its own. Numbers, not assertions: see
// docs/benchmarks.md. Part of `npm run bench`; alone: `node dist/bench/rate-control.js [sqlite|mongodb]`.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { startServer, type ServerProcess } from '../test/support/server-process.js';
import { benchDrivers } from './drivers.js';
import { wrkAvailable, wrkPolls } from './wrk-polls.js';

/** Nodes polling at once, each as soon as its previous poll was answered. */
const POLLERS = Number(process.env.BENCH_RATE_CONTROL_POLLERS ?? 20);
/** A variant stops after all its tasks were claimed and reported, or after this long. */
const VARIANT_SECONDS = Number(process.env.BENCH_RATE_CONTROL_SECONDS ?? 60);
/** A node turned away (404: its task waits for a slot) polls again after this long. */
const RETRY_MS = 10;

interface Variant {
  label: string;
  limits: { max_concurrency?: number | string; max_errors?: number | string };
}

const VARIANTS: Variant[] = [
  { label: 'no rate control', limits: {} },
  { label: `max_concurrency ${POLLERS} (never reached: the cost of slots alone)`, limits: { max_concurrency: POLLERS } },
  { label: `max_concurrency ${POLLERS} + max_errors "10%" (no failures: the cost of counting them)`, limits: { max_concurrency: POLLERS, max_errors: '10%' } },
  { label: `max_errors "10%" alone`, limits: { max_errors: '10%' } },
  { label: `max_concurrency 5 with ${POLLERS} pollers (throttled: nodes wait for slots)`, limits: { max_concurrency: 5 } },
];

export interface RateControlFigures {
  claimed: number;
  seconds: number;
  claimsPerSecond: number;
  turnedAway: number;
}

/** The nodes of each driver's job, overridden by BENCH_RATE_CONTROL_NODES. */
export function rateControlNodes(driver: string): number {
  const given = Number(process.env.BENCH_RATE_CONTROL_NODES);
  if (Number.isSafeInteger(given) && given > 0) return given;
  // FerretDB scans whole collections for most queries: far fewer tasks than SQLite in a minute.
  return driver === 'sqlite' ? 3_000 : 300;
}

export async function benchRateControl(serverEnv: () => Record<string, string | undefined>, nodes: number, print = console.log): Promise<void> {
  print(`claims per second, ${nodes.toLocaleString('en')}-node job, ${POLLERS} nodes polling at once, each claim followed by its success report:`);
  for (const [index, variant] of VARIANTS.entries()) {
    const server = await startServer({ env: serverEnv() });
    try {
      const figures = await claimJob(server, `rc${index}`, nodes, variant.limits);
      const away = figures.turnedAway > 0 ? `, ${figures.turnedAway.toLocaleString('en')} polls turned away (404)` : '';
      print(
        `  ${variant.label}  ${figures.claimsPerSecond.toFixed(0).padStart(5)} claims/s ` +
          `(${figures.claimed.toLocaleString('en')} in ${figures.seconds.toFixed(1)} s${away})`,
      );
    } finally {
      await server.stop();
      server.cleanup();
    }
  }
}

/** Nodes of the empty-poll comparison, and how long each side is polled. */
const EMPTY_POLL_FLEET = Number(process.env.BENCH_RATE_CONTROL_FLEET ?? 1_000);
const EMPTY_POLL_SECONDS = Number(process.env.BENCH_RATE_CONTROL_POLL_SECONDS ?? 10);

/**
 * Issue 8 asks that rate control leave the empty poll's cost unchanged. One fleet is polled by wrk
 * twice on one server: with nothing queued (the fleet's steady state), then with a task each in a
 * job whose only slot another node holds (`max_concurrency: 1`), so that every poll is turned away
 * with the same 404. The first never reaches the store; the second must read it.
 */
export async function benchRateControlEmptyPolls(serverEnv: () => Record<string, string | undefined>, print = console.log): Promise<void> {
  if (!wrkAvailable()) {
    print('empty polls beside a full rate-controlled job: skipped (no wrk)');
    return;
  }
  const server = await startServer({ env: serverEnv() });
  try {
    const poll = () =>
      wrkPolls({ url: server.url, nodesKey: server.nodesKey, fleet: EMPTY_POLL_FLEET, connections: 50, seconds: EMPTY_POLL_SECONDS, scriptDir: server.dataDir });
    // First with nothing queued for them: the server knows these nodes have nothing due.
    const idle = await poll();
    print(
      `  ${EMPTY_POLL_FLEET.toLocaleString('en')} nodes with nothing queued: ` +
        `${idle.requestsPerSecond.toFixed(0)} polls/s, p50 ${idle.p50Ms} ms, p99 ${idle.p99Ms} ms, ${idle.notFound} answered 404`,
    );
    const now = Date.now();
    // wrk's script polls bench/fleet-N; the slot holder is a node outside that fleet.
    const fleet = Array.from({ length: EMPTY_POLL_FLEET }, (_, i) => ({ org: 'bench', name: `fleet-${i}` }));
    const created = await post(server, '/admin/jobs', server.adminKey, {
      task: {
        window_start: new Date(now - 60_000).toISOString(),
        window_end: new Date(now + 86_400_000).toISOString(),
        provider: 'infra',
        spec: {},
      },
      nodes: [{ org: 'bench', name: 'slot-holder' }, ...fleet],
      max_concurrency: 1,
    });
    if (created.status !== 200) throw new Error(`create: ${created.status} ${created.text}`);
    const held = await post(server, '/organizations/bench/foodtruck/nodes/slot-holder/tasks/next', server.nodesKey);
    if (held.status !== 200) throw new Error(`the slot holder's claim: ${held.status} ${held.text}`);
    const waiting = await poll();
    print(
      `  the same nodes, each with a task waiting for the job's only slot (max_concurrency 1, held): ` +
        `${waiting.requestsPerSecond.toFixed(0)} polls/s, p50 ${waiting.p50Ms} ms, p99 ${waiting.p99Ms} ms, ${waiting.notFound} answered 404`,
    );
  } finally {
    await server.stop();
    server.cleanup();
  }
}

async function claimJob(server: ServerProcess, prefix: string, count: number, limits: Variant['limits']): Promise<RateControlFigures> {
  const now = Date.now();
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const created = await post(server, '/admin/jobs', server.adminKey, {
    task: {
      window_start: new Date(now - 60_000).toISOString(),
      window_end: new Date(now + 86_400_000).toISOString(),
      provider: 'infra',
      spec: { url: 'https://example.com/policy.tar.gz' },
    },
    nodes: names.map((name) => ({ org: 'bench', name })),
    ...limits,
  });
  if (created.status !== 200) throw new Error(`create: ${created.status} ${created.text}`);
  const jobId = (JSON.parse(created.text) as { id: string }).id;

  const waiting = [...names];
  let claimed = 0;
  let turnedAway = 0;
  const started = performance.now();
  const deadline = started + VARIANT_SECONDS * 1000;
  const poller = async () => {
    while (waiting.length > 0 && performance.now() < deadline) {
      const name = waiting.shift() as string;
      const path = `/organizations/bench/foodtruck/nodes/${name}/tasks`;
      const claim = await post(server, `${path}/next`, server.nodesKey);
      if (claim.status === 404) {
        turnedAway++;
        waiting.push(name);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      if (claim.status !== 200) throw new Error(`claim for ${name}: ${claim.status} ${claim.text}`);
      const report = await post(server, `${path}/status`, server.nodesKey, { job_id: jobId, status: 'success', result: { exit_code: 0, reason: '' } });
      if (report.status !== 200) throw new Error(`report for ${name}: ${report.status} ${report.text}`);
      claimed++;
    }
  };
  await Promise.all(Array.from({ length: POLLERS }, poller));
  const seconds = (performance.now() - started) / 1000;
  return { claimed, seconds, claimsPerSecond: claimed / seconds, turnedAway };
}

async function post(server: ServerProcess, path: string, key: string, json?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(300_000),
  });
  return { status: response.status, text: await response.text() };
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  console.log(`# Foodtruck rate-control bench, ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`);
  for (const driver of benchDrivers()) {
    if (wanted.length > 0 && !wanted.includes(driver.name)) continue;
    const prepared = await driver.prepare();
    if ('unavailable' in prepared) {
      console.log(`\n## store: ${driver.name}: skipped (${prepared.unavailable})`);
      continue;
    }
    try {
      console.log(`\n## store: ${driver.name}: ${prepared.description}`);
      console.log(`load average at start: ${loadAverage()}`);
      await benchRateControl(prepared.serverEnv, rateControlNodes(driver.name));
      await benchRateControlEmptyPolls(prepared.serverEnv);
      console.log(`load average at end:   ${loadAverage()}`);
    } finally {
      await prepared.dispose();
    }
  }
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(', ');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
