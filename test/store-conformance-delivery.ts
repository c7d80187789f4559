// The store operations behind instant delivery (batched claims, the due index's reads, the job
// feed), and the property the empty-poll shortcut rests on: it never hides a task the store would
// hand out. Part of the store conformance suite: runs on every driver.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { TaskDelivery } from '../src/server/task-delivery.js';
import { isClaimFailure, type Store } from '../src/store/store.js';
import type { NewJob, NodeRef } from '../src/wire/job-request.js';

const T0 = new Date('2031-06-01T00:00:00Z').getTime();
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function job(nodes: NodeRef[], startSeconds: number, endSeconds: number): NewJob {
  return { task: { windowStart: at(startSeconds), windowEnd: at(endSeconds), provider: 'infra', spec: { n: 1 } }, nodes };
}

/** A small deterministic generator, so that a failing sequence can be replayed from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function defineDeliveryConformance(storeOf: () => Store, fresh: (label: string) => NodeRef): void {
  describe('delivery', () => {
    it('claims a batch of nodes, each its own next task, the same node twice taking two', async () => {
      const store = storeOf();
      const [a, b, c] = [fresh('batch'), fresh('batch'), fresh('batch')] as [NodeRef, NodeRef, NodeRef];
      const first = await store.createJob(job([a, b], 0, 100), at(0));
      const second = await store.createJob(job([a], 5, 100), at(0));
      const answers = (await store.claimNextTasks([a, b, c, a, a], at(10))).map((answer) => {
        assert.ok(!isClaimFailure(answer), String(isClaimFailure(answer) && answer.error));
        return answer;
      });
      assert.deepEqual(
        answers.map((answer) => answer?.jobId),
        [first, first, undefined, second, undefined],
      );
      assert.equal(answers[0]?.task.provider, 'infra');
      assert.deepEqual(answers[3]?.task.spec, { n: 1 });
      assert.deepEqual(await store.claimNextTasks([], at(10)), []);
    });

    it('answers the earliest window start of a node\'s queued tasks not yet ended, due or not', async () => {
      const store = storeOf();
      const n = fresh('earliest');
      assert.equal(await store.earliestQueuedWindow(n, at(0)), undefined);
      await store.createJob(job([n], 50, 60), at(0));
      const early = await store.createJob(job([n], 10, 20), at(0));
      assert.equal((await store.earliestQueuedWindow(n, at(0)))?.getTime(), at(10).getTime());
      // Due but not taken yet: the start lies in the past, and still counts.
      assert.equal((await store.earliestQueuedWindow(n, at(15)))?.getTime(), at(10).getTime());
      // Ended: it no longer counts.
      assert.equal((await store.earliestQueuedWindow(n, at(30)))?.getTime(), at(50).getTime());
      await store.cancelJob(early, at(1));
      assert.equal((await store.earliestQueuedWindow(n, at(1)))?.getTime(), at(50).getTime());
      assert.ok(await store.claimNextTask(n, at(55)));
      assert.equal(await store.earliestQueuedWindow(n, at(55)), undefined);
    });

    it('streams every queued task whose window has not ended, with its node and window', async () => {
      const store = storeOf();
      const [a, b, c] = [fresh('windows'), fresh('windows'), fresh('windows')] as [NodeRef, NodeRef, NodeRef];
      await store.createJob(job([a, b], 1_000, 1_100), at(0));
      await store.createJob(job([c], 900, 950), at(0));
      assert.ok(await store.claimNextTask(b, at(1_000)));
      const mine = new Set([a, b, c].map((n) => n.name));
      const seen: string[] = [];
      for await (const queued of store.queuedWindows(at(960))) {
        if (!mine.has(queued.node.name)) continue;
        seen.push(`${queued.node.name} ${queued.windowStart.getTime() - T0} ${queued.windowEnd.getTime() - T0}`);
      }
      assert.deepEqual(seen, [`${a.name} 1000000 1100000`]);
    });

    it('announces each job stored after the cursor was made, once, with the nodes still queued', async () => {
      const store = storeOf();
      const [a, b] = [fresh('feed'), fresh('feed')] as [NodeRef, NodeRef];
      let cursor = await store.jobFeedCursor(at(2_000));
      const id = await store.createJob(job([a, b], 2_000, 2_100), at(2_000));
      assert.ok(await store.claimNextTask(a, at(2_001)));
      const announced: string[] = [];
      for (let read = 0; read < 3; read++) {
        const page = await store.readJobFeed(cursor, at(2_001 + read));
        for (const fed of page.jobs) {
          announced.push(fed.id);
          if (fed.id === id) {
            assert.equal(fed.windowStart.getTime(), at(2_000).getTime());
            assert.equal(fed.windowEnd.getTime(), at(2_100).getTime());
          }
        }
        cursor = page.cursor;
      }
      assert.deepEqual(announced.filter((fed) => fed === id), [id]);
      const queued: string[] = [];
      for await (const n of store.queuedNodesOfJob(id, at(2_002))) queued.push(n.name);
      assert.deepEqual(queued, [b.name]);
      const none: string[] = [];
      for await (const n of store.queuedNodesOfJob(id, at(2_200))) none.push(n.name);
      assert.deepEqual(none, [], 'a job whose window ended has no queued node left');
    });

    it('the empty-poll shortcut never hides a task the store would hand out (random jobs, windows, polls)', async () => {
      const store = storeOf();
      const seed = Number(process.env.FOODTRUCK_PROPERTY_SEED ?? Date.now() % 1_000_000);
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const nodes = Array.from({ length: 4 }, () => fresh('property'));
      const base = 10_000;
      let clock = base;
      const now = () => at(clock);
      const delivery = await TaskDelivery.open(store, { maxHeldPolls: 0 }, now());
      const jobs: string[] = [];
      // Jobs created by "another process" that this one's feed has not read yet: until it has,
      // the shortcut may hide them (the documented cross-process bound), so they are not checked.
      let unread = false;
      const trail: string[] = [];
      const randomJob = () => {
        const start = clock + Math.floor(random() * 50) - 20;
        const targets = nodes.filter(() => random() < 0.6);
        return job(targets.length > 0 ? targets : [pick(nodes)], start, start + 1 + Math.floor(random() * 40));
      };
      try {
        // 150 steps, or fewer on a slow driver (FerretDB scans every task per query): at least 30,
        // and as many as fit in 60 s.
        const started = Date.now();
        for (let step = 0; step < 150 && (step < 30 || Date.now() - started < 60_000); step++) {
          const choice = random();
          if (choice < 0.15) {
            const created = randomJob();
            const id = await store.createJob(created, now());
            delivery.noteJob(id, created, now());
            jobs.push(id);
            trail.push(`create here ${id}`);
          } else if (choice < 0.25) {
            jobs.push(await store.createJob(randomJob(), now()));
            unread = true;
            trail.push('create elsewhere');
          } else if (choice < 0.32) {
            await delivery.readFeed(now());
            unread = false;
            trail.push('read feed');
          } else if (choice < 0.45) {
            clock += Math.floor(random() * 15);
            trail.push(`clock ${clock - base}`);
          } else if (choice < 0.5 && jobs.length > 0) {
            await store.cancelJob(pick(jobs), now());
            trail.push('cancel');
          } else if (choice < 0.57) {
            // Another process hands a task out: this one's index over-reports, which is allowed.
            await store.claimNextTask(pick(nodes), now());
            trail.push('claim elsewhere');
          } else if (choice < 0.65) {
            // A job noted while a poll of the same node is between its store read and its settle.
            const n = pick(nodes);
            const created = job([n], clock - 1, clock + 30);
            const [, id] = await Promise.all([
              delivery.claim(n, now()),
              store.createJob(created, now()).then((id) => {
                delivery.noteJob(id, created, now());
                return id;
              }),
            ]);
            jobs.push(id);
            trail.push(`poll racing a create ${n.name}`);
            assert.ok(delivery.index.mayHaveDue(`${n.org}/${n.name}`, now().getTime()), `seed ${seed}: ${trail.join(', ')}`);
          } else {
            const n = pick(nodes);
            const skipped = !delivery.index.mayHaveDue(`${n.org}/${n.name}`, now().getTime());
            const claimed = await delivery.claim(n, now());
            trail.push(`poll ${n.name}${skipped ? ' (skipped the store)' : ''}${claimed ? ' got a task' : ''}`);
            if (skipped && !unread) {
              assert.equal(claimed, undefined);
              const hidden = await store.claimNextTask(n, now());
              assert.equal(hidden, undefined, `seed ${seed}: the shortcut hid job ${hidden?.jobId} after ${trail.join(', ')}`);
            }
          }
        }
      } finally {
        await delivery.stop();
      }
    });

    it('sends the claims that arrive while two batches are out together, in one batch, and hands each node its task once', async () => {
      const real = storeOf();
      // The real store, with its claims held back until the test lets them go: so that batches
      // are out while later polls arrive, whatever the driver's speed.
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const batches: number[] = [];
      let inFlight = 0;
      let mostInFlight = 0;
      const store = new Proxy(real, {
        get(target, property) {
          if (property === 'claimNextTasks') {
            return async (nodes: NodeRef[], now: Date) => {
              batches.push(nodes.length);
              mostInFlight = Math.max(mostInFlight, ++inFlight);
              try {
                await gate;
                return await target.claimNextTasks(nodes, now);
              } finally {
                inFlight--;
              }
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const nodes = Array.from({ length: 30 }, () => fresh('grouped'));
      const nowSeconds = (Date.now() - T0) / 1000;
      const created = job(nodes, nowSeconds - 1, nowSeconds + 600);
      const id = await real.createJob(created, new Date());
      const delivery = await TaskDelivery.open(store, { maxHeldPolls: 0 });
      try {
        delivery.noteJob(id, created, new Date());
        // One poll a turn, as interval polls arrive.
        const claims: Array<Promise<unknown>> = [];
        for (const node of nodes) {
          claims.push(delivery.claim(node, new Date()));
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.deepEqual(batches, [1, 1], 'two batches out, the other polls waiting');
        release();
        const answers = (await Promise.all(claims)) as Array<{ jobId: string } | undefined>;
        assert.deepEqual(batches, [1, 1, 28]);
        assert.equal(mostInFlight, 2);
        assert.deepEqual(
          answers.map((answer) => answer?.jobId),
          nodes.map(() => id),
        );
        assert.deepEqual(await real.claimNextTasks(nodes, new Date()), nodes.map(() => undefined), 'each task was handed out once');
      } finally {
        await delivery.stop();
      }
    });

    it('holds a poll until a job for its node is noted, and answers it at once on stop', async () => {
      const store = storeOf();
      const n = fresh('held');
      const delivery = await TaskDelivery.open(store, { maxHeldPolls: 10 });
      const connection = new EventEmitter();
      try {
        const held = delivery.hold(n, 30_000, connection);
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(delivery.held.count, 1);
        const created = job([n], (Date.now() - T0) / 1000 - 1, (Date.now() - T0) / 1000 + 60);
        const id = await store.createJob(created, new Date());
        delivery.noteJob(id, created, new Date());
        const outcome = await held;
        assert.equal(outcome.kind === 'task' && outcome.claimed.jobId, id);
        assert.equal(delivery.held.count, 0);
        const waiting = delivery.hold(n, 30_000, connection);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await delivery.stop();
        assert.deepEqual(await waiting, { kind: 'none' });
      } finally {
        await delivery.stop();
      }
    });
  });
}
