// The wire contract (the original Go Foodtruck's API, documented in docs/api.md), over TCP against the real server process. Each driver's
// test file calls `defineContractSuite` with the environment that selects its store.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, jobBody } from './support/api-client.js';
import { startServer, type ServerProcess } from './support/server-process.js';

export interface ContractEnvironment {
  env: Record<string, string | undefined>;
  dispose: () => Promise<void>;
}

/** Small limits so the "too many" and "too large" answers can be reached cheaply. */
const MAX_NODES = 500;
const BODY_LIMIT = 256 * 1024;

export function defineContractSuite(driver: string, prepare: () => Promise<ContractEnvironment>): void {
  describe(`wire contract over TCP: ${driver}`, () => {
    let server: ServerProcess;
    let environment: ContractEnvironment;
    let unique = 0;
    const node = (label: string) => ({ org: 'org', name: `${label}-${++unique}-${Date.now()}` });
    const admin = (path: string, init: Parameters<typeof call>[1] = {}) =>
      call(`${server.url}${path}`, { key: server.adminKey, ...init });
    const nodeCall = (n: { org: string; name: string }, verb: 'next' | 'status', json?: unknown) =>
      call(`${server.url}/organizations/${n.org}/foodtruck/nodes/${n.name}/tasks/${verb}`, {
        method: 'POST',
        key: server.nodesKey,
        ...(json === undefined ? {} : { json }),
      });
    const createJob = async (body: unknown): Promise<string> => {
      const answer = await admin('/admin/jobs', { json: body });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.id as string;
    };

    before(async () => {
      environment = await prepare();
      server = await startServer({
        env: {
          FOODTRUCK_MAX_JOB_NODES: String(MAX_NODES),
          FOODTRUCK_JOB_BODY_LIMIT: String(BODY_LIMIT),
          ...environment.env,
        },
      });
    });
    after(async () => {
      await server?.stop();
      server?.cleanup();
      await environment?.dispose();
    });

    describe('authentication', () => {
      it('answers 401 Unauthorized for a missing, wrong or malformed key, and never mixes the two keys', async () => {
        const n = node('auth');
        const cases: Array<[string, Record<string, string>]> = [
          ['/admin/jobs', {}],
          ['/admin/jobs', { authorization: 'Bearer wrong-key-wrong-key' }],
          ['/admin/jobs', { authorization: `Bearer ${server.nodesKey}` }],
          ['/admin/jobs', { authorization: `Basic ${server.adminKey}` }],
          ['/admin/jobs', { authorization: 'Bearer' }],
          ['/admin/jobs', { authorization: `Bearer ${server.adminKey}x` }],
          ['/admin/jobs', { authorization: `Bearer ${server.adminKey.slice(0, -1)}` }],
          ['/admin/jobs', { authorization: `Bearer ${server.adminKey.toUpperCase()}` }],
          [`/organizations/org/foodtruck/nodes/${n.name}/tasks/next`, {}],
          [`/organizations/org/foodtruck/nodes/${n.name}/tasks/next`, { authorization: `Bearer ${server.adminKey}` }],
          [`/organizations/org/foodtruck/nodes/${n.name}/tasks/status`, { authorization: `Bearer ${server.adminKey}` }],
        ];
        for (const [path, headers] of cases) {
          const method = path.startsWith('/admin') ? 'GET' : 'POST';
          const answer = await call(`${server.url}${path}`, { method, headers });
          assert.equal(answer.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
          assert.deepEqual(answer.body, { message: 'Unauthorized' });
        }
        const protectedRoutes = ['/admin/jobs/5ff7686a91072739255a4a35', '/admin/jobs/5ff7686a91072739255a4a35/summary'];
        for (const path of protectedRoutes) {
          assert.equal((await call(`${server.url}${path}`)).status, 401);
        }
        assert.equal((await call(`${server.url}/admin/jobs/5ff7686a91072739255a4a35/cancel`, { method: 'POST' })).status, 401);
      });

      it('checks the key before reading the body', async () => {
        const answer = await call(`${server.url}/admin/jobs`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
        assert.equal(answer.status, 401);
      });
    });

    describe('POST /admin/jobs', () => {
      it('answers a 24 lowercase hex id and keeps the job as sent, times in UTC', async () => {
        const nodes = [node('create'), node('create')];
        const spec = { url: 'https://example.com/policy.tar.gz', unicode: 'žluťoučký kůň 🚚', list: [1, null, true] };
        const id = await createJob({
          task: { window_start: '2020-12-25T21:06:45+00:00', window_end: '2099-12-27T23:07:00+02:00', provider: 'infra', spec },
          nodes,
        });
        assert.match(id, /^[0-9a-f]{24}$/);
        const answer = await admin(`/admin/jobs/${id}`);
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body.job.task, {
          window_start: '2020-12-25T21:06:45Z',
          window_end: '2099-12-27T21:07:00Z',
          provider: 'infra',
          spec,
        });
        assert.equal(answer.body.job.id, id);
        assert.deepEqual(answer.body.job.nodes, nodes);
        assert.equal('statuses' in answer.body, false, 'no statuses key without fetchStatuses=true');
        assert.equal(answer.body.summary.queued, 2);
      });

      it('checks in the contract order, with its exact messages', async () => {
        const past = '2001-01-01T00:00:00Z';
        const future = '2099-01-01T00:00:00Z';
        const good = { window_start: past, window_end: future, provider: 'infra', spec: {} };
        const n = node('order');
        const cases: Array<[string, unknown, string]> = [
          ['empty body', undefined, 'no nodes provided'],
          ['empty object', {}, 'no nodes provided'],
          ['empty nodes', { task: good, nodes: [] }, 'no nodes provided'],
          ['nodes but no task', { nodes: [n] }, 'window_start must be provided'],
          ['no window_start', { task: { ...good, window_start: undefined }, nodes: [n] }, 'window_start must be provided'],
          ['no window_end', { task: { ...good, window_end: undefined }, nodes: [n] }, 'window_end must be provided'],
          ['end before start', { task: { ...good, window_start: future, window_end: past }, nodes: [n] }, 'window_end must be after window_start'],
          ['window over', { task: { ...good, window_end: '2002-01-01T00:00:00Z' }, nodes: [n] }, 'window has already expired'],
          ['no provider', { task: { ...good, provider: undefined }, nodes: [n] }, 'task provider must be provided'],
          ['empty provider', { task: { ...good, provider: '' }, nodes: [n] }, 'task provider must be provided'],
          ['node without name', { task: good, nodes: [n, { org: 'org' }] }, 'nodes[1] is not a valid node'],
          ['node with empty org', { task: good, nodes: [{ org: '', name: 'x' }] }, 'nodes[0] is not a valid node'],
          ['provider before nodes', { task: { ...good, provider: '' }, nodes: [{}] }, 'task provider must be provided'],
        ];
        for (const [label, body, message] of cases) {
          const answer =
            body === undefined
              ? await admin('/admin/jobs', { method: 'POST', headers: { 'content-type': 'application/json' } })
              : await admin('/admin/jobs', { json: body });
          assert.equal(answer.status, 400, label);
          assert.deepEqual(answer.body, { message }, label);
        }
      });

      it('answers exactly "invalid request json" for a body that is not JSON', async () => {
        for (const body of ['{', '{"task": ', 'nodes', '{"a":1}}']) {
          const answer = await admin('/admin/jobs', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
          assert.equal(answer.status, 400, body);
          assert.deepEqual(answer.body, { message: 'invalid request json' }, body);
        }
      });

      it('answers "invalid request json: ..." for JSON of the wrong shape', async () => {
        const n = node('shape');
        const cases: unknown[] = [
          [],
          'text',
          42,
          null,
          { nodes: 'node1' },
          { nodes: [n], task: 'infra' },
          { nodes: [n], task: { window_start: 'yesterday' } },
          { nodes: [n], task: { window_start: '2020-12-25 21:06:45' } },
          { nodes: [n], task: { window_start: '2020-13-25T21:06:45Z' } },
          { nodes: [n], task: { window_end: 1700000000 } },
          { nodes: [n], task: { provider: ['infra'] } },
          { nodes: [{ org: 1, name: 'x' }] },
          { nodes: ['org/name'] },
        ];
        for (const body of cases) {
          const answer = await admin('/admin/jobs', { json: body });
          assert.equal(answer.status, 400, JSON.stringify(body));
          assert.match(answer.body.message, /^invalid request json: /, JSON.stringify(body));
        }
      });

      it('refuses unsafe provider names, odd node names, duplicates, too many nodes and too large bodies', async () => {
        const n = node('limits');
        const base = jobBody([n]);
        for (const provider of ['../bin/sh', 'a/b', 'a\\b', 'two words', 'tab\there', 'x..y', '.hidden', 'ä']) {
          const answer = await admin('/admin/jobs', { json: { ...base, task: { ...base.task, provider } } });
          assert.equal(answer.status, 400, provider);
          assert.match(answer.body.message, /^task provider must be a plain executable name/, provider);
        }
        for (const bad of [{ org: 'org', name: 'a/b' }, { org: 'o rg', name: 'x' }, { org: 'org', name: '..' }, { org: 'org', name: 'x\u0000' }]) {
          const answer = await admin('/admin/jobs', { json: jobBody([n, bad]) });
          assert.equal(answer.status, 400, JSON.stringify(bad));
          assert.match(answer.body.message, /^nodes\[1\] has an invalid org or name/);
        }
        const duplicate = await admin('/admin/jobs', { json: jobBody([n, node('other'), { ...n }]) });
        assert.equal(duplicate.status, 400);
        assert.equal(duplicate.body.message, `nodes[2] duplicates nodes[0] (${n.org}/${n.name})`);

        const many = Array.from({ length: MAX_NODES + 1 }, (_, i) => ({ org: 'org', name: `many-${i}` }));
        const tooMany = await admin('/admin/jobs', { json: jobBody(many) });
        assert.equal(tooMany.status, 400);
        assert.equal(tooMany.body.message, `too many nodes: ${MAX_NODES + 1} given, at most ${MAX_NODES} per job`);

        const huge = await admin('/admin/jobs', { json: jobBody([n], { spec: 'x'.repeat(BODY_LIMIT) }) });
        assert.equal(huge.status, 400);
        assert.equal(huge.body.message, `request body is too large: at most ${BODY_LIMIT} bytes`);

        const badTimeout = await admin('/admin/jobs', { json: jobBody([n], { timeout: 'soon' }) });
        assert.equal(badTimeout.status, 400);
        assert.match(badTimeout.body.message, /^task timeout must be a positive Go duration/);
      });

      it('reads JSON whatever the charset parameter or letter case of its content type', async () => {
        for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.foodtruck+json']) {
          const answer = await admin('/admin/jobs', { method: 'POST', body: '{}', headers: { 'content-type': type } });
          assert.deepEqual([answer.status, answer.body], [400, { message: 'no nodes provided' }], type);
        }
      });

      it('reads the body as JSON whatever its content type says, as curl -d and scripts send it', async () => {
        const n = node('content-type');
        const body = JSON.stringify(jobBody([n]));
        for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'text/plain; charset=utf-8', 'application/octet-stream']) {
          const empty = await admin('/admin/jobs', { method: 'POST', body: '{}', headers: { 'content-type': type } });
          assert.deepEqual([empty.status, empty.body], [400, { message: 'no nodes provided' }], type);
          const broken = await admin('/admin/jobs', { method: 'POST', body: 'nodes=1', headers: { 'content-type': type } });
          assert.deepEqual([broken.status, broken.body], [400, { message: 'invalid request json' }], type);
          const created = await admin('/admin/jobs', { method: 'POST', body, headers: { 'content-type': type } });
          assert.equal(created.status, 200, type);
        }
        const status = await call(`${server.url}/organizations/${n.org}/foodtruck/nodes/${n.name}/tasks/status`, {
          method: 'POST', key: server.nodesKey, body: '{"status": "running"}', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        assert.deepEqual([status.status, status.body], [400, { message: 'job_id must be provided' }]);
        const badStatus = await call(`${server.url}/organizations/${n.org}/foodtruck/nodes/${n.name}/tasks/status`, {
          method: 'POST', key: server.nodesKey, body: '{"job_id": "x"}', headers: { 'content-type': 'text/plain' },
        });
        assert.deepEqual([badStatus.status, badStatus.body], [400, { message: 'status must be one of (pending,running,failed,success)' }]);
      });

      it('reads Go\'s zero time as a missing window_start or window_end, in the contract\'s order', async () => {
        const n = node('zero-time');
        const zero = '0001-01-01T00:00:00Z';
        const both = await admin('/admin/jobs', { json: jobBody([n], { window_start: zero, window_end: zero }) });
        assert.deepEqual([both.status, both.body], [400, { message: 'window_start must be provided' }]);
        const start = await admin('/admin/jobs', { json: jobBody([n], { window_start: '0001-01-01T01:00:00+01:00' }) });
        assert.deepEqual([start.status, start.body], [400, { message: 'window_start must be provided' }]);
        const end = await admin('/admin/jobs', { json: jobBody([n], { window_end: zero }) });
        assert.deepEqual([end.status, end.body], [400, { message: 'window_end must be provided' }]);
        // Any other time in year 1 is a time like any other: a window ending then has expired.
        const year1 = await admin('/admin/jobs', { json: jobBody([n], { window_start: '0001-01-01T00:00:01Z' }) });
        assert.equal(year1.status, 200);
      });

      it('keeps an optional task timeout and hands it to the node', async () => {
        const n = node('timeout');
        const id = await createJob(jobBody([n], { timeout: '1h30m' }));
        assert.equal((await admin(`/admin/jobs/${id}`)).body.job.task.timeout, '1h30m');
        const next = await nodeCall(n, 'next');
        assert.equal(next.body.timeout, '1h30m');
      });
    });

    describe('GET /admin/jobs/:job_id', () => {
      it('answers one status per targeted node from creation, queued and without result', async () => {
        const nodes = [node('st'), node('st'), node('st')];
        const id = await createJob(jobBody(nodes));
        const answer = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
        assert.equal(answer.status, 200);
        assert.equal(answer.body.statuses.length, 3);
        for (const [index, status] of (answer.body.statuses as Array<Record<string, unknown>>).entries()) {
          const n = nodes[index] as { org: string; name: string };
          assert.equal(status.job_id, id);
          assert.equal(status.node_name, `${n.org}/${n.name}`);
          assert.deepEqual(status.node, n);
          assert.equal(status.status, 'queued');
          assert.match(status.last_updated as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
          assert.equal('result' in status, false);
        }
        assert.equal('next_cursor' in answer.body, false, 'unpaged answers carry no cursor');
      });

      it('answers 404 job not found for unknown and malformed ids', async () => {
        for (const id of ['5ff7686a91072739255a4a35', 'nope', '5FF7686A91072739255A4A35', '5ff7686a91072739255a4a3']) {
          const answer = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
          assert.equal(answer.status, 404, id);
          assert.deepEqual(answer.body, { message: 'job not found' });
        }
      });

      it('narrows statuses by status and pages them with limit and cursor', async () => {
        const nodes = Array.from({ length: 5 }, () => node('pg'));
        const id = await createJob(jobBody(nodes));
        await nodeCall(nodes[1] as { org: string; name: string }, 'next');
        await nodeCall(nodes[3] as { org: string; name: string }, 'next');
        const pending = await admin(`/admin/jobs/${id}?fetchStatuses=true&status=pending`);
        assert.deepEqual(pending.body.statuses.map((s: { node: unknown }) => s.node), [nodes[1], nodes[3]]);
        const seen: unknown[] = [];
        let cursor: string | null = null;
        do {
          const page: Awaited<ReturnType<typeof admin>> = await admin(
            `/admin/jobs/${id}?fetchStatuses=true&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          );
          assert.equal(page.status, 200);
          assert.ok(page.body.statuses.length <= 2);
          seen.push(...page.body.statuses.map((s: { node: unknown }) => s.node));
          cursor = page.body.next_cursor;
        } while (cursor);
        assert.deepEqual(seen, nodes);
        for (const [query, message] of [
          ['status=done', 'status must be one of (queued,pending,running,success,failed,timed_out,expired,cancelled)'],
          ['limit=0', 'limit must be a whole number from 1 to 1000'],
          ['limit=abc', 'limit must be a whole number from 1 to 1000'],
          ['limit=2&cursor=%24%24', 'invalid cursor'],
        ]) {
          const answer = await admin(`/admin/jobs/${id}?fetchStatuses=true&${query}`);
          assert.equal(answer.status, 400, query);
          assert.deepEqual(answer.body, { message }, query);
        }
      });
    });

    describe('POST .../tasks/next', () => {
      it('answers 404 no tasks available when there is nothing for the node', async () => {
        const answer = await nodeCall(node('idle'), 'next');
        assert.equal(answer.status, 404);
        assert.deepEqual(answer.body, { message: 'no tasks available' });
      });

      it('hands out the earliest window first, once, and marks it pending', async () => {
        const n = node('next');
        const hour = 3_600_000;
        const later = await createJob(jobBody([n], { window_start: new Date(Date.now() - 1000).toISOString(), spec: { which: 'later' } }));
        const earlier = await createJob(jobBody([n], { window_start: new Date(Date.now() - hour).toISOString(), spec: { which: 'earlier' } }));
        await createJob(jobBody([n], { window_start: new Date(Date.now() + hour).toISOString(), window_end: new Date(Date.now() + 2 * hour).toISOString() }));
        const first = await nodeCall(n, 'next');
        assert.equal(first.status, 200);
        assert.equal(first.body.job_id, earlier);
        assert.deepEqual(first.body.spec, { which: 'earlier' });
        assert.equal(first.body.provider, 'infra');
        assert.match(first.body.window_start, /Z$/);
        assert.deepEqual(Object.keys(first.body).sort(), ['job_id', 'provider', 'spec', 'window_end', 'window_start']);
        const second = await nodeCall(n, 'next');
        assert.equal(second.body.job_id, later);
        assert.equal((await nodeCall(n, 'next')).status, 404, 'a future window is not handed out');
        const statuses = await admin(`/admin/jobs/${earlier}?fetchStatuses=true`);
        assert.equal(statuses.body.statuses[0].status, 'pending');
      });

      it('hands each task out once under many concurrent polls for one node', async () => {
        const n = node('race');
        const ids = new Set<string>();
        for (let i = 0; i < 25; i++) ids.add(await createJob(jobBody([n])));
        const answers = await Promise.all(Array.from({ length: 100 }, () => nodeCall(n, 'next')));
        const handed = answers.filter((a) => a.status === 200).map((a) => a.body.job_id as string);
        assert.equal(handed.length, 25);
        assert.deepEqual(new Set(handed), ids);
        const unexpected = answers.filter((a) => !(a.status === 200 || (a.status === 404 && a.body.message === 'no tasks available')));
        assert.deepEqual(unexpected.map((a) => [a.status, a.body]), []);
      });

      it('never hands out a task whose window ended, and shows it expired', async () => {
        const n = node('expire');
        const id = await createJob(jobBody([n], { window_end: new Date(Date.now() + 1200).toISOString() }));
        await sleep(1500);
        assert.equal((await nodeCall(n, 'next')).status, 404);
        const answer = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
        assert.equal(answer.body.statuses[0].status, 'expired');
        assert.equal(answer.body.summary.expired, 1);
      });

      it('answers 400 for a node name with odd characters', async () => {
        const answer = await call(`${server.url}/organizations/org/foodtruck/nodes/a%20b/tasks/next`, { method: 'POST', key: server.nodesKey });
        assert.equal(answer.status, 400);
        assert.match(answer.body.message, /^invalid node/);
      });
    });

    describe('POST .../tasks/status', () => {
      it('records the status and result, answering 200 {}', async () => {
        const n = node('status');
        const id = await createJob(jobBody([n]));
        await nodeCall(n, 'next');
        assert.deepEqual(await nodeCall(n, 'status', { job_id: id, status: 'running' }), { status: 200, body: {}, headers: (await nodeCall(n, 'status', { job_id: id, status: 'running' })).headers });
        const done = await nodeCall(n, 'status', { job_id: id, status: 'failed', result: { exit_code: 3, reason: 'exit error', output: 'out ✓\n' } });
        assert.equal(done.status, 200);
        assert.deepEqual(done.body, {});
        const answer = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
        assert.equal(answer.body.statuses[0].status, 'failed');
        assert.deepEqual(answer.body.statuses[0].result, { exit_code: 3, reason: 'exit error', output: 'out ✓\n' });
        assert.equal(answer.body.summary.failed, 1);
      });

      it('leaves an empty reason out of the result, as the original did', async () => {
        const n = node('empty-reason');
        const id = await createJob(jobBody([n]));
        await nodeCall(n, 'next');
        assert.equal((await nodeCall(n, 'status', { job_id: id, status: 'success', result: { exit_code: 0, reason: '' } })).status, 200);
        const answer = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
        assert.deepEqual(answer.body.statuses[0].result, { exit_code: 0 });
        const page = await admin(`/admin/jobs/${id}/statuses`);
        assert.deepEqual(page.body.statuses[0].result, { exit_code: 0 });
      });

      it('answers the exact messages for a missing job_id or a bad status', async () => {
        const n = node('bad-status');
        const cases: Array<[unknown, string]> = [
          [{ status: 'running' }, 'job_id must be provided'],
          [{ job_id: '', status: 'running' }, 'job_id must be provided'],
          [{ job_id: '5ff7686a91072739255a4a35' }, 'status must be one of (pending,running,failed,success)'],
          [{ job_id: '5ff7686a91072739255a4a35', status: 'queued' }, 'status must be one of (pending,running,failed,success)'],
          [{ job_id: '5ff7686a91072739255a4a35', status: 'done' }, 'status must be one of (pending,running,failed,success)'],
        ];
        for (const [body, message] of cases) {
          const answer = await nodeCall(n, 'status', body);
          assert.equal(answer.status, 400, JSON.stringify(body));
          assert.deepEqual(answer.body, { message });
        }
        const notJson = await call(`${server.url}/organizations/org/foodtruck/nodes/${n.name}/tasks/status`, {
          method: 'POST', key: server.nodesKey, body: '{"job_id":', headers: { 'content-type': 'application/json' },
        });
        assert.deepEqual([notJson.status, notJson.body], [400, { message: 'invalid request json' }]);
        const wrongShape = await nodeCall(n, 'status', { job_id: 'x', status: 'running', result: { exit_code: 'one' } });
        assert.equal(wrongShape.status, 400);
        assert.match(wrongShape.body.message, /^invalid request json: /);
      });

      it('answers 404 for a job/node pair that was never targeted and 409 for a final task', async () => {
        const n = node('final');
        const id = await createJob(jobBody([n]));
        const stranger = await nodeCall(node('stranger'), 'status', { job_id: id, status: 'running' });
        assert.equal(stranger.status, 404);
        assert.equal(typeof stranger.body.message, 'string');
        const unknownJob = await nodeCall(n, 'status', { job_id: '5ff7686a91072739255a4a35', status: 'running' });
        assert.equal(unknownJob.status, 404);
        await nodeCall(n, 'next');
        assert.equal((await nodeCall(n, 'status', { job_id: id, status: 'success', result: { exit_code: 0, reason: '' } })).status, 200);
        const again = await nodeCall(n, 'status', { job_id: id, status: 'running' });
        assert.equal(again.status, 409);
        assert.equal(again.body.message, 'task is already success and cannot change');
      });
    });

    describe('beyond the seed', () => {
      it('lists jobs newest first, cursor-paged, with node and status counts', async () => {
        const first = await createJob(jobBody([node('list')]));
        const second = await createJob(jobBody([node('list'), node('list')]));
        const page = await admin('/admin/jobs?limit=1');
        assert.equal(page.status, 200);
        assert.equal(page.body.jobs.length, 1);
        assert.equal(page.body.jobs[0].id, second);
        assert.equal(page.body.jobs[0].node_count, 2);
        assert.equal(page.body.jobs[0].summary.queued, 2);
        assert.equal('nodes' in page.body.jobs[0], false);
        const next = await admin(`/admin/jobs?limit=1&cursor=${page.body.next_cursor as string}`);
        assert.equal(next.body.jobs[0].id, first);
        assert.deepEqual((await admin('/admin/jobs?cursor=zzz')).body, { message: 'invalid cursor' });
      });

      it('answers a job summary without its nodes', async () => {
        const id = await createJob(jobBody([node('sum'), node('sum')]));
        const answer = await admin(`/admin/jobs/${id}/summary`);
        assert.equal(answer.status, 200);
        assert.equal(answer.body.id, id);
        assert.equal(answer.body.node_count, 2);
        assert.equal(answer.body.summary.queued, 2);
        assert.equal((await admin('/admin/jobs/5ff7686a91072739255a4a35/summary')).status, 404);
      });

      it('cancels the tasks not yet picked up', async () => {
        const [a, b] = [node('cancel'), node('cancel')];
        const id = await createJob(jobBody([a, b]));
        await nodeCall(a, 'next');
        const answer = await admin(`/admin/jobs/${id}/cancel`, { method: 'POST' });
        assert.equal(answer.status, 200);
        assert.equal(answer.body.cancelled, 1);
        assert.equal(answer.body.summary.pending, 1);
        assert.equal(answer.body.summary.cancelled, 1);
        assert.equal((await nodeCall(b, 'next')).status, 404);
        assert.equal((await nodeCall(b, 'status', { job_id: id, status: 'running' })).status, 409);
        assert.deepEqual((await admin('/admin/jobs/5ff7686a91072739255a4a35/cancel', { method: 'POST' })).body, { message: 'job not found' });
      });

      it('asks the node of a running task to stop in the answer to its next report, and takes its cancelled report', async () => {
        const [a, b, c] = [node('stop'), node('stop'), node('stop')];
        const id = await createJob(jobBody([a, b, c]));
        await nodeCall(a, 'next');
        const running = { job_id: id, status: 'running', heartbeat_interval: '30s' };
        assert.deepEqual((await nodeCall(a, 'status', running)).body, {});
        const refused = await nodeCall(a, 'status', { job_id: id, status: 'cancelled' });
        assert.deepEqual([refused.status, refused.body], [400, { message: 'status must be one of (pending,running,failed,success)' }]);
        const one = await admin(`/admin/jobs/${id}/cancel?node=${a.org}/${a.name}`, { method: 'POST' });
        assert.equal(one.status, 200, JSON.stringify(one.body));
        assert.deepEqual([one.body.id, one.body.cancelled, one.body.stopping], [id, 0, 1]);
        assert.equal((await nodeCall(b, 'next')).status, 200, 'a per-node cancel leaves the other nodes alone');
        const heartbeat = await nodeCall(a, 'status', running);
        assert.deepEqual([heartbeat.status, heartbeat.body], [200, { cancel: true }]);
        const result = { exit_code: 143, reason: 'cancelled', output: 'half way\n' };
        const stopped = await nodeCall(a, 'status', { job_id: id, status: 'cancelled', result });
        assert.deepEqual([stopped.status, stopped.body], [200, {}]);
        const all = await admin(`/admin/jobs/${id}/cancel`, { method: 'POST' });
        assert.deepEqual([all.body.cancelled, all.body.stopping], [1, 1], 'c was queued, b pending');
        const statuses = (await admin(`/admin/jobs/${id}?fetchStatuses=true`)).body.statuses;
        assert.deepEqual(statuses.map((s: { status: string }) => s.status), ['cancelled', 'pending', 'cancelled']);
        assert.deepEqual(statuses[0].result, result);
        const stranger = await admin(`/admin/jobs/${id}/cancel?node=org/nobody-here`, { method: 'POST' });
        assert.equal(stranger.status, 404);
        assert.equal(stranger.body.message, `job ${id} does not target node org/nobody-here`);
        const malformed = await admin(`/admin/jobs/${id}/cancel?node=just-a-name`, { method: 'POST' });
        assert.equal(malformed.status, 400);
        assert.match(malformed.body.message, /^node must be "org\/name"/);
      });

      it('keeps a job name and rate limits, answers them in every job answer, and refuses bad ones', async () => {
        const nodes = [node('named'), node('named')];
        const id = await createJob({ ...jobBody(nodes), name: 'Patch Tuesday ✓', max_concurrency: '10%', max_errors: 0 });
        const expected = { name: 'Patch Tuesday ✓', max_concurrency: '10%', max_errors: 0 };
        const full = (await admin(`/admin/jobs/${id}`)).body.job;
        assert.deepEqual([full.name, full.max_concurrency, full.max_errors], Object.values(expected));
        // Every form of the job read: whole, with every status, and a page of statuses.
        for (const query of ['?fetchStatuses=true', '?fetchStatuses=true&status=queued', '?fetchStatuses=true&limit=1']) {
          const read = (await admin(`/admin/jobs/${id}${query}`)).body.job;
          assert.deepEqual([read.name, read.max_concurrency, read.max_errors], Object.values(expected), query);
        }
        const summary = (await admin(`/admin/jobs/${id}/summary`)).body;
        assert.deepEqual([summary.name, summary.max_concurrency, summary.max_errors], Object.values(expected));
        assert.equal(summary.never_checked_in, 2);
        const listed = (await admin(`/admin/jobs?name=${encodeURIComponent('patch tuesday')}`)).body.jobs;
        assert.deepEqual(listed.map((job: { id: string }) => job.id), [id]);
        assert.equal('stopped' in full, false);
        const plain = (await admin(`/admin/jobs/${await createJob(jobBody([node('plain')]))}`)).body.job;
        for (const field of ['name', 'max_concurrency', 'max_errors', 'stopped', 'rerun_of']) assert.equal(field in plain, false, field);

        const bad: Array<[Record<string, unknown>, RegExp]> = [
          [{ name: '' }, /^invalid request json: name /],
          [{ name: 'x'.repeat(201) }, /^invalid request json: name /],
          [{ name: 'bell\u0007' }, /^invalid request json: name /],
          [{ name: 7 }, /^invalid request json: name /],
          [{ max_concurrency: 0 }, /^invalid request json: max_concurrency /],
          [{ max_concurrency: '0%' }, /^invalid request json: max_concurrency /],
          [{ max_concurrency: '101%' }, /^invalid request json: max_concurrency /],
          [{ max_concurrency: '10' }, /^invalid request json: max_concurrency /],
          [{ max_concurrency: 1.5 }, /^invalid request json: max_concurrency /],
          [{ max_errors: -1 }, /^invalid request json: max_errors /],
          [{ max_errors: '5.5%' }, /^invalid request json: max_errors /],
        ];
        for (const [extra, message] of bad) {
          const answer = await admin('/admin/jobs', { json: { ...jobBody([node('bad')]), ...extra } });
          assert.equal(answer.status, 400, JSON.stringify(extra));
          assert.match(answer.body.message, message, JSON.stringify(extra));
        }
        assert.equal((await admin('/admin/jobs', { json: { ...jobBody([node('ok')]), max_errors: '0%', max_concurrency: '100%' } })).status, 200);
      });

      it('filters the job list by state, provider and name, and refuses bad filters', async () => {
        const provider = `filter-${Date.now()}`;
        const n = node('filter');
        const finished = await createJob({ ...jobBody([n], { provider }), name: 'first' });
        const active = await createJob({ ...jobBody([node('filter')], { provider }), name: 'second' });
        await nodeCall(n, 'next');
        await nodeCall(n, 'status', { job_id: finished, status: 'success', result: { exit_code: 0, reason: '' } });
        const ids = async (query: string) => (await admin(`/admin/jobs?provider=${provider}&${query}`)).body.jobs.map((j: { id: string }) => j.id);
        assert.deepEqual(await ids(''), [active, finished]);
        assert.deepEqual(await ids('state=active'), [active]);
        assert.deepEqual(await ids('state=finished'), [finished]);
        assert.deepEqual(await ids('name=SEC'), [active]);
        for (const [query, message] of [
          ['state=done', 'state must be active or finished'],
          ['provider=a/b', 'provider must be a provider name, as jobs are created with'],
          [`name=${'n'.repeat(201)}`, 'name must be at most 200 characters'],
        ]) {
          const answer = await admin(`/admin/jobs?${query}`);
          assert.deepEqual([answer.status, answer.body], [400, { message }], query);
        }
      });

      it('re-runs exactly the nodes in the chosen statuses as a new job that records rerun_of', async () => {
        const [ok, bad, taken, idle] = [node('rerun'), node('rerun'), node('rerun'), node('rerun')];
        const id = await createJob({ ...jobBody([ok, bad, taken, idle], { timeout: '5m' }), name: 'rollout', max_concurrency: 3 });
        for (const n of [ok, bad, taken]) assert.equal((await nodeCall(n, 'next')).status, 200);
        await nodeCall(ok, 'status', { job_id: id, status: 'success', result: { exit_code: 0, reason: '' } });
        await nodeCall(bad, 'status', { job_id: id, status: 'failed', result: { exit_code: 2, reason: 'exit error' } });
        const rerunNodes = async (body?: unknown) => {
          const answer = await admin(`/admin/jobs/${id}/rerun`, body === undefined ? { method: 'POST' } : { json: body });
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          assert.match(answer.body.id, /^[0-9a-f]{24}$/);
          return (await admin(`/admin/jobs/${answer.body.id as string}`)).body.job;
        };
        const failed = await rerunNodes();
        assert.deepEqual(failed.nodes, [bad], 'by default failed, timed_out and expired');
        assert.equal(failed.rerun_of, id);
        assert.deepEqual([failed.name, failed.max_concurrency, failed.task.provider, failed.task.timeout], ['rollout', 3, 'infra', '5m']);
        assert.deepEqual(failed.task.spec, { url: 'https://example.com/policy.tar.gz' });
        const byName = (nodes: Array<{ name: string }>) => nodes.map((n) => n.name).sort();
        assert.deepEqual(byName((await rerunNodes({ statuses: ['queued', 'pending'] })).nodes), byName([taken, idle]));
        const windowStart = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
        const windowEnd = new Date(Date.now() + 7_200_000).toISOString().replace(/\.\d+Z$/, 'Z');
        const later = await rerunNodes({ statuses: ['success'], window_start: windowStart, window_end: windowEnd });
        assert.deepEqual([later.nodes, later.task.window_start, later.task.window_end], [[ok], windowStart, windowEnd]);

        const refused: Array<[unknown, string | RegExp]> = [
          [{ statuses: ['cancelled'] }, `no node of job ${id} is cancelled: nothing to rerun`],
          [{ statuses: ['done'] }, /^invalid request json: statuses/],
          [{ statuses: [] }, /^invalid request json: statuses/],
          [{ window_end: '2001-01-01T00:00:00Z' }, 'window_end must be after window_start'],
          [{ window_start: '2000-01-01T00:00:00Z', window_end: '2001-01-01T00:00:00Z' }, 'window has already expired'],
          [{ window_start: 'tomorrow' }, /^invalid request json: /],
        ];
        for (const [body, message] of refused) {
          const answer = await admin(`/admin/jobs/${id}/rerun`, { json: body });
          assert.equal(answer.status, 400, JSON.stringify(body));
          if (typeof message === 'string') assert.equal(answer.body.message, message);
          else assert.match(answer.body.message, message);
        }
        const unknown = await admin('/admin/jobs/5ff7686a91072739255a4a35/rerun', { method: 'POST' });
        assert.deepEqual([unknown.status, unknown.body], [404, { message: 'job not found' }]);
      });

      it('refuses a heartbeat_interval that is not a Go duration of at most 1h', async () => {
        const n = node('heartbeat');
        const id = await createJob(jobBody([n]));
        await nodeCall(n, 'next');
        for (const heartbeat of ['soon', '0s', '2h', '-5s']) {
          const answer = await nodeCall(n, 'status', { job_id: id, status: 'running', heartbeat_interval: heartbeat });
          assert.equal(answer.status, 400, heartbeat);
          assert.equal(answer.body.message, 'heartbeat_interval must be a positive Go duration of at most 1h, such as "30s"');
        }
        const wrongType = await nodeCall(n, 'status', { job_id: id, status: 'running', heartbeat_interval: 30 });
        assert.equal(wrongType.status, 400);
        assert.match(wrongType.body.message, /^invalid request json: /);
      });

      it('answers health and Prometheus metrics', async () => {
        const health = await call(`${server.url}/healthz`);
        assert.deepEqual([health.status, health.body], [200, { status: 'ok' }]);
        const metrics = await call(`${server.url}/metrics`);
        assert.equal(metrics.status, 200);
        for (const name of ['foodtruck_http_requests_total', 'foodtruck_http_request_duration_seconds', 'foodtruck_jobs_created_total', 'foodtruck_tasks_handed_out_total', 'foodtruck_statuses_reported_total']) {
          assert.match(metrics.body as string, new RegExp(`^${name}`, 'm'), name);
        }
      });

      it('answers JSON 404 for unknown routes', async () => {
        const answer = await call(`${server.url}/no/such/route`);
        assert.equal(answer.status, 404);
        assert.equal(typeof answer.body.message, 'string');
      });

      it('logs a line per request, empty polls at debug level only', async () => {
        const quiet = node('quiet');
        assert.equal((await nodeCall(quiet, 'next')).status, 404);
        const id = await createJob(jobBody([quiet]));
        assert.equal((await nodeCall(quiet, 'next')).status, 200);
        // The log is written asynchronously: wait for the hand-out's line before looking.
        const deadline = Date.now() + 5000;
        while (!server.output().includes('"msg":"task handed out"') && Date.now() < deadline) await sleep(20);
        await sleep(100);
        const lines = server.output().split('\n').filter((line) => line.includes(quiet.name));
        assert.equal(lines.filter((line) => line.includes('"status":404')).length, 0, 'the empty poll is not at info');
        assert.equal(lines.filter((line) => line.includes('"status":200') && line.includes('"msg":"request"')).length, 1);
        assert.ok(lines.some((line) => line.includes('"msg":"task handed out"') && line.includes(id)));
      });

      it('never writes a key to its log', async () => {
        await call(`${server.url}/admin/jobs`, { key: server.adminKey });
        await call(`${server.url}/organizations/org/foodtruck/nodes/x/tasks/next`, { method: 'POST', key: server.nodesKey });
        await call(`${server.url}/admin/jobs?key=${server.nodesKey.slice(0, 4)}`, { key: 'not-the-key-at-all' });
        assert.ok(server.output().includes('"msg":"request"'), 'requests are logged');
        assert.equal(server.output().includes(server.adminKey), false);
        assert.equal(server.output().includes(server.nodesKey), false);
      });
    });
  });
}
