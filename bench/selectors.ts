// How long a node selector takes to resolve over a large fleet, store by store: the embedded
// SQLite store at 100,000 nodes, and the MongoDB driver against FerretDB (2,000 nodes by default:
// FerretDB 1.24 answers these queries by scanning the collection). Prints numbers; asserts nothing.
//
//   npm run build && node dist/bench/selectors.js
//   BENCH_SELECTOR_NODES=100000 BENCH_SELECTOR_FERRETDB_NODES=2000 BENCH_SELECTOR_RUNS=3 node dist/bench/selectors.js
//   (BENCH_SELECTOR_NODES=0 skips the embedded store, BENCH_SELECTOR_FERRETDB_NODES=0 FerretDB)

import { loadavg, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { MongoStore } from '../src/store/mongodb/mongo-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { NodeFactsReport, Store } from '../src/store/store.js';
import { parseNodeSelector, type NodeSelector } from '../src/wire/node-selector.js';
import { startOwnFerretDb } from '../test/support/mongodb-server.js';
import { makeTempDir } from '../test/support/temp-dir.js';

const SQLITE_NODES = Number(process.env.BENCH_SELECTOR_NODES ?? 100_000);
const FERRETDB_NODES = Number(process.env.BENCH_SELECTOR_FERRETDB_NODES ?? 2_000);
/** Each figure is the median of this many runs. */
const RUNS = Number(process.env.BENCH_SELECTOR_RUNS ?? 3);
const BATCH = 1_000;
/** What job creation asks for: FOODTRUCK_MAX_JOB_NODES (default 100,000) plus one. */
const JOB_LIMIT = 100_001;

/** The selectors measured, and the share of the fleet each picks by construction of the fleet below. */
const SELECTORS: Array<[string, Record<string, unknown>]> = [
  ['one tag (1 node in 2)', { tags_all: ['web'] }],
  ['tag + os + attribute (1 in 10)', { tags_all: ['web'], os: 'ubuntu', attributes: { role: 'frontend' } }],
  ['any of two rare tags (1 in 50)', { tags_any: ['rack-7', 'rack-13'] }],
  ['name glob (1 in 10)', { name: 'node-*3' }],
  ['org + seen within 1h (every node)', { org: 'prod', seen_within: '1h' }],
];

/** Node i: every other one `web`, one in 5 `ubuntu` with role `frontend`, racks 0 to 99. */
function fleet(count: number, now: Date): NodeFactsReport[] {
  return Array.from({ length: count }, (_, i) => ({
    node: { org: 'prod', name: `node-${String(i).padStart(6, '0')}` },
    at: now,
    facts: {
      os: i % 5 === 0 ? 'ubuntu' : 'debian',
      osVersion: i % 5 === 0 ? '22.04' : '12',
      platform: 'linux',
      arch: i % 3 === 0 ? 'arm64' : 'x64',
      hostname: `node-${i}.prod.example`,
      clientVersion: '0.1.0',
      tags: [i % 2 === 0 ? 'web' : 'db', `rack-${i % 100}`, 'managed'],
      attributes: { role: i % 5 === 0 ? 'frontend' : 'backend', zone: `z${i % 4}` },
    },
  }));
}

async function fill(store: Store, count: number, now: Date): Promise<number> {
  const started = performance.now();
  const reports = fleet(count, now);
  for (let i = 0; i < reports.length; i += BATCH) await store.recordNodeFacts(reports.slice(i, i + BATCH));
  return performance.now() - started;
}

async function measure(label: string, store: Store, count: number): Promise<void> {
  const now = new Date();
  const fillMs = await fill(store, count, now);
  console.log(`\n${label}: ${count.toLocaleString('en')} nodes with facts (written in ${(fillMs / 1000).toFixed(1)} s)`);
  console.log('Each cell: median wall-clock ms (median CPU ms of this process). On a loaded machine the wall clock waits for a');
  console.log('CPU; the CPU time is what the work itself costs. The MongoDB driver\'s CPU time leaves out the database\'s own.');
  console.log('| selector | matched | resolve for a job | count | preview page of 100 |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, json] of SELECTORS) {
    const parsed = parseNodeSelector(json);
    if (!parsed.ok) throw new Error(parsed.message);
    const selector: NodeSelector = parsed.value;
    const resolve = timings();
    const counting = timings();
    const preview = timings();
    let matched = 0;
    for (let run = 0; run < RUNS; run++) {
      matched = (await resolve.time(() => store.selectNodes(selector, { limit: JOB_LIMIT }, new Date()))).items.length;
      await counting.time(() => store.countNodes(selector, new Date()));
      await preview.time(() => store.listNodes({ limit: 100, selector }, new Date()));
    }
    console.log(`| ${name} | ${matched.toLocaleString('en')} | ${resolve.text()} | ${counting.text()} | ${preview.text()} |`);
  }
  // The node list's name search (issue 11): a page of 100 of the nodes whose org/name contains the text.
  console.log('\n| node list search | matched in the page | page of 100 |');
  console.log('| --- | ---: | ---: |');
  for (const [name, text] of [['every node ("node-")', 'node-'], ['one node in 10 ("3")', '3'], ['one node (the last)', `node-${String(count - 1).padStart(6, '0')}`]]) {
    const page = timings();
    let shown = 0;
    for (let run = 0; run < RUNS; run++) {
      shown = (await page.time(() => store.listNodes({ limit: 100, nameContains: text as string }, new Date()))).items.length;
    }
    console.log(`| ${name} | ${shown} | ${page.text()} |`);
  }
}

/** Wall-clock and CPU milliseconds of each call. */
function timings() {
  const wall: number[] = [];
  const cpu: number[] = [];
  return {
    async time<T>(operation: () => Promise<T>): Promise<T> {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const result = await operation();
      const used = process.cpuUsage(cpuStarted);
      wall.push(performance.now() - started);
      cpu.push((used.user + used.system) / 1000);
      return result;
    },
    text: () => `${median(wall).toFixed(0)} (${median(cpu).toFixed(0)})`,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average before: ${load()}`);

if (SQLITE_NODES > 0) {
  const temp = makeTempDir('foodtruck-bench-selectors-');
  const sqlite = SqliteStore.open(temp.dir);
  try {
    await measure('embedded SQLite store', sqlite, SQLITE_NODES);
  } finally {
    await sqlite.close();
    temp.remove();
  }
}

if (FERRETDB_NODES > 0) {
  const own = await startOwnFerretDb();
  if ('unavailable' in own) {
    console.log(`\nFerretDB: not measured: ${own.unavailable}`);
  } else {
    const { ferret } = own;
    const mongo = await MongoStore.connect({ connectionString: `${ferret.connectionString}?socketTimeoutMS=600000`, databaseName: 'bench_selectors' });
    try {
      await measure('MongoDB driver on FerretDB (SQLite backend)', mongo, FERRETDB_NODES);
    } finally {
      await mongo.close();
      await ferret.remove();
    }
  }
}
console.log(`\nload average after: ${load()}`);
