// `node dist/bench/poll-ab.js [OTHER_CHECKOUT...]`: the empty-poll cost of this build beside the
// bare node:http server (bench/bare-server.ts), and beside other builds when named (each built,
// named by its directory). All
// servers run side by side, the built ones with the same 100,000-node fleet (each node with a task
// whose window opens tomorrow), and are loaded in turn, in rotating order, round after round. The
// figure that matters is each server's CPU time per poll (its flush of check-ins included), which
// a busy shared machine disturbs far less than requests per second; "of bare" is the bare server's
// CPU per poll over this one's, the share of the bare server's throughput it would reach on the
// same CPU. Polls come from wrk when it is installed (a C load generator leaves the server more of
// the machine), from autocannon otherwise.

import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startServer, type ServerProcess } from '../test/support/server-process.js';
import { makeTempDir } from '../test/support/temp-dir.js';
import { startBareServer } from './bare-process.js';
import { cpuMs } from './delivery.js';
import { median } from './median.js';
import { wrkAvailable, wrkPolls } from './wrk-polls.js';

const FLEET_SIZE = 100_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** Longer than the check-in flush interval, so each round's flush is counted in its own round. */
const SETTLE_MS = 6_000;
const USE_WRK = process.env.BENCH_LOAD_GENERATOR !== 'autocannon' && wrkAvailable();

interface Round {
  requestsPerSecond: number;
  cpuMicrosecondsPerPoll: number;
}

interface Contender {
  name: string;
  url: string;
  nodesKey: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

async function main(): Promise<void> {
  const others = process.argv.slice(2).map((checkout): [string, string] => [path.basename(path.resolve(checkout)), path.resolve(checkout)]);
  const logs = makeTempDir('foodtruck-poll-ab-');
  const builds: Array<[string, string]> = [...others, ['this build', fileURLToPath(new URL('../..', import.meta.url))]];
  const contenders: Contender[] = [];
  try {
    contenders.push(await startBare());
    for (const [name, checkout] of builds) {
      const server = await startServer({ serverBin: path.join(checkout, 'bin/foodtruck-server'), logFile: `${logs.dir}/${contenders.length}.log` });
      contenders.push(builtContender(name, server));
      await createFleet(server);
    }
    console.log(`empty polls: ${ROUNDS} rounds of ${SECONDS} s, ${USE_WRK ? 'wrk (1 thread)' : 'autocannon'}, ${CONNECTIONS} connections, ${FLEET_SIZE.toLocaleString('en')} distinct nodes`);
    for (const [name, checkout] of builds) console.log(`${name}: ${checkout}`);
    const rounds = new Map<string, Round[]>(contenders.map((contender) => [contender.name, []]));
    for (let i = 0; i < ROUNDS; i++) {
      // Rotate the order, so no server always follows the same one.
      const order = contenders.map((_, k) => contenders[(k + i) % contenders.length] as Contender);
      for (const contender of order) rounds.get(contender.name)?.push(await measureRound(contender, logs.dir));
      console.log(
        `round ${i + 1}: ` +
          contenders
            .map((contender) => {
              const round = rounds.get(contender.name)?.at(-1) as Round;
              return `${contender.name} ${round.requestsPerSecond.toFixed(0)} req/s, ${round.cpuMicrosecondsPerPoll.toFixed(1)} µs CPU/poll`;
            })
            .join(' | '),
      );
    }
    const figure = (name: string, key: keyof Round) => median((rounds.get(name) ?? []).map((round) => round[key]));
    const bareCpu = figure('bare', 'cpuMicrosecondsPerPoll');
    const bareRps = figure('bare', 'requestsPerSecond');
    console.log('median of the rounds:');
    for (const { name } of contenders) {
      const cpu = figure(name, 'cpuMicrosecondsPerPoll');
      const rps = figure(name, 'requestsPerSecond');
      console.log(
        `  ${name.padEnd(10)} ${cpu.toFixed(1).padStart(6)} µs CPU/poll (${((bareCpu / cpu) * 100).toFixed(0)}% of bare by CPU), ` +
          `${rps.toFixed(0).padStart(6)} req/s (${((rps / bareRps) * 100).toFixed(0)}% of bare)`,
      );
    }
  } finally {
    for (const contender of contenders) await contender.stop();
    logs.remove();
  }
}

async function startBare(): Promise<Contender> {
  return { name: 'bare', ...(await startBareServer()) };
}

function builtContender(name: string, server: ServerProcess): Contender {
  return {
    name,
    url: server.url,
    nodesKey: server.nodesKey,
    child: server.child,
    stop: async () => {
      await server.stop();
      server.cleanup();
    },
  };
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

async function measureRound(contender: Contender, scriptDir: string): Promise<Round> {
  const cpuBefore = cpuMs(contender.child);
  const { answered, seconds } = USE_WRK ? await wrkRound(contender, scriptDir) : await autocannonRound(contender);
  await sleep(SETTLE_MS);
  return {
    requestsPerSecond: answered / seconds,
    cpuMicrosecondsPerPoll: ((cpuMs(contender.child) - cpuBefore) * 1000) / Math.max(answered, 1),
  };
}

async function wrkRound(contender: Contender, scriptDir: string): Promise<{ answered: number; seconds: number }> {
  const figures = await wrkPolls({ url: contender.url, nodesKey: contender.nodesKey, fleet: FLEET_SIZE, connections: CONNECTIONS, seconds: SECONDS, scriptDir });
  return { answered: figures.answered, seconds: SECONDS };
}

async function autocannonRound(contender: Contender): Promise<{ answered: number; seconds: number }> {
  let next = Math.floor(Math.random() * FLEET_SIZE);
  const result = await autocannon({
    url: contender.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${contender.nodesKey}` },
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
  return { answered: result.requests.total, seconds: result.duration || SECONDS };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
