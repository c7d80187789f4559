// `node dist/bench/poll-ab.js BEFORE_CHECKOUT [AFTER_CHECKOUT]`: compares the empty-poll cost of
// two builds on one machine. Both servers run side by side with the same 100,000-node fleet and
// are loaded in turn, in alternating order, round after round; the figure that matters is the
// server's CPU time per poll (its flush of check-ins included), which a busy shared machine
// disturbs far less than requests per second. AFTER_CHECKOUT defaults to this checkout.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startServer, type ServerProcess } from '../test/support/server-process.js';
import { makeTempDir } from '../test/support/temp-dir.js';

const FLEET_SIZE = 100_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const POLLS_PER_ROUND = Number(process.env.BENCH_POLLS ?? 30_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** BENCH_SECONDS=10 polls for that long per round instead of a fixed number of polls, as `npm run bench` does. */
const SECONDS = process.env.BENCH_SECONDS === undefined ? undefined : Number(process.env.BENCH_SECONDS);
/** Longer than the check-in flush interval, so each round's flush is counted in its own round. */
const SETTLE_MS = 6_000;

interface Round {
  requestsPerSecond: number;
  cpuMicrosecondsPerPoll: number;
}

async function main(): Promise<void> {
  const [before, after = fileURLToPath(new URL('../..', import.meta.url))] = process.argv.slice(2);
  if (!before) throw new Error('usage: node dist/bench/poll-ab.js BEFORE_CHECKOUT [AFTER_CHECKOUT] (both built)');
  const logs = makeTempDir('foodtruck-poll-ab-');
  const builds = { before: path.resolve(before), after: path.resolve(after) };
  const servers: Record<string, ServerProcess> = {};
  try {
    for (const [name, checkout] of Object.entries(builds)) {
      servers[name] = await startServer({ serverBin: path.join(checkout, 'bin/foodtruck-server'), logFile: `${logs.dir}/${name}.log` });
      await createFleet(servers[name] as ServerProcess);
    }
    const perRound = SECONDS === undefined ? `${POLLS_PER_ROUND} polls` : `${SECONDS} s of polls`;
    console.log(`poll A/B: ${ROUNDS} rounds of ${perRound}, ${CONNECTIONS} connections, ${FLEET_SIZE} distinct nodes`);
    console.log(`before: ${builds.before}\nafter:  ${builds.after}`);
    const rounds: Record<string, Round[]> = { before: [], after: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const name of i % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
        rounds[name]?.push(await measureRound(servers[name] as ServerProcess));
      }
      const [b, a] = [rounds.before?.at(-1), rounds.after?.at(-1)] as [Round, Round];
      console.log(
        `round ${i + 1}: before ${b.requestsPerSecond.toFixed(0)} req/s, ${b.cpuMicrosecondsPerPoll.toFixed(0)} µs CPU/poll | ` +
          `after ${a.requestsPerSecond.toFixed(0)} req/s, ${a.cpuMicrosecondsPerPoll.toFixed(0)} µs CPU/poll`,
      );
    }
    const figure = (name: string, key: keyof Round) => median((rounds[name] ?? []).map((round) => round[key]));
    const cpuBefore = figure('before', 'cpuMicrosecondsPerPoll');
    const cpuAfter = figure('after', 'cpuMicrosecondsPerPoll');
    const rpsBefore = figure('before', 'requestsPerSecond');
    const rpsAfter = figure('after', 'requestsPerSecond');
    console.log(`median CPU per poll: before ${cpuBefore.toFixed(1)} µs, after ${cpuAfter.toFixed(1)} µs (${((cpuAfter / cpuBefore) * 100).toFixed(1)}%)`);
    console.log(`median throughput:   before ${rpsBefore.toFixed(0)} req/s, after ${rpsAfter.toFixed(0)} req/s (${((rpsAfter / rpsBefore) * 100).toFixed(1)}%)`);
  } finally {
    for (const server of Object.values(servers)) {
      await server.stop();
      server.cleanup();
    }
    logs.remove();
  }
}

async function createFleet(server: ServerProcess): Promise<void> {
  const tomorrow = Date.now() + 86_400_000;
  const body = {
    task: { window_start: new Date(tomorrow).toISOString(), window_end: new Date(tomorrow + 3_600_000).toISOString(), provider: 'infra', spec: {} },
    nodes: Array.from({ length: FLEET_SIZE }, (_, i) => ({ org: 'bench', name: `fleet-${i}` })),
  };
  const answer = await fetch(`${server.url}/admin/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (answer.status !== 200) throw new Error(`fleet job: ${answer.status} ${await answer.text()}`);
}

async function measureRound(server: ServerProcess): Promise<Round> {
  let next = Math.floor(Math.random() * FLEET_SIZE);
  const cpuBefore = cpuMilliseconds(server);
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    ...(SECONDS === undefined ? { amount: POLLS_PER_ROUND } : { duration: SECONDS }),
    headers: { authorization: `Bearer ${server.nodesKey}` },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          next = (next + 7919) % FLEET_SIZE;
          return { ...request, path: `/organizations/bench/foodtruck/nodes/fleet-${next}/tasks/next` };
        },
      },
    ],
  });
  await sleep(SETTLE_MS);
  return {
    requestsPerSecond: result.requests.total / (result.duration || 1),
    cpuMicrosecondsPerPoll: ((cpuMilliseconds(server) - cpuBefore) * 1000) / Math.max(result.requests.total, 1),
  };
}

/** User plus system CPU time the server process has used, from /proc (Linux). */
function cpuMilliseconds(server: ServerProcess): number {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return ((sorted[(sorted.length - 1) >> 1] as number) + (sorted[sorted.length >> 1] as number)) / 2;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
