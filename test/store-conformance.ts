// The behaviour every store driver must have. Each driver's test file calls
// `defineStoreConformanceSuite` with a factory that opens a fresh, empty store of its kind.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeKey, NodeListQuery, Store } from '../src/store/store.js';
import { InvalidCursorError } from '../src/store/store.js';
import type { NewJob, NodeRef } from '../src/wire/job-request.js';
import type { NodeFacts } from '../src/wire/node-facts.js';
import { parseNodeSelector, type NodeSelector } from '../src/wire/node-selector.js';
import { defineDeliveryConformance } from './store-conformance-delivery.js';
import {
  DEFAULT_TASK_TIMEOUT_MS,
  DELIVERY_GRACE_MS,
  MIN_HEARTBEAT_LEASE_MS,
  TIMEOUT_GRACE_MS,
} from '../src/store/task-lease.js';
import { SLOT_RECLAIM_MARGIN_MS } from '../src/store/rate-control.js';

export interface OpenedStore {
  store: Store;
  /** Closes the store and removes everything it wrote. */
  dispose: () => Promise<void>;
}

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function job(nodes: NodeRef[], startSeconds: number, endSeconds: number, extra: Partial<NewJob['task']> = {}): NewJob {
  return {
    task: { windowStart: at(startSeconds), windowEnd: at(endSeconds), provider: 'infra', spec: { n: 1 }, ...extra },
    nodes,
  };
}

const node = (name: string, org = 'org'): NodeRef => ({ org, name });

const facts = (extra: Partial<NodeFacts> = {}): NodeFacts => ({ tags: [], attributes: {}, ...extra });

function selector(json: Record<string, unknown>): NodeSelector {
  const parsed = parseNodeSelector(json);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

export function defineStoreConformanceSuite(driver: string, openStore: () => Promise<OpenedStore>): void {
  describe(`store conformance: ${driver}`, () => {
    let opened: OpenedStore;
    let store: Store;
    // Node names are unique per test so the tests of one suite never see each other's tasks.
    let unique = 0;
    const fresh = (label: string) => node(`${label}-${++unique}`);

    before(async () => {
      opened = await openStore();
      store = opened.store;
    });
    after(async () => {
      await opened?.dispose();
    });

    it('creates a job with an ObjectId-shaped id and reads it back structurally equal', async () => {
      const nodes = [fresh('a'), fresh('b'), node(`c-${unique}`, 'other-org')];
      const spec = { url: 'https://example.com/policy.tar.gz', nested: [1, 'two', { three: null }], 'ключ': '✓' };
      const id = await store.createJob(job(nodes, 0, 3600, { spec, timeout: '30m' }), at(0));
      assert.match(id, /^[0-9a-f]{24}$/);
      const found = await store.getJob(id, at(1));
      assert.ok(found);
      assert.equal(found.job.id, id);
      assert.deepEqual(found.job.nodes, nodes);
      assert.deepEqual(found.job.task.spec, spec);
      assert.equal(found.job.task.provider, 'infra');
      assert.equal(found.job.task.timeout, '30m');
      assert.equal(found.job.task.windowStart.getTime(), at(0).getTime());
      assert.equal(found.job.task.windowEnd.getTime(), at(3600).getTime());
      assert.equal(found.job.createdAt.getTime(), at(0).getTime());
    });

    it('keeps spec values of every JSON type, including a bare null, string and array', async () => {
      for (const spec of [null, 'text', 42, [1, 2], { deep: { deeper: [true, false] } }]) {
        const id = await store.createJob(job([fresh('spec')], 0, 10, { spec }), at(0));
        assert.deepEqual((await store.getJob(id, at(0)))?.job.task.spec, spec);
      }
    });

    it('answers undefined for unknown and malformed job ids', async () => {
      assert.equal(await store.getJob('5ff7686a91072739255a4a35', at(0)), undefined);
      assert.equal(await store.getJob('not-an-id', at(0)), undefined);
      assert.equal(await store.getJobSummary('5ff7686a91072739255a4a35', at(0)), undefined);
      assert.equal(await store.listTaskStatuses('not-an-id', {}, at(0)), undefined);
      assert.equal(await store.cancelJob('5ff7686a91072739255a4a35', at(0)), undefined);
    });

    it('has a queued status for every targeted node from creation, in node order', async () => {
      const nodes = [fresh('q'), fresh('q'), fresh('q')];
      const id = await store.createJob(job(nodes, 0, 100), at(0));
      const page = await store.listTaskStatuses(id, {}, at(1));
      assert.ok(page);
      assert.deepEqual(page.items.map((s) => s.node), nodes);
      assert.ok(page.items.every((s) => s.status === 'queued' && s.jobId === id && s.result === undefined));
      assert.equal(page.nextCursor, undefined);
      const summary = await store.getJobSummary(id, at(1));
      assert.equal(summary?.nodeCount, 3);
      assert.equal(summary?.summary.queued, 3);
    });

    it('hands out the task with the earliest window start whose window contains now', async () => {
      const n = fresh('order');
      const late = await store.createJob(job([n], 50, 500), at(0));
      const early = await store.createJob(job([n], 10, 500), at(0));
      const future = await store.createJob(job([n], 1000, 2000), at(0));
      assert.equal(await store.claimNextTask(n, at(5)), undefined, 'nothing has started yet');
      const first = await store.claimNextTask(n, at(60));
      assert.equal(first?.jobId, early);
      assert.deepEqual(first?.task.spec, { n: 1 });
      assert.equal((await store.claimNextTask(n, at(60)))?.jobId, late);
      assert.equal(await store.claimNextTask(n, at(60)), undefined, 'the future task is not handed out early');
      assert.equal((await store.claimNextTask(n, at(1500)))?.jobId, future);
      assert.equal(await store.claimNextTask(n, at(1500)), undefined);
    });

    it('marks a handed-out task pending and never hands it out again', async () => {
      const n = fresh('once');
      const id = await store.createJob(job([n], 0, 100), at(0));
      const claimed = await store.claimNextTask(n, at(1));
      assert.equal(claimed?.jobId, id);
      assert.equal(await store.claimNextTask(n, at(2)), undefined);
      const page = await store.listTaskStatuses(id, {}, at(3));
      assert.equal(page?.items[0]?.status, 'pending');
      assert.equal(page?.items[0]?.lastUpdated.getTime(), at(1).getTime());
    });

    it('hands each task out once under concurrent polls for the same node', async () => {
      const n = fresh('concurrent');
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add(await store.createJob(job([n], i, 1000), at(0)));
      const claims = await Promise.all(Array.from({ length: 60 }, () => store.claimNextTask(n, at(100))));
      const handed = claims.filter((c) => c !== undefined).map((c) => c.jobId);
      assert.equal(handed.length, 20);
      assert.deepEqual(new Set(handed), ids);
    });

    it('only hands a node its own tasks', async () => {
      const mine = fresh('mine');
      const same = node(mine.name, 'another-org');
      await store.createJob(job([mine], 0, 100), at(0));
      assert.equal(await store.claimNextTask(same, at(1)), undefined);
      assert.equal(await store.claimNextTask(fresh('stranger'), at(1)), undefined);
    });

    it('expires a task whose window ended before any poll took it', async () => {
      const n = fresh('late');
      const id = await store.createJob(job([n], 0, 10), at(0));
      assert.equal(await store.claimNextTask(n, at(11)), undefined);
      const page = await store.listTaskStatuses(id, {}, at(11));
      assert.equal(page?.items[0]?.status, 'expired');
      const summary = await store.getJobSummary(id, at(11));
      assert.equal(summary?.summary.expired, 1);
      assert.equal(summary?.summary.queued, 0);
      const outcome = await store.reportStatus(n, { jobId: id, status: 'running' }, at(12));
      assert.deepEqual(outcome, { kind: 'final', status: 'expired' });
    });

    it('records reported statuses and results and refuses to reopen a final one', async () => {
      const n = fresh('report');
      const id = await store.createJob(job([n], 0, 100), at(0));
      await store.claimNextTask(n, at(1));
      assert.deepEqual(await store.reportStatus(n, { jobId: id, status: 'running' }, at(2)), { kind: 'updated', stopRequested: false });
      let status = (await store.listTaskStatuses(id, {}, at(3)))?.items[0];
      assert.equal(status?.status, 'running');
      assert.equal(status?.lastUpdated.getTime(), at(2).getTime());
      const result = { exitCode: 1, reason: 'exit error', output: 'line 1\nstderr ✗\n' };
      assert.deepEqual(await store.reportStatus(n, { jobId: id, status: 'failed', result }, at(4)), { kind: 'updated', stopRequested: false });
      status = (await store.listTaskStatuses(id, {}, at(500)))?.items[0];
      assert.equal(status?.status, 'failed', 'a finished task does not expire');
      assert.deepEqual(status?.result, result);
      assert.deepEqual(await store.reportStatus(n, { jobId: id, status: 'success' }, at(5)), {
        kind: 'final',
        status: 'failed',
      });
      assert.equal((await store.listTaskStatuses(id, {}, at(6)))?.items[0]?.status, 'failed');
    });

    it('answers reports that arrive together each on its own, and keeps each', async () => {
      // A job's nodes report at once; the embedded store commits such reports together.
      const nodes = Array.from({ length: 6 }, () => fresh('together'));
      const [done, ...rest] = nodes as [NodeRef, ...NodeRef[]];
      const id = await store.createJob(job(nodes, 0, 100), at(0));
      for (const n of nodes) await store.claimNextTask(n, at(1));
      await store.reportStatus(done, { jobId: id, status: 'success' }, at(2));
      const outcomes = await Promise.all([
        store.reportStatus(done, { jobId: id, status: 'running' }, at(3)),
        store.reportStatus(fresh('stranger'), { jobId: id, status: 'running' }, at(3)),
        ...rest.map((n, i) => store.reportStatus(n, { jobId: id, status: i % 2 === 0 ? 'running' : 'failed', result: { exitCode: i, reason: '' } }, at(3))),
      ]);
      assert.deepEqual(outcomes, [
        { kind: 'final', status: 'success' },
        { kind: 'not_targeted' },
        ...rest.map(() => ({ kind: 'updated', stopRequested: false })),
      ]);
      const statuses = (await store.listTaskStatuses(id, {}, at(4)))?.items ?? [];
      assert.deepEqual(
        statuses.map((status) => [status.node.name, status.status, status.result?.exitCode]),
        [[done.name, 'success', undefined], ...rest.map((n, i) => [n.name, i % 2 === 0 ? 'running' : 'failed', i])],
      );
    });

    it('refuses reports for a job/node pair that was never targeted', async () => {
      const n = fresh('target');
      const id = await store.createJob(job([n], 0, 100), at(0));
      assert.deepEqual(await store.reportStatus(fresh('other'), { jobId: id, status: 'running' }, at(1)), {
        kind: 'not_targeted',
      });
      assert.deepEqual(await store.reportStatus(n, { jobId: '5ff7686a91072739255a4a35', status: 'running' }, at(1)), {
        kind: 'not_targeted',
      });
      assert.deepEqual(await store.reportStatus(n, { jobId: 'nonsense', status: 'running' }, at(1)), {
        kind: 'not_targeted',
      });
    });

    it('cancels only the tasks nobody picked up', async () => {
      const [a, b, c] = [fresh('cancel'), fresh('cancel'), fresh('cancel')] as [NodeRef, NodeRef, NodeRef];
      const id = await store.createJob(job([a, b, c], 0, 100), at(0));
      await store.claimNextTask(a, at(1));
      await store.claimNextTask(b, at(1));
      await store.reportStatus(b, { jobId: id, status: 'success', result: { exitCode: 0, reason: '' } }, at(2));
      const outcome = await store.cancelJob(id, at(3));
      assert.equal(outcome?.cancelled, 1);
      assert.equal(outcome?.stopping, 1, 'the handed-out task is asked to stop');
      assert.equal(outcome?.summary.cancelled, 1);
      assert.equal(outcome?.summary.pending, 1, 'it stays pending until its node answers or its lease ends');
      assert.equal(outcome?.summary.success, 1);
      assert.equal(await store.claimNextTask(c, at(4)), undefined);
      assert.deepEqual(await store.reportStatus(c, { jobId: id, status: 'running' }, at(5)), {
        kind: 'final',
        status: 'cancelled',
      });
      const again = await store.cancelJob(id, at(6));
      assert.equal(again?.cancelled, 0, 'cancelling twice changes nothing');
      assert.equal(again?.stopping, 0);
    });

    const seconds = (ms: number) => ms / 1000;
    const statusOf = async (id: string, when: Date) => (await store.listTaskStatuses(id, {}, when))?.items[0]?.status;
    const filtered = async (id: string, status: Parameters<Store['listTaskStatuses']>[1]['status'], when: Date) =>
      (await store.listTaskStatuses(id, { status }, when))?.items.map((s) => s.node.name) ?? [];

    describe('leases', () => {

      it('times out a task handed out but never reported running after the delivery grace, everywhere at once', async () => {
        const [a, b] = [fresh('deliver'), fresh('deliver')];
        const id = await store.createJob(job([a, b], 0, 100_000), at(0));
        await store.claimNextTask(a, at(10));
        const justBefore = at(10 + seconds(DELIVERY_GRACE_MS));
        const justAfter = at(10 + seconds(DELIVERY_GRACE_MS) + 1);
        assert.equal(await statusOf(id, justBefore), 'pending');
        assert.deepEqual(await filtered(id, 'pending', justBefore), [a.name]);
        assert.deepEqual(await filtered(id, 'timed_out', justBefore), []);
        assert.equal(await statusOf(id, justAfter), 'timed_out');
        assert.deepEqual(await filtered(id, 'timed_out', justAfter), [a.name]);
        assert.deepEqual(await filtered(id, 'pending', justAfter), []);
        const summary = await store.getJobSummary(id, justAfter);
        assert.equal(summary?.summary.timed_out, 1);
        assert.equal(summary?.summary.pending, 0);
        assert.equal(summary?.summary.queued, 1);
        assert.equal((await store.getJob(id, justAfter))?.summary.timed_out, 1);
        const listed = await store.listJobs({ limit: 1 }, justAfter);
        assert.equal(listed.items[0]?.id, id);
        assert.equal(listed.items[0]?.summary.timed_out, 1);
      });

      it('keeps a running task with heartbeats alive for max(2 min, 4 x interval) after each report', async () => {
        const n = fresh('heartbeat');
        const id = await store.createJob(job([n], 0, 1_000_000), at(0));
        await store.claimNextTask(n, at(1));
        const running = { jobId: id, status: 'running' as const, heartbeatIntervalMs: 60_000 };
        await store.reportStatus(n, running, at(2));
        // 4 x 60 s = 240 s, more than the 2 min floor.
        assert.equal(await statusOf(id, at(2 + 240)), 'running');
        assert.equal(await statusOf(id, at(2 + 241)), 'timed_out');
        // A provider that runs for hours on a live node: a heartbeat every minute keeps it running.
        for (let t = 62; t <= 3 * 3600; t += 60) {
          assert.deepEqual(await store.reportStatus(n, running, at(t)), { kind: 'updated', stopRequested: false });
        }
        assert.equal(await statusOf(id, at(3 * 3600 + 100)), 'running');
        // A short interval still gets the 2 min floor.
        const m = fresh('heartbeat');
        const other = await store.createJob(job([m], 0, 1_000_000), at(0));
        await store.claimNextTask(m, at(1));
        await store.reportStatus(m, { jobId: other, status: 'running', heartbeatIntervalMs: 5_000 }, at(2));
        assert.equal(await statusOf(other, at(2 + seconds(MIN_HEARTBEAT_LEASE_MS))), 'running');
        assert.equal(await statusOf(other, at(3 + seconds(MIN_HEARTBEAT_LEASE_MS))), 'timed_out');
      });

      it('judges a running task without heartbeats by its timeout, or the default, plus the grace', async () => {
        const [a, b] = [fresh('noheartbeat'), fresh('noheartbeat')];
        const withTimeout = await store.createJob(job([a], 0, 1_000_000, { timeout: '10m' }), at(0));
        const withoutTimeout = await store.createJob(job([b], 0, 1_000_000), at(0));
        for (const [n, id] of [[a, withTimeout], [b, withoutTimeout]] as const) {
          await store.claimNextTask(n, at(1));
          await store.reportStatus(n, { jobId: id, status: 'running' }, at(2));
        }
        const grace = seconds(TIMEOUT_GRACE_MS);
        assert.equal(await statusOf(withTimeout, at(2 + 600 + grace)), 'running');
        assert.equal(await statusOf(withTimeout, at(3 + 600 + grace)), 'timed_out');
        const fallback = seconds(DEFAULT_TASK_TIMEOUT_MS);
        assert.equal(await statusOf(withoutTimeout, at(2 + fallback + grace)), 'running');
        assert.equal(await statusOf(withoutTimeout, at(3 + fallback + grace)), 'timed_out');
      });

      it('lets a late success or failed replace timed_out, but not a late running', async () => {
        const [a, b] = [fresh('late'), fresh('late')];
        const id = await store.createJob(job([a, b], 0, 1_000_000), at(0));
        await store.claimNextTask(a, at(1));
        await store.claimNextTask(b, at(1));
        const late = at(1000);
        assert.deepEqual(await store.reportStatus(a, { jobId: id, status: 'running' }, late), { kind: 'final', status: 'timed_out' });
        assert.equal(await statusOf(id, late), 'timed_out');
        const result = { exitCode: 0, reason: '' };
        assert.deepEqual(await store.reportStatus(a, { jobId: id, status: 'success', result }, late), {
          kind: 'updated',
          stopRequested: false,
        });
        assert.deepEqual(await store.reportStatus(b, { jobId: id, status: 'failed', result: { exitCode: 3, reason: 'exit error' } }, late), {
          kind: 'updated',
          stopRequested: false,
        });
        const statuses = (await store.listTaskStatuses(id, {}, at(2000)))?.items;
        assert.deepEqual(statuses?.map((s) => s.status), ['success', 'failed']);
        assert.deepEqual(await store.reportStatus(a, { jobId: id, status: 'failed' }, at(2001)), { kind: 'final', status: 'success' });
      });

      it('pages through timed-out tasks with the status filter, agreeing with the counts and the node overview', async () => {
        const nodes = Array.from({ length: 7 }, () => fresh('leasepage'));
        const id = await store.createJob(job(nodes, 0, 1_000_000), at(0));
        for (const n of nodes.slice(0, 5)) await store.claimNextTask(n, at(1));
        await store.reportStatus(nodes[1] as NodeRef, { jobId: id, status: 'running', heartbeatIntervalMs: 30_000 }, at(100));
        const later = at(200);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listTaskStatuses(id, { status: 'timed_out', limit: 2, ...(cursor ? { cursor } : {}) }, later);
          assert.ok(page && page.items.every((s) => s.status === 'timed_out'));
          seen.push(...page.items.map((s) => s.node.name));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(seen, [0, 2, 3, 4].map((i) => (nodes[i] as NodeRef).name));
        assert.deepEqual(await filtered(id, 'running', later), [(nodes[1] as NodeRef).name]);
        const summary = await store.getJobSummary(id, later);
        assert.equal(summary?.summary.timed_out, 4);
        assert.equal(summary?.summary.running, 1);
        assert.equal(summary?.summary.queued, 2);
        const overview = await store.listNodes({ limit: 50, cursor: `org/${(nodes[0] as NodeRef).name.slice(0, -1)}` }, later);
        const first = overview.items.find((item) => item.node.name === (nodes[0] as NodeRef).name);
        assert.ok(first, 'the node is listed');
        assert.equal(first.tasks.timed_out, 1);
        assert.equal(first.tasks.pending, 0);
      });
    });

    describe('rate control', () => {
      const claimAll = async (nodes: NodeRef[], when: Date) =>
        (await Promise.all(nodes.map((n) => store.claimNextTask(n, when)))).filter((c) => c !== undefined).length;

      it('hands out at most max_concurrency tasks of a job at once, and the next when one ends', async () => {
        const nodes = Array.from({ length: 5 }, () => fresh('slots'));
        const id = await store.createJob({ ...job(nodes, 0, 1_000_000), maxConcurrency: 2 }, at(0));
        const claimed: NodeRef[] = [];
        for (const n of nodes) if (await store.claimNextTask(n, at(1))) claimed.push(n);
        assert.equal(claimed.length, 2);
        const waiting = nodes.filter((n) => !claimed.includes(n));
        assert.equal((await store.getJobSummary(id, at(2)))?.summary.queued, 3, 'the others stay queued');
        const [first] = claimed as [NodeRef];
        await store.reportStatus(first, { jobId: id, status: 'running', heartbeatIntervalMs: 30_000 }, at(2));
        await store.reportStatus(first, { jobId: id, status: 'success', result: { exitCode: 0, reason: '' } }, at(3));
        assert.equal(await claimAll(waiting, at(4)), 1, 'a finished task frees its slot');
        // `second` never reports: its slot frees once its lease has ended (on MongoDB, a margin later).
        const stillHeld = await claimAll(waiting, at(1 + DELIVERY_GRACE_MS / 1000 - 1));
        assert.equal(stillHeld, 0);
        const late = at(4 + DELIVERY_GRACE_MS / 1000 + SLOT_RECLAIM_MARGIN_MS / 1000 + 1);
        assert.equal((await store.listTaskStatuses(id, { status: 'timed_out' }, late))?.items.length, 2);
        assert.equal(await claimAll(waiting, late), 2, 'both leases ended: two more go out');
      });

      it('hands many concurrent polls exactly max_concurrency tasks', async () => {
        const nodes = Array.from({ length: 30 }, () => fresh('burst'));
        const id = await store.createJob({ ...job(nodes, 0, 1_000_000), maxConcurrency: 4 }, at(0));
        assert.equal(await claimAll(nodes, at(1)), 4);
        assert.equal((await store.getJobSummary(id, at(1)))?.summary.pending, 4);
        assert.equal(await claimAll(nodes, at(2)), 0);
      });

      it('rounds a percentage of concurrency up, to at least 1', async () => {
        const few = Array.from({ length: 5 }, () => fresh('pct'));
        await store.createJob({ ...job(few, 0, 1_000_000), maxConcurrency: '10%' }, at(0));
        assert.equal(await claimAll(few, at(1)), 1, '10% of 5 is 1');
        const many = Array.from({ length: 25 }, () => fresh('pct'));
        await store.createJob({ ...job(many, 0, 1_000_000), maxConcurrency: '10%' }, at(0));
        assert.equal(await claimAll(many, at(1)), 3, '10% of 25 rounds up to 3');
      });

      it('gives a node whose task waits for a slot its next task of another job', async () => {
        const [busy, waiting] = [fresh('other'), fresh('other')];
        const limited = await store.createJob({ ...job([busy, waiting], 0, 1_000_000), maxConcurrency: 1 }, at(0));
        const free = await store.createJob(job([waiting], 10, 1_000_000), at(0));
        assert.equal((await store.claimNextTask(busy, at(20)))?.jobId, limited);
        assert.equal((await store.claimNextTask(waiting, at(21)))?.jobId, free);
        assert.equal(await store.claimNextTask(waiting, at(22)), undefined);
      });

      it('stops a job once failures exceed max_errors: nothing more handed out, queued tasks cancelled', async () => {
        const nodes = Array.from({ length: 6 }, () => fresh('errors'));
        const id = await store.createJob({ ...job(nodes, 0, 1_000_000), maxConcurrency: 2, maxErrors: 1 }, at(0));
        const claimed: NodeRef[] = [];
        for (const n of nodes) if (await store.claimNextTask(n, at(1))) claimed.push(n);
        const failure = { exitCode: 1, reason: 'exit error' };
        await store.reportStatus(claimed[0] as NodeRef, { jobId: id, status: 'failed', result: failure }, at(2));
        assert.equal((await store.getJobSummary(id, at(2)))?.stopped, undefined, 'one failure is not more than 1');
        await store.reportStatus(claimed[1] as NodeRef, { jobId: id, status: 'failed', result: failure }, at(3));
        const summary = await store.getJobSummary(id, at(4));
        assert.ok(summary?.stopped, 'stopped');
        assert.equal(summary.stopped.at.getTime(), at(3).getTime());
        assert.match(summary.stopped.reason, /2 tasks failed or timed out, more than max_errors \(1\)/);
        assert.deepEqual([summary.summary.failed, summary.summary.cancelled, summary.summary.queued], [2, 4, 0]);
        assert.equal(await claimAll(nodes, at(5)), 0);
        assert.deepEqual((await store.getJob(id, at(6)))?.job.stopped, summary.stopped);
      });

      it('a max_errors stop and concurrent claims: each task ends handed out or cancelled, never both', async () => {
        for (let round = 0; round < 4; round++) {
          const [first, ...others] = Array.from({ length: 31 }, () => fresh('stoprace'));
          const id = await store.createJob({ ...job([first as NodeRef, ...others], 0, 1_000_000), maxErrors: 0 }, at(0));
          assert.equal((await store.claimNextTask(first as NodeRef, at(1)))?.jobId, id);
          const failure = store.reportStatus(first as NodeRef, { jobId: id, status: 'failed', result: { exitCode: 1, reason: 'exit error' } }, at(2));
          const answers = await Promise.all([failure, ...others.map((n) => store.claimNextTask(n, at(2)))]);
          const handedOut = new Set(others.filter((_, i) => answers[i + 1] !== undefined).map((n) => n.name));
          const summary = await store.getJobSummary(id, at(3));
          assert.ok(summary?.stopped, 'stopped');
          for (const status of (await store.listTaskStatuses(id, {}, at(3)))?.items ?? []) {
            if (status.node.name === first?.name) continue;
            assert.equal(status.status, handedOut.has(status.node.name) ? 'pending' : 'cancelled', `${status.node.name} in round ${round}`);
          }
          assert.deepEqual([summary.summary.failed, summary.summary.pending, summary.summary.cancelled], [1, handedOut.size, others.length - handedOut.size]);
          assert.equal(await claimAll(others, at(4)), 0);
        }
      });

      it('counts timed-out tasks as failures, and max_errors 0 stops at the first', async () => {
        const nodes = Array.from({ length: 3 }, () => fresh('silent'));
        const id = await store.createJob({ ...job(nodes, 0, 1_000_000), maxConcurrency: 1, maxErrors: 0 }, at(0));
        assert.equal(await claimAll(nodes, at(1)), 1);
        const late = at(1 + DELIVERY_GRACE_MS / 1000 + 1);
        const summary = await store.getJobSummary(id, late);
        assert.equal(summary?.summary.timed_out, 1);
        assert.equal(summary?.summary.cancelled, 2);
        assert.equal(summary?.stopped?.at.getTime(), late.getTime());
        assert.equal(await claimAll(nodes, at(10_000)), 0);
      });

      it('keeps the limits as given and answers them back', async () => {
        const id = await store.createJob({ ...job([fresh('given')], 0, 100), maxConcurrency: '50%', maxErrors: 0, name: 'Roll out ✓' }, at(0));
        const found = await store.getJob(id, at(1));
        assert.deepEqual([found?.job.maxConcurrency, found?.job.maxErrors, found?.job.name], ['50%', 0, 'Roll out ✓']);
        const plain = await store.getJobSummary(await store.createJob(job([fresh('given')], 0, 100), at(0)), at(1));
        assert.deepEqual([plain?.maxConcurrency, plain?.maxErrors, plain?.name, plain?.stopped], [undefined, undefined, undefined, undefined]);
      });
    });

    describe('job names, filters and reruns', () => {
      it('filters the job list by provider, name text and state', async () => {
        const provider = `prov-${unique}-${Date.now()}`;
        const mk = async (name: string | undefined, nodes: NodeRef[], when: number) =>
          // Created "before" the other tests' jobs, so that the list they read is not changed.
          store.createJob({ ...job(nodes, 0, 1000, { provider }), ...(name === undefined ? {} : { name }) }, at(when - 100));
        const done = fresh('state');
        const a = await mk('Nightly 50% patch', [done], 1);
        const b = await mk('nightly_reboot', [fresh('state')], 2);
        const c = await mk(undefined, [fresh('state')], 3);
        await store.claimNextTask(done, at(4));
        await store.reportStatus(done, { jobId: a, status: 'success', result: { exitCode: 0, reason: '' } }, at(5));
        const ids = async (query: Omit<Parameters<Store['listJobs']>[0], 'limit'>, limit = 10) =>
          (await store.listJobs({ limit, provider, ...query }, at(6))).items.map((j) => j.id);
        assert.deepEqual(await ids({}), [c, b, a]);
        assert.deepEqual(await ids({ nameContains: 'NIGHTLY' }), [b, a]);
        assert.deepEqual(await ids({ nameContains: '50%' }), [a]);
        assert.deepEqual(await ids({ nameContains: '%' }), [a], '% is literal');
        assert.deepEqual(await ids({ nameContains: 'y_r' }), [b], '_ is literal');
        assert.deepEqual(await ids({ state: 'finished' }), [a]);
        assert.deepEqual(await ids({ state: 'active' }), [c, b]);
        const first = await store.listJobs({ limit: 1, provider, state: 'active' }, at(6));
        assert.deepEqual(first.items.map((j) => j.id), [c]);
        assert.ok(first.nextCursor);
        const second = await store.listJobs({ limit: 1, provider, state: 'active', cursor: first.nextCursor }, at(6));
        assert.deepEqual(second.items.map((j) => j.id), [b]);
        // At 1001 s every window has ended: queued tasks expired, so every job is finished.
        assert.deepEqual((await store.listJobs({ limit: 10, provider, state: 'finished' }, at(1001))).items.length, 3);
        assert.deepEqual(await ids({ provider: `${provider}-none` }), []);
      });

      it('counts the targeted nodes that never checked in', async () => {
        const [polled, handed, silent] = [fresh('checkin'), fresh('checkin'), fresh('checkin')];
        const id = await store.createJob(job([polled, handed, silent], 0, 1000), at(0));
        await store.recordCheckIns([{ node: polled, at: at(1) }]);
        await store.claimNextTask(handed, at(2));
        assert.equal(await store.countNeverCheckedIn(id), 1);
        assert.equal(await store.countNeverCheckedIn('5ff7686a91072739255a4a35'), undefined);
      });
    });

    describe('never_checked_in as check-ins come and go', () => {
      // Long before the other tests' jobs, so that the job lists they read are not changed.
      const ago = (seconds: number) => at(seconds - 100_000);
      const early = (nodes: NodeRef[], startSeconds: number, endSeconds: number) => job(nodes, startSeconds - 100_000, endSeconds - 100_000);
      it('leaves out the nodes that checked in before the job was created, and those that do after', async () => {
        const [before, reported, later, twice, silent] = [fresh('nci'), fresh('nci'), fresh('nci'), fresh('nci'), fresh('nci')];
        await store.recordCheckIns([{ node: before, at: ago(0) }]);
        await store.recordNodeFacts([{ node: reported, facts: facts({ tags: ['web'] }), at: ago(0) }]);
        const first = await store.createJob(early([before, reported, later, twice, silent], 0, 1000), ago(1));
        assert.equal(await store.countNeverCheckedIn(first), 3, 'a check-in or a facts report before creation counts as seen');
        const second = await store.createJob(early([later, twice], 0, 1000), ago(2));
        assert.equal(await store.countNeverCheckedIn(second), 2);

        await store.recordCheckIns([{ node: later, at: ago(3) }, { node: twice, at: ago(3) }]);
        assert.equal(await store.countNeverCheckedIn(first), 1, 'a first check-in after creation');
        assert.equal(await store.countNeverCheckedIn(second), 0, 'a first check-in counts for every job of the node');
        await store.recordCheckIns([{ node: twice, at: ago(4) }, { node: later, at: ago(2) }]);
        assert.equal(await store.countNeverCheckedIn(first), 1, 'later check-ins change nothing');
        await store.recordNodeFacts([{ node: silent, facts: facts(), at: ago(5) }]);
        assert.equal(await store.countNeverCheckedIn(first), 0, 'a first facts report is a check-in');
      });

      it('counts queued and cancelled tasks, never a handed-out one, whatever became of it', async () => {
        const [queued, cancelled, pending, running, done, failed] = [fresh('nci'), fresh('nci'), fresh('nci'), fresh('nci'), fresh('nci'), fresh('nci')];
        const id = await store.createJob(early([queued, cancelled, pending, running, done, failed], 0, 1000), ago(0));
        assert.equal(await store.countNeverCheckedIn(id), 6);
        for (const n of [pending, running, done, failed]) assert.ok(await store.claimNextTask(n, ago(1)));
        await store.reportStatus(running, { jobId: id, status: 'running' }, ago(2));
        await store.reportStatus(done, { jobId: id, status: 'success', result: { exitCode: 0, reason: '' } }, ago(2));
        await store.reportStatus(failed, { jobId: id, status: 'failed', result: { exitCode: 1, reason: 'exit error' } }, ago(2));
        assert.equal(await store.countNeverCheckedIn(id), 2);
        await store.cancelJob(id, ago(3), cancelled);
        assert.equal(await store.countNeverCheckedIn(id), 2, 'a cancelled task whose node never checked in still counts');
        await store.cancelJob(id, ago(4));
        assert.equal(await store.countNeverCheckedIn(id), 2, 'cancelling the handed-out tasks adds none');
        await store.recordCheckIns([{ node: cancelled, at: ago(5) }]);
        assert.equal(await store.countNeverCheckedIn(id), 1);
      });

      it('counts a forgotten node again, and not once it polls again', async () => {
        const [gone, stays] = [fresh('nci-gone'), fresh('nci-stays')];
        const id = await store.createJob(early([gone, stays], 0, 100), ago(0));
        await store.recordCheckIns([{ node: gone, at: ago(1) }, { node: stays, at: ago(1) }]);
        await store.cancelJob(id, ago(2));
        assert.equal(await store.countNeverCheckedIn(id), 0);
        assert.equal((await store.forgetNode(gone, ago(10))).kind, 'forgotten');
        assert.equal(await store.countNeverCheckedIn(id), 1, 'its check-in is gone with it');
        const after = await store.createJob(early([gone, stays], 20, 100), ago(20));
        assert.equal(await store.countNeverCheckedIn(after), 1, 'a job created after the forget');
        await store.recordCheckIns([{ node: gone, at: ago(21) }]);
        assert.equal(await store.countNeverCheckedIn(id), 0);
        assert.equal(await store.countNeverCheckedIn(after), 0);
      });

      it('counts a job of more nodes than one lookup takes', async () => {
        const nodes = Array.from({ length: 1_200 }, (_, i) => node(`nci-many-${unique}-${i}`, 'many'));
        unique++;
        const id = await store.createJob(early(nodes, 0, 1000), ago(0));
        await store.recordCheckIns(nodes.slice(0, 300).map((n) => ({ node: n, at: ago(1) })));
        const strangers = Array.from({ length: 50 }, (_, i) => node(`nci-stranger-${unique}-${i}`, 'many'));
        await store.recordCheckIns(strangers.map((n) => ({ node: n, at: ago(1) })));
        await store.claimNextTask(nodes[1_199] as NodeRef, ago(2));
        assert.equal(await store.countNeverCheckedIn(id), 899);
      });

      it('counts a forgotten node whose queued task expired, as it counted before the forget', async () => {
        const [expired, silent] = [fresh('nci-expired'), fresh('nci-silent')];
        const id = await store.createJob(early([expired, silent], 0, 10), ago(0));
        assert.equal(await store.countNeverCheckedIn(id), 2);
        await store.recordCheckIns([{ node: expired, at: ago(1) }]);
        assert.equal(await store.countNeverCheckedIn(id), 1);
        // Its window ended at 10 s: the queued task is expired, so the node may be forgotten.
        assert.equal((await store.forgetNode(expired, ago(20))).kind, 'forgotten');
        assert.equal(await store.countNeverCheckedIn(id), 2);
      });

      it('records the job a rerun re-runs', async () => {
        const original = await store.createJob(job([fresh('rerun')], 0, 100), at(-60));
        const rerun = await store.createJob({ ...job([fresh('rerun')], 0, 100), rerunOf: original }, at(-50));
        assert.equal((await store.getJob(rerun, at(2)))?.job.rerunOf, original);
        assert.equal((await store.getJobSummary(original, at(2)))?.rerunOf, undefined);
      });
    });

    describe('cancel of handed-out tasks', () => {
      it('asks the node of a running task to stop, takes its cancelled report, and ends it cancelled', async () => {
        const [a, b, c] = [fresh('stop'), fresh('stop'), fresh('stop')];
        const id = await store.createJob(job([a, b, c], 0, 1_000_000), at(0));
        for (const n of [a, b]) {
          await store.claimNextTask(n, at(1));
          await store.reportStatus(n, { jobId: id, status: 'running', heartbeatIntervalMs: 30_000 }, at(2));
        }
        assert.deepEqual(await store.reportStatus(a, { jobId: id, status: 'cancelled' }, at(3)), { kind: 'cancel_not_requested' });
        const outcome = await store.cancelJob(id, at(10));
        assert.deepEqual([outcome?.cancelled, outcome?.stopping, outcome?.nodeTargeted], [1, 2, true]);
        assert.deepEqual(await store.reportStatus(a, { jobId: id, status: 'running', heartbeatIntervalMs: 30_000 }, at(20)), {
          kind: 'updated',
          stopRequested: true,
        });
        const result = { exitCode: -1, reason: 'cancelled', output: 'so far\n' };
        assert.deepEqual(await store.reportStatus(a, { jobId: id, status: 'cancelled', result }, at(25)), {
          kind: 'updated',
          stopRequested: false,
        });
        const [statusA] = (await store.listTaskStatuses(id, {}, at(26)))?.items ?? [];
        assert.equal(statusA?.status, 'cancelled');
        assert.deepEqual(statusA?.result, result);
        // b's node never answers: its lease ends, and a stop-requested task whose lease ended is cancelled.
        assert.equal((await store.listTaskStatuses(id, {}, at(60)))?.items[1]?.status, 'running');
        const afterLease = at(2 + seconds(MIN_HEARTBEAT_LEASE_MS) + 1);
        assert.equal((await store.listTaskStatuses(id, {}, afterLease))?.items[1]?.status, 'cancelled');
        assert.deepEqual(await filtered(id, 'cancelled', afterLease), [a.name, b.name, c.name]);
        assert.deepEqual(await filtered(id, 'timed_out', afterLease), []);
        assert.equal((await store.getJobSummary(id, afterLease))?.summary.cancelled, 3);
      });

      it('keeps the final report of a node that cannot be told to stop', async () => {
        const n = fresh('oldclient');
        const id = await store.createJob(job([n], 0, 1_000_000), at(0));
        await store.claimNextTask(n, at(1));
        await store.reportStatus(n, { jobId: id, status: 'running' }, at(2));
        assert.equal((await store.cancelJob(id, at(3)))?.stopping, 1);
        const result = { exitCode: 0, reason: '' };
        assert.deepEqual(await store.reportStatus(n, { jobId: id, status: 'success', result }, at(4)), {
          kind: 'updated',
          stopRequested: false,
        });
        assert.equal(await statusOf(id, at(5)), 'success');
      });

      // FerretDB applies an update's filter and its write in two steps: a cancel's "queued ->
      // cancelled" and a claim's "queued -> pending" could both apply to one task. Cancels go
      // through the task's hand-out record, as claims do, so exactly one of them gets each task.
      it('gives each task to exactly one of a cancel and concurrent claims: handed out and asked to stop, or cancelled', async () => {
        for (let round = 0; round < 4; round++) {
          const nodes = Array.from({ length: 30 }, () => fresh('race'));
          const id = await store.createJob(job(nodes, 0, 1_000_000), at(0));
          const claims = nodes.map((n) => store.claimNextTask(n, at(1)));
          const [outcome, ...answers] = await Promise.all([store.cancelJob(id, at(1)), ...claims]);
          const handedOut = new Set(nodes.filter((_, i) => answers[i] !== undefined).map((n) => n.name));
          const statuses = (await store.listTaskStatuses(id, {}, at(2)))?.items ?? [];
          for (const status of statuses) {
            assert.equal(status.status, handedOut.has(status.node.name) ? 'pending' : 'cancelled', `${status.node.name} in round ${round}`);
          }
          assert.equal(outcome?.cancelled, nodes.length - handedOut.size);
          assert.equal(outcome?.stopping, handedOut.size);
          for (const n of nodes.filter((n) => handedOut.has(n.name))) {
            assert.deepEqual(await store.reportStatus(n, { jobId: id, status: 'running', heartbeatIntervalMs: 30_000 }, at(3)), {
              kind: 'updated',
              stopRequested: true,
            });
          }
        }
      });

      it('cancels one node\'s task only, and says when the job does not target the node', async () => {
        const [a, b, c] = [fresh('one'), fresh('one'), fresh('one')];
        const id = await store.createJob(job([a, b, c], 0, 1_000_000), at(0));
        await store.claimNextTask(a, at(1));
        const stopA = await store.cancelJob(id, at(2), a);
        assert.deepEqual([stopA?.cancelled, stopA?.stopping, stopA?.nodeTargeted], [0, 1, true]);
        const cancelB = await store.cancelJob(id, at(2), b);
        assert.deepEqual([cancelB?.cancelled, cancelB?.stopping], [1, 0]);
        assert.equal(await store.claimNextTask(b, at(3)), undefined);
        assert.equal((await store.claimNextTask(c, at(3)))?.jobId, id, 'the other nodes carry on');
        const stranger = await store.cancelJob(id, at(4), fresh('stranger'));
        assert.equal(stranger?.nodeTargeted, false);
        assert.equal(stranger?.cancelled, 0);
      });
    });

    it('counts statuses per job and filters and pages the status list', async () => {
      const nodes = Array.from({ length: 7 }, () => fresh('page'));
      const id = await store.createJob(job(nodes, 0, 100), at(0));
      for (const n of nodes.slice(0, 3)) await store.claimNextTask(n, at(1));
      await store.reportStatus(nodes[0] as NodeRef, { jobId: id, status: 'running' }, at(2));
      const summary = await store.getJobSummary(id, at(3));
      assert.deepEqual(summary?.summary, {
        queued: 4, pending: 2, running: 1, success: 0, failed: 0, timed_out: 0, expired: 0, cancelled: 0,
      });

      const seen: NodeRef[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listTaskStatuses(id, { limit: 3, ...(cursor ? { cursor } : {}) }, at(3));
        assert.ok(page);
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((s) => s.node));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.deepEqual(seen, nodes);
      assert.equal(pages, 3);

      const queued = await store.listTaskStatuses(id, { status: 'queued' }, at(3));
      assert.deepEqual(queued?.items.map((s) => s.node), nodes.slice(3));
      const pending = await store.listTaskStatuses(id, { status: 'pending', limit: 1 }, at(3));
      assert.deepEqual(pending?.items.map((s) => s.node), [nodes[1]]);
      assert.ok(pending?.nextCursor);
      const rest = await store.listTaskStatuses(id, { status: 'pending', limit: 1, cursor: pending.nextCursor }, at(3));
      assert.deepEqual(rest?.items.map((s) => s.node), [nodes[2]]);
      assert.equal(rest?.nextCursor, undefined);
      const expiredLater = await store.listTaskStatuses(id, { status: 'expired' }, at(101));
      assert.equal(expiredLater?.items.length, 4);
      assert.equal((await store.listTaskStatuses(id, { status: 'queued' }, at(101)))?.items.length, 0);
    });

    it('rejects a cursor it did not make', async () => {
      const id = await store.createJob(job([fresh('cursor')], 0, 100), at(0));
      await assert.rejects(store.listTaskStatuses(id, { limit: 1, cursor: 'bogus!' }, at(1)), InvalidCursorError);
      await assert.rejects(store.listJobs({ limit: 1, cursor: 'bogus!' }, at(1)), InvalidCursorError);
    });

    it('lists jobs newest first with counts, page by page', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        created.push(await store.createJob(job([fresh('list'), fresh('list')], 0, 100), at(i)));
      }
      const first = await store.listJobs({ limit: 2 }, at(10));
      assert.deepEqual(first.items.map((j) => j.id), created.slice(-2).reverse());
      assert.equal(first.items[0]?.nodeCount, 2);
      assert.equal(first.items[0]?.summary.queued, 2);
      assert.ok(first.nextCursor);
      const second = await store.listJobs({ limit: 2, cursor: first.nextCursor }, at(10));
      assert.deepEqual(second.items.map((j) => j.id), created.slice(1, 3).reverse());
    });

    it('accepts a job for many nodes in one step', async () => {
      const nodes = Array.from({ length: 5000 }, (_, i) => node(`bulk-${unique}-${i}`, 'bulk'));
      unique++;
      const id = await store.createJob(job(nodes, 0, 100), at(0));
      const summary = await store.getJobSummary(id, at(1));
      assert.equal(summary?.nodeCount, 5000);
      assert.equal(summary?.summary.queued, 5000);
      assert.equal((await store.listTaskStatuses(id, {}, at(1)))?.items.length, 5000);
    });

    it('finds a job\'s statuses by a piece of the node name, literally and ignoring case', async () => {
      const nodes = [node('Web-1', 'shop'), node('web_2', 'shop'), node('db-1', 'shop'), node('webx2', 'other')];
      const id = await store.createJob(job(nodes, 0, 100), at(0));
      const names = async (nodeContains: string, extra = {}) =>
        (await store.listTaskStatuses(id, { nodeContains, ...extra }, at(1)))?.items.map((s) => `${s.node.org}/${s.node.name}`);
      assert.deepEqual(await names('web'), ['shop/Web-1', 'shop/web_2', 'other/webx2']);
      assert.deepEqual(await names('WEB_'), ['shop/web_2'], '_ is not a wildcard');
      assert.deepEqual(await names('%'), [], '% is not a wildcard');
      assert.deepEqual(await names('shop/'), ['shop/Web-1', 'shop/web_2', 'shop/db-1'], 'matches org/name');
      assert.deepEqual(await names('web', { limit: 2 }), ['shop/Web-1', 'shop/web_2']);
      assert.deepEqual(await names('web', { status: 'running' }), []);
    });

    describe('nodes', () => {
      // A store of their own: listing nodes sees every node the store knows.
      let own: OpenedStore;
      before(async () => {
        own = await openStore();
      });
      after(async () => {
        await own?.dispose();
      });

      it('lists targeted nodes that never polled and polled nodes no job targets, with their task counts', async () => {
        const [a, b, c] = [node('a', 'fleet'), node('b', 'fleet'), node('c', 'fleet')];
        const lone = node('lone', 'alone');
        const first = await own.store.createJob(job([a, b], 0, 100), at(0));
        await own.store.createJob(job([b, c], 0, 10), at(0));
        await own.store.claimNextTask(a, at(1));
        await own.store.reportStatus(a, { jobId: first, status: 'failed', result: { exitCode: 2, reason: 'exit error' } }, at(2));
        await own.store.recordCheckIns([{ node: a, at: at(1) }, { node: lone, at: at(3) }]);

        const page = await own.store.listNodes({ limit: 10 }, at(50));
        assert.equal(page.nextCursor, undefined);
        assert.deepEqual(page.items.map((n) => `${n.node.org}/${n.node.name}`), ['alone/lone', 'fleet/a', 'fleet/b', 'fleet/c']);
        const [loneNode, nodeA, nodeB, nodeC] = page.items;
        assert.equal(loneNode?.lastCheckIn?.getTime(), at(3).getTime());
        assert.equal(Object.values(loneNode?.tasks ?? {}).reduce((x, y) => x + y, 0), 0);
        assert.equal(nodeA?.lastCheckIn?.getTime(), at(1).getTime());
        assert.equal(nodeA?.tasks.failed, 1);
        assert.equal(nodeB?.lastCheckIn, undefined, 'targeted, never polled');
        // b's second task's window ended at 10 s: it reads as expired at 50 s.
        assert.deepEqual(nodeB?.tasks, { queued: 1, pending: 0, running: 0, success: 0, failed: 0, timed_out: 0, expired: 1, cancelled: 0 });
        assert.equal(nodeC?.tasks.expired, 1);
      });

      it('keeps the latest check-in whatever order the batches arrive in', async () => {
        const n = node('late', 'order');
        await own.store.recordCheckIns([{ node: n, at: at(20) }]);
        await own.store.recordCheckIns([{ node: n, at: at(10) }]);
        const page = await own.store.listNodes({ limit: 1, cursor: 'fleet/c' }, at(30));
        assert.deepEqual(page.items[0]?.node, n);
        assert.equal(page.items[0]?.lastCheckIn?.getTime(), at(20).getTime());
        await own.store.recordCheckIns([{ node: n, at: at(25) }]);
        const again = await own.store.listNodes({ limit: 1, cursor: 'fleet/c' }, at(30));
        assert.equal(again.items[0]?.lastCheckIn?.getTime(), at(25).getTime());
      });

      it('pages through nodes in org and name order', async () => {
        const many = Array.from({ length: 25 }, (_, i) => node(`n${String(i).padStart(2, '0')}`, 'paged'));
        await own.store.createJob(job(many.slice(0, 15), 0, 100), at(0));
        await own.store.recordCheckIns(many.slice(10).map((n) => ({ node: n, at: at(5) })));
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await own.store.listNodes({ limit: 7, ...(cursor ? { cursor } : {}) }, at(6));
          assert.ok(page.items.length <= 7);
          seen.push(...page.items.map((n) => `${n.node.org}/${n.node.name}`));
          cursor = page.nextCursor;
        } while (cursor);
        const paged = seen.filter((name) => name.startsWith('paged/'));
        assert.deepEqual(paged, many.map((n) => `paged/${n.name}`));
        assert.deepEqual(seen, [...seen].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
        await assert.rejects(own.store.listNodes({ limit: 1, cursor: 'no-slash' }, at(6)), InvalidCursorError);
      });

      const listed = async (org: string, when: Date) => {
        const page = await own.store.listNodes({ limit: 100, cursor: `${org}/-` }, when);
        return page.items.filter((n) => n.node.org === org);
      };

      it('forgets a node whose tasks are finished: it leaves the node list, its jobs still name it, its key stays', async () => {
        const [gone, stays] = [node('gone', 'forget'), node('stays', 'forget')];
        const id = await own.store.createJob(job([gone, stays], 0, 100), at(0));
        await own.store.claimNextTask(gone, at(1));
        await own.store.reportStatus(gone, { jobId: id, status: 'success', result: { exitCode: 0, reason: '' } }, at(2));
        await own.store.cancelJob(id, at(3), stays);
        await own.store.recordCheckIns([{ node: gone, at: at(2) }]);
        await own.store.setNodeKey({ node: gone, publicKey: 'KEY', source: 'admin', createdAt: at(0) });

        const outcome = await own.store.forgetNode(gone, at(10));
        assert.deepEqual(outcome, { kind: 'forgotten', finishedTasks: 1, lastCheckIn: at(2), keyKept: true });
        assert.deepEqual((await listed('forget', at(10))).map((n) => n.node.name), ['stays']);
        const statuses = await own.store.listTaskStatuses(id, {}, at(10));
        assert.deepEqual(statuses?.items.map((s) => [s.node.name, s.status]), [['gone', 'success'], ['stays', 'cancelled']]);
        assert.equal((await own.store.getJobSummary(id, at(10)))?.summary.success, 1);
        assert.equal((await own.store.getNodeKey(gone))?.publicKey, 'KEY');
        assert.deepEqual(await own.store.forgetNode(gone, at(11)), { kind: 'unknown' }, 'forgotten already');
        assert.deepEqual(await own.store.forgetNode(node('never', 'forget'), at(11)), { kind: 'unknown' });
        assert.deepEqual(await own.store.forgetNode(stays, at(12)), { kind: 'forgotten', finishedTasks: 1, keyKept: false });
        assert.deepEqual(await listed('forget', at(12)), []);
      });

      it('refuses to forget a node with a queued, pending or running task, and forgets it once they are over', async () => {
        const [waiting, working] = [node('waiting', 'busy'), node('working', 'busy')];
        const id = await own.store.createJob(job([waiting, working], 0, 100), at(0));
        await own.store.claimNextTask(working, at(1));
        assert.deepEqual(await own.store.forgetNode(waiting, at(2)), { kind: 'busy', unfinished: 1 });
        assert.deepEqual(await own.store.forgetNode(working, at(2)), { kind: 'busy', unfinished: 1 });
        await own.store.reportStatus(working, { jobId: id, status: 'running' }, at(3));
        assert.deepEqual(await own.store.forgetNode(working, at(4)), { kind: 'busy', unfinished: 1 });
        assert.deepEqual((await listed('busy', at(4))).map((n) => n.node.name), ['waiting', 'working']);
        // The window ends at 100 s: the queued task is expired then, and the node may go.
        assert.deepEqual(await own.store.forgetNode(waiting, at(101)), { kind: 'forgotten', finishedTasks: 1, keyKept: false });
        await own.store.reportStatus(working, { jobId: id, status: 'failed', result: { exitCode: 1, reason: 'exit error' } }, at(102));
        assert.equal((await own.store.forgetNode(working, at(103))).kind, 'forgotten');
      });

      it('lists a forgotten node again when a new job targets it or it polls, counting only what came after', async () => {
        const [targeted, polling] = [node('targeted', 'back'), node('polling', 'back')];
        const first = await own.store.createJob(job([targeted, polling], 0, 10), at(0));
        await own.store.cancelJob(first, at(1));
        await own.store.recordCheckIns([{ node: polling, at: at(1) }]);
        assert.equal((await own.store.forgetNode(targeted, at(20))).kind, 'forgotten');
        assert.equal((await own.store.forgetNode(polling, at(20))).kind, 'forgotten');
        assert.deepEqual(await listed('back', at(20)), []);

        await own.store.createJob(job([targeted], 30, 100), at(30));
        await own.store.recordCheckIns([{ node: polling, at: at(31) }]);
        const [again, seen] = await listed('back', at(32));
        assert.deepEqual(again?.node, polling);
        assert.equal(again?.lastCheckIn?.getTime(), at(31).getTime());
        assert.equal(Object.values(again?.tasks ?? {}).reduce((x, y) => x + y, 0), 0, 'its forgotten task does not count');
        assert.deepEqual(seen?.node, targeted);
        assert.equal(seen?.lastCheckIn, undefined);
        assert.deepEqual(seen?.tasks, { queued: 1, pending: 0, running: 0, success: 0, failed: 0, timed_out: 0, expired: 0, cancelled: 0 });
        // The first job still names both.
        assert.equal((await own.store.listTaskStatuses(first, {}, at(32)))?.items.length, 2);
      });

      it('prunes only a node idle since the given time: no check-in and no task created or changed since', async () => {
        const [seen, changed, idle, lone] = [node('seen', 'prune'), node('changed', 'prune'), node('idle', 'prune'), node('lone', 'prune')];
        const id = await own.store.createJob(job([seen, changed, idle], 0, 50), at(0));
        await own.store.cancelJob(id, at(5), idle);
        await own.store.claimNextTask(changed, at(1));
        await own.store.reportStatus(changed, { jobId: id, status: 'success' }, at(40));
        await own.store.claimNextTask(seen, at(2));
        await own.store.reportStatus(seen, { jobId: id, status: 'success' }, at(3));
        await own.store.recordCheckIns([{ node: seen, at: at(45) }, { node: lone, at: at(10) }]);
        const since = at(30);
        assert.deepEqual(await own.store.forgetNode(seen, at(60), since), { kind: 'active' });
        assert.deepEqual(await own.store.forgetNode(changed, at(60), since), { kind: 'active' });
        assert.equal((await own.store.forgetNode(idle, at(60), since)).kind, 'forgotten');
        assert.deepEqual(await own.store.forgetNode(lone, at(60), since), { kind: 'forgotten', finishedTasks: 0, lastCheckIn: at(10), keyKept: false });
        assert.deepEqual((await listed('prune', at(60))).map((n) => n.node.name), ['changed', 'seen']);
      });

      it('forgets the facts a node reported with its check-in: selectors no longer pick it until it reports again', async () => {
        const n = node('facts', 'forgetfacts');
        const tagged = selector({ org: 'forgetfacts', tags_all: ['web'], attributes: { role: 'db' } });
        await own.store.recordNodeFacts([{ node: n, facts: facts({ os: 'ubuntu', tags: ['web'], attributes: { role: 'db' } }), at: at(5) }]);
        assert.equal(await own.store.countNodes(tagged, at(6)), 1);
        assert.deepEqual(await own.store.forgetNode(n, at(10)), { kind: 'forgotten', finishedTasks: 0, lastCheckIn: at(5), keyKept: false });
        assert.equal(await own.store.countNodes(tagged, at(11)), 0);
        assert.equal(await own.store.countNodes(selector({ org: 'forgetfacts' }), at(11)), 0);
        await own.store.recordCheckIns([{ node: n, at: at(12) }]);
        const [back] = await listed('forgetfacts', at(13));
        assert.equal(back?.facts, undefined, 'a poll alone brings no facts back');
        assert.equal(await own.store.countNodes(tagged, at(13)), 0);
        await own.store.recordNodeFacts([{ node: n, facts: facts({ tags: ['web'], attributes: { role: 'db' } }), at: at(14) }]);
        assert.equal(await own.store.countNodes(tagged, at(15)), 1);
      });

      it('pages past many forgotten nodes to the ones still listed', async () => {
        const many = Array.from({ length: 30 }, (_, i) => node(`m${String(i).padStart(2, '0')}`, 'crowd'));
        const id = await own.store.createJob(job(many, 0, 100), at(0));
        await own.store.cancelJob(id, at(1));
        for (const n of many.slice(0, 28)) assert.equal((await own.store.forgetNode(n, at(2))).kind, 'forgotten');
        const page = await own.store.listNodes({ limit: 1, cursor: 'crowd/-' }, at(3));
        assert.deepEqual(page.items.map((n) => n.node.name), ['m28']);
        const next = await own.store.listNodes({ limit: 1, cursor: page.nextCursor as string }, at(3));
        assert.deepEqual(next.items.map((n) => n.node.name), ['m29']);
        // The list's filters skip them too.
        const neverSeen = await own.store.listNodes({ limit: 5, cursor: 'crowd/-', neverSeen: true, nameContains: 'crowd/' }, at(3));
        assert.deepEqual(neverSeen.items.map((n) => n.node.name), ['m28', 'm29']);
        assert.deepEqual((await own.store.listNodes({ limit: 5, nameContains: 'crowd/m0' }, at(3))).items, []);
      });
    });

    it('records which admin key created and cancelled a job, in every read of it', async () => {
      const nodes = [fresh('by')];
      const id = await store.createJob({ ...job(nodes, 0, 100), createdBy: 'alice' }, at(0));
      assert.equal((await store.getJob(id, at(1)))?.job.createdBy, 'alice');
      assert.equal((await store.getJob(id, at(1)))?.job.cancelledBy, undefined);
      assert.equal((await store.getJobSummary(id, at(1)))?.createdBy, 'alice');
      const listed = (await store.listJobs({ limit: 100 }, at(1))).items.find((entry) => entry.id === id);
      assert.equal(listed?.createdBy, 'alice');
      await store.cancelJob(id, at(2), undefined, 'bob');
      await store.cancelJob(id, at(3), undefined, 'carol');
      const cancelled = await store.getJobSummary(id, at(4));
      assert.deepEqual([cancelled?.createdBy, cancelled?.cancelledBy], ['alice', 'carol']);
      assert.equal((await store.getJob(id, at(4)))?.job.cancelledBy, 'carol');
      assert.equal((await store.listJobs({ limit: 100 }, at(4))).items.find((entry) => entry.id === id)?.cancelledBy, 'carol');
      // A cancel of one node's task names its admin too; a node the job does not target changes nothing.
      await store.cancelJob(id, at(5), { org: 'nowhere', name: 'none' }, 'erin');
      assert.equal((await store.getJobSummary(id, at(5)))?.cancelledBy, 'carol');
      await store.cancelJob(id, at(5), nodes[0], 'dave');
      assert.equal((await store.getJobSummary(id, at(5)))?.cancelledBy, 'dave');

      const anonymous = await store.createJob(job([fresh('by')], 0, 100), at(0));
      await store.cancelJob(anonymous, at(1));
      const found = await store.getJob(anonymous, at(1));
      assert.equal(found?.job.createdBy, undefined);
      assert.equal(found?.job.cancelledBy, undefined);
    });

    describe('node list filters', () => {
      it('filters nodes by name text, never seen, unfinished tasks and a selector, all at once', async () => {
        // A store of its own: these filters look at every node the store knows.
        const opened = await openStore();
        const own = opened.store;
        try {
          const [queued, pending, running, done, expired] = ['Web-q', 'web-p', 'db-r', 'db-s', 'web-e'].map((name) => node(name, 'fleet'));
          const lone = node('web-lone', 'alone');
          const quiet = node('db-quiet', 'alone');
          const long = await own.createJob(job([queued, pending, running, done] as NodeRef[], 0, 100_000), at(0));
          await own.createJob(job([expired] as NodeRef[], 0, 10), at(0));
          for (const n of [pending, running, done] as NodeRef[]) assert.equal((await own.claimNextTask(n, at(1)))?.jobId, long);
          await own.reportStatus(running as NodeRef, { jobId: long, status: 'running' }, at(2));
          await own.reportStatus(done as NodeRef, { jobId: long, status: 'success', result: { exitCode: 0, reason: '' } }, at(2));
          // The server records the polls of the nodes that took a task, and these two polled or reported facts.
          await own.recordCheckIns([pending, running, done].map((n) => ({ node: n as NodeRef, at: at(1) })));
          await own.recordCheckIns([{ node: quiet, at: at(1) }]);
          await own.recordNodeFacts([
            { node: lone, facts: facts({ tags: ['web'] }), at: at(3) },
            { node: pending as NodeRef, facts: facts({ tags: ['web'] }), at: at(3) },
          ]);
          const list = async (query: Omit<NodeListQuery, 'limit'>, now = at(50), limit = 100) =>
            (await own.listNodes({ limit, ...query }, now)).items.map((n) => `${n.node.org}/${n.node.name}`);
          const web = selector({ tags_all: ['web'] });

          assert.deepEqual(await list({ nameContains: 'WEB' }), ['alone/web-lone', 'fleet/Web-q', 'fleet/web-e', 'fleet/web-p']);
          assert.deepEqual(await list({ nameContains: 'fleet/db' }), ['fleet/db-r', 'fleet/db-s'], 'the text matches org/name');
          assert.deepEqual(await list({ nameContains: 'web_' }), [], 'literally: _ is no wildcard');
          assert.deepEqual(await list({ neverSeen: true }), ['fleet/Web-q', 'fleet/web-e']);
          assert.deepEqual(await list({ unfinished: true }), ['fleet/Web-q', 'fleet/db-r', 'fleet/web-p']);
          assert.deepEqual(await list({ unfinished: true }, at(200)), ['fleet/Web-q', 'fleet/db-r'], 'a hand-out whose lease ended is not unfinished');
          assert.deepEqual(await list({ unfinished: true, neverSeen: true }), ['fleet/Web-q']);
          assert.deepEqual(await list({ unfinished: true, nameContains: 'db' }), ['fleet/db-r']);
          assert.deepEqual(await list({ selector: web }), ['alone/web-lone', 'fleet/web-p']);
          assert.deepEqual(await list({ selector: web, unfinished: true }), ['fleet/web-p']);
          assert.deepEqual(await list({ selector: web, nameContains: 'LONE' }), ['alone/web-lone']);
          assert.deepEqual(await list({ selector: web, neverSeen: true }), [], 'a selector picks only nodes that were seen');
          assert.deepEqual(await list({ selector: selector({ seen_within: '1m' }) }, at(50)), ['alone/db-quiet', 'alone/web-lone', 'fleet/db-r', 'fleet/db-s', 'fleet/web-p']);

          // Filtered pages follow each other in order, with the same cursor as the full list.
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await own.listNodes({ limit: 1, nameContains: 'web', ...(cursor ? { cursor } : {}) }, at(50));
            seen.push(...page.items.map((n) => `${n.node.org}/${n.node.name}`));
            cursor = page.nextCursor;
          } while (cursor);
          assert.deepEqual(seen, ['alone/web-lone', 'fleet/Web-q', 'fleet/web-e', 'fleet/web-p']);
          assert.deepEqual(await list({ unfinished: true }, at(50), 1), ['fleet/Web-q']);
          assert.equal((await own.listNodes({ limit: 1, unfinished: true, cursor: 'fleet/Web-q' }, at(50))).items[0]?.node.name, 'db-r');
        } finally {
          await opened.dispose();
        }
      });
    });

    describe('node facts and selectors', () => {
      // Each test selects within an org of its own: the shared store holds other tests' nodes.
      let orgs = 0;
      const freshOrg = () => `sel-${++orgs}`;
      const names = (page: { items: NodeRef[] }) => page.items.map((n) => n.name);
      const select = async (json: Record<string, unknown>, now = at(100)) => {
        const chosen = selector(json);
        const page = await store.selectNodes(chosen, { limit: 1000 }, now);
        assert.equal(await store.countNodes(chosen, now), page.items.length, 'count agrees with the selection');
        return names(page);
      };

      it('keeps the last facts a node reported, whole, and counts the report as a check-in', async () => {
        const org = freshOrg();
        const n = node('web1', org);
        await store.recordNodeFacts([
          { node: n, facts: facts({ os: 'ubuntu', osVersion: '22.04', platform: 'linux', arch: 'x64', hostname: 'web1.example', clientVersion: '0.1.0', tags: ['web', 'eu'], attributes: { role: 'frontend', 'rack.id': 'r1' } }), at: at(10) },
        ]);
        let listed = await store.listNodes({ limit: 1, cursor: `${org}/web0` }, at(11));
        assert.deepEqual(listed.items[0]?.node, n);
        assert.equal(listed.items[0]?.lastCheckIn?.getTime(), at(10).getTime());
        assert.deepEqual(listed.items[0]?.facts, {
          os: 'ubuntu', osVersion: '22.04', platform: 'linux', arch: 'x64', hostname: 'web1.example', clientVersion: '0.1.0',
          tags: ['web', 'eu'], attributes: { role: 'frontend', 'rack.id': 'r1' }, reportedAt: at(10),
        });
        // A later poll moves the check-in, not the facts; a new report replaces every fact.
        await store.recordCheckIns([{ node: n, at: at(20) }]);
        await store.recordNodeFacts([{ node: n, facts: facts({ os: 'ubuntu', tags: ['db'] }), at: at(15) }]);
        listed = await store.listNodes({ limit: 1, cursor: `${org}/web0` }, at(21));
        assert.equal(listed.items[0]?.lastCheckIn?.getTime(), at(20).getTime(), 'the later check-in is kept');
        assert.deepEqual(listed.items[0]?.facts, { os: 'ubuntu', tags: ['db'], attributes: {}, reportedAt: at(15) });
        assert.deepEqual(await select({ org, tags_all: ['web'] }), [], 'the old tags are gone');
        assert.deepEqual(await select({ org, tags_all: ['db'] }), ['web1']);
        assert.deepEqual(await select({ org, attributes: { role: 'frontend' } }), [], 'the old attributes are gone');
      });

      it('selects by tags (all of, any of), attributes, os or platform, version and arch, exactly', async () => {
        const org = freshOrg();
        await store.recordNodeFacts([
          { node: node('a', org), facts: facts({ os: 'ubuntu', osVersion: '22.04', platform: 'linux', arch: 'x64', tags: ['web', 'eu'], attributes: { role: 'frontend', tier: '1' } }), at: at(1) },
          { node: node('b', org), facts: facts({ os: 'ubuntu', osVersion: '20.04', platform: 'linux', arch: 'arm64', tags: ['web', 'us'], attributes: { role: 'frontend' } }), at: at(1) },
          { node: node('c', org), facts: facts({ os: 'darwin', platform: 'darwin', arch: 'arm64', tags: ['db'], attributes: { role: 'backend' } }), at: at(1) },
        ]);
        // A node that polls but never reports facts: the original Go client.
        await store.recordCheckIns([{ node: node('go', org), at: at(1) }]);
        assert.deepEqual(await select({ org, tags_all: ['web'] }), ['a', 'b']);
        assert.deepEqual(await select({ org, tags_all: ['web', 'eu'] }), ['a']);
        assert.deepEqual(await select({ org, tags_any: ['eu', 'db'] }), ['a', 'c']);
        assert.deepEqual(await select({ org, tags_all: ['web'], tags_any: ['us', 'db'] }), ['b']);
        assert.deepEqual(await select({ org, tags_all: ['WEB'] }), [], 'case-sensitive');
        assert.deepEqual(await select({ org, attributes: { role: 'frontend' } }), ['a', 'b']);
        assert.deepEqual(await select({ org, attributes: { role: 'frontend', tier: '1' } }), ['a']);
        assert.deepEqual(await select({ org, attributes: { role: 'front' } }), [], 'values are equal, not contained');
        assert.deepEqual(await select({ org, os: 'ubuntu' }), ['a', 'b']);
        assert.deepEqual(await select({ org, os: 'linux' }), ['a', 'b'], 'os matches the platform too');
        assert.deepEqual(await select({ org, os: 'ubuntu', os_version: '22.04' }), ['a']);
        assert.deepEqual(await select({ org, arch: 'arm64' }), ['b', 'c']);
        assert.deepEqual(await select({ org }), ['a', 'b', 'c', 'go'], 'an org alone picks nodes without facts too');
      });

      it('selects by org, a name pattern and a recent check-in, and nodes only targeted by jobs are not candidates', async () => {
        const org = freshOrg();
        await store.recordCheckIns([
          { node: node('web-1', org), at: at(90) },
          { node: node('web-22', org), at: at(10) },
          { node: node('db-1', org), at: at(95) },
          { node: node('web-1', `${org}-other`), at: at(95) },
        ]);
        await store.createJob(job([node('web-never', org)], 0, 1000), at(0));
        assert.deepEqual(await select({ org, name: 'web-*' }), ['web-1', 'web-22']);
        assert.deepEqual(await select({ org, name: 'web-?' }), ['web-1']);
        assert.deepEqual(await select({ org, name: 'WEB-*' }), [], 'case-sensitive');
        assert.deepEqual(await select({ org, name: 'web.1' }), [], 'a dot is a dot');
        assert.deepEqual(await select({ org, seen_within: '30s' }, at(100)), ['db-1', 'web-1']);
        assert.deepEqual(await select({ org, name: 'web-*', seen_within: '2m' }, at(100)), ['web-1', 'web-22']);
      });

      it('pages a selection in org and name order with a cursor', async () => {
        const org = freshOrg();
        const all = Array.from({ length: 23 }, (_, i) => node(`n${String(i).padStart(2, '0')}`, org));
        await store.recordNodeFacts(all.map((n, i) => ({ node: n, facts: facts({ tags: i % 2 === 0 ? ['even'] : ['odd'] }), at: at(1) })));
        const chosen = selector({ org, tags_all: ['even'] });
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.selectNodes(chosen, { limit: 5, ...(cursor ? { cursor } : {}) }, at(2));
          assert.ok(page.items.length <= 5);
          seen.push(...names(page));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(seen, all.filter((_, i) => i % 2 === 0).map((n) => n.name));
        assert.equal(await store.countNodes(chosen, at(2)), 12);
        const listed = await store.listNodes({ limit: 3, selector: chosen }, at(2));
        assert.deepEqual(listed.items.map((n) => n.node.name), ['n00', 'n02', 'n04']);
        assert.deepEqual(listed.items[0]?.facts?.tags, ['even']);
        assert.equal(listed.nextCursor, `${org}/n04`);
        await assert.rejects(store.selectNodes(chosen, { limit: 1, cursor: 'no-slash' }, at(2)), InvalidCursorError);
      });

      it('keeps the selector a job was created with', async () => {
        const targets = selector({ org: 'o', tags_all: ['web'], attributes: { role: 'x' }, name: 'w-*', seen_within: '1h' });
        // Created later than any other test's job, so that it lists first.
        const late = 1_000_000;
        const id = await store.createJob({ ...job([fresh('t')], 0, late + 100), targets }, at(late));
        assert.deepEqual((await store.getJob(id, at(late)))?.job.targets, targets);
        assert.deepEqual((await store.getJobSummary(id, at(late)))?.targets, targets);
        const listed = await store.listJobs({ limit: 1 }, at(late));
        assert.deepEqual(listed.items[0]?.targets, targets);
        const plain = await store.createJob(job([fresh('t')], 0, 100), at(2));
        assert.equal((await store.getJob(plain, at(3)))?.job.targets, undefined);
      });
    });

    describe('node keys', () => {
      const keyOf = (n: NodeRef, publicKey: string, source: NodeKey['source'] = 'enrollment'): NodeKey => ({
        node: n,
        publicKey,
        source,
        createdAt: at(0),
      });

      it('lets the first key enrolled for a node win, the same key again change nothing, and another key conflict', async () => {
        const n = fresh('enroll');
        assert.equal(await store.getNodeKey(n), undefined);
        assert.deepEqual(await store.enrollNodeKey(keyOf(n, 'KEY-A')), { kind: 'enrolled' });
        assert.deepEqual(await store.enrollNodeKey({ ...keyOf(n, 'KEY-A'), createdAt: at(9) }), { kind: 'unchanged' });
        assert.deepEqual(await store.enrollNodeKey(keyOf(n, 'KEY-B')), { kind: 'conflict' });
        const stored = await store.getNodeKey(n);
        assert.equal(stored?.publicKey, 'KEY-A');
        assert.equal(stored?.source, 'enrollment');
        assert.equal(stored?.createdAt.getTime(), at(0).getTime());
        assert.deepEqual(stored?.node, n);
      });

      it('keeps keys apart by org and name', async () => {
        const n = fresh('same-name');
        const other = node(n.name, 'other-org');
        await store.enrollNodeKey(keyOf(n, 'KEY-1'));
        assert.deepEqual(await store.enrollNodeKey(keyOf(other, 'KEY-2')), { kind: 'enrolled' });
        assert.equal((await store.getNodeKey(other))?.publicKey, 'KEY-2');
        assert.equal((await store.getNodeKey(n))?.publicKey, 'KEY-1');
      });

      it('enrolls exactly one of many different keys sent at once', async () => {
        const n = fresh('race');
        const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => store.enrollNodeKey(keyOf(n, `KEY-${i}`))));
        assert.equal(outcomes.filter((outcome) => outcome.kind === 'enrolled').length, 1);
        assert.equal(outcomes.filter((outcome) => outcome.kind === 'conflict').length, 7);
        const winner = outcomes.findIndex((outcome) => outcome.kind === 'enrolled');
        assert.equal((await store.getNodeKey(n))?.publicKey, `KEY-${winner}`);
      });

      it('replaces a key set by an administrator, and a reset lets the node enroll again', async () => {
        const n = fresh('admin');
        await store.setNodeKey(keyOf(n, 'ADMIN-1', 'admin'));
        await store.setNodeKey(keyOf(n, 'ADMIN-2', 'admin'));
        assert.equal((await store.getNodeKey(n))?.publicKey, 'ADMIN-2');
        assert.equal((await store.getNodeKey(n))?.source, 'admin');
        assert.deepEqual(await store.enrollNodeKey(keyOf(n, 'ADMIN-2')), { kind: 'unchanged' });
        assert.deepEqual(await store.enrollNodeKey(keyOf(n, 'NODE-1')), { kind: 'conflict' });
        assert.equal(await store.resetNodeKey(n), true);
        assert.equal(await store.resetNodeKey(n), false);
        assert.equal(await store.getNodeKey(n), undefined);
        assert.deepEqual(await store.enrollNodeKey(keyOf(n, 'NODE-1')), { kind: 'enrolled' });
        assert.equal((await store.getNodeKey(n))?.publicKey, 'NODE-1');
      });
    });

    it('answers a health check', async () => {
      await store.checkHealth();
    });

    defineDeliveryConformance(() => store, fresh);
  });
}
