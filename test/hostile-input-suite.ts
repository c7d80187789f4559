// Hostile and oversized input over TCP against the real server, on each driver: repeated query
// parameters, exit codes the original Go client cannot decode, specs too deep or too large to
// serve back, page sizes above the maximum. Each is refused with 400 and a message, and what was
// accepted before keeps being served.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LISTED_SPEC_MAX_BYTES, MAX_SPEC_BYTES, MAX_SPEC_DEPTH } from '../src/wire/spec-limits.js';
import { MAX_PAGE_LIMIT } from '../src/server/page-query.js';
import { call, jobBody } from './support/api-client.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import type { ContractEnvironment } from './contract-suite.js';

/** Nested arrays, `depth` levels deep, built without recursion. */
function nestedArray(depth: number): unknown {
  let value: unknown = 'core';
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

/** A job body whose spec nests `depth` arrays, as JSON text: too deep for JSON.stringify to write. */
function deepJobText(n: { org: string; name: string }, depth: number): string {
  const body = jobBody([n], { spec: '@SPEC@' });
  return JSON.stringify(body).replace('"@SPEC@"', `${'['.repeat(depth)}"core"${']'.repeat(depth)}`);
}

/** A spec whose JSON text is exactly `bytes` long: {"blob":"xxx..."}. */
function specOfBytes(bytes: number): { blob: string } {
  return { blob: 'x'.repeat(bytes - '{"blob":""}'.length) };
}

export function defineHostileInputSuite(driver: string, prepare: () => Promise<ContractEnvironment>): void {
  describe(`hostile input over TCP: ${driver}`, () => {
    let server: ServerProcess;
    let environment: ContractEnvironment;
    let unique = 0;
    const node = (label: string) => ({ org: 'org', name: `${label}-${++unique}-${Date.now()}` });
    const admin = (path: string, init: Parameters<typeof call>[1] = {}) => call(`${server.url}${path}`, { key: server.adminKey, ...init });
    const nodeCall = (n: { org: string; name: string }, verb: 'next' | 'status', init: Parameters<typeof call>[1] = {}) =>
      call(`${server.url}/organizations/${n.org}/foodtruck/nodes/${n.name}/tasks/${verb}`, { method: 'POST', key: server.nodesKey, ...init });
    const createJob = async (body: unknown): Promise<string> => {
      const answer = await admin('/admin/jobs', { json: body });
      assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 500));
      return answer.body.id as string;
    };
    const assertBadRequest = (answer: { status: number; body: unknown }, pattern: RegExp, what: string) => {
      assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      assert.match((answer.body as { message: string }).message, pattern, what);
    };

    before(async () => {
      environment = await prepare();
      server = await startServer({ env: environment.env });
    });
    after(async () => {
      await server?.stop();
      server?.cleanup();
      await environment?.dispose();
    });

    it('answers 400 naming the parameter for any repeated query parameter, on every route', async () => {
      const n = node('repeat');
      const id = await createJob(jobBody([n]));
      const cases: Array<[string, string, Parameters<typeof call>[1]]> = [
        ['cursor', '/admin/jobs?cursor=a&cursor=b', {}],
        ['limit', '/admin/jobs?limit=1&limit=2', {}],
        ['cursor', '/admin/nodes?cursor=a&cursor=b', {}],
        ['node', `/admin/jobs/${id}?fetchStatuses=true&node=a&node=b`, {}],
        ['node', `/admin/jobs/${id}/statuses?node=a&node=b`, {}],
        ['status', `/admin/jobs/${id}/statuses?status=queued&status=failed`, {}],
        ['fetchStatuses', `/admin/jobs/${id}?fetchStatuses=true&fetchStatuses=false`, {}],
        ['x', `/admin/jobs/${id}/summary?x=1&x=2`, {}],
        ['x', `/admin/jobs/${id}/cancel?x=1&x=2`, { method: 'POST' }],
        ['x', '/admin/jobs?x=1&x=2', { method: 'POST', json: jobBody([node('repeat')]) }],
      ];
      for (const [name, path, init] of cases) {
        assertBadRequest(await admin(path, init), new RegExp(`query parameter "${name}" is given more than once`), path);
      }
      assertBadRequest(await call(`${server.url}/healthz?x=1&x=2`), /"x" is given more than once/, '/healthz');
      const poll = await call(`${server.url}/organizations/${n.org}/foodtruck/nodes/${n.name}/tasks/next?a=1&a=2`, {
        method: 'POST',
        key: server.nodesKey,
      });
      assertBadRequest(poll, /"a" is given more than once/, 'tasks/next');
      // Nothing was handed out by the refused poll.
      assert.equal((await nodeCall(n, 'next')).status, 200);
    });

    it('refuses exit codes outside a 32-bit signed integer, and keeps the ones inside exactly', async () => {
      const n = node('exit');
      const id = await createJob(jobBody([n]));
      assert.equal((await nodeCall(n, 'next')).status, 200);
      const raw = (exitCode: string) =>
        nodeCall(n, 'status', {
          body: `{"job_id":"${id}","status":"running","result":{"exit_code":${exitCode},"reason":"r"}}`,
          headers: { 'content-type': 'application/json' },
        });
      for (const exitCode of ['2147483648', '-2147483649', '9223372036854775808', '1e30', '-1e30', '1.5', '"1"']) {
        assertBadRequest(await raw(exitCode), /^invalid request json: result\.exit_code /, `exit_code ${exitCode}`);
      }
      for (const exitCode of [2147483647, -2147483648]) {
        assert.equal((await raw(String(exitCode))).status, 200);
        const read = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
        assert.equal(read.body.statuses[0].result.exit_code, exitCode);
      }
    });

    it(`refuses a spec nested deeper than ${MAX_SPEC_DEPTH} levels at creation, and keeps serving reads and polls`, async () => {
      const n = node('deep');
      const refused = await admin('/admin/jobs', { body: deepJobText(n, 4110), headers: { 'content-type': 'application/json' } });
      assertBadRequest(refused, new RegExp(`^task spec is nested too deeply: at most ${MAX_SPEC_DEPTH} levels`), '4,110 levels');
      const objects = await admin('/admin/jobs', { json: jobBody([n], { spec: JSON.parse('{"a":'.repeat(MAX_SPEC_DEPTH + 1) + '1' + '}'.repeat(MAX_SPEC_DEPTH + 1)) }) });
      assertBadRequest(objects, /nested too deeply/, `${MAX_SPEC_DEPTH + 1} levels of objects`);

      // The deepest spec allowed is served back by every route.
      const deepest = nestedArray(MAX_SPEC_DEPTH);
      const id = await createJob(jobBody([n], { spec: deepest }));
      const listed = await admin('/admin/jobs?limit=5');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.jobs.find((job: { id: string }) => job.id === id).task.spec, deepest);
      const read = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.job.task.spec, deepest);
      assert.equal((await admin(`/admin/jobs/${id}/summary`)).status, 200);
      const claimed = await nodeCall(n, 'next');
      assert.equal(claimed.status, 200);
      assert.deepEqual(claimed.body.spec, deepest);
      assert.equal((await nodeCall(n, 'next')).status, 404);
    });

    it(`accepts a spec up to ${MAX_SPEC_BYTES} bytes, serves it on every route, and leaves it out of job lists`, async () => {
      assertBadRequest(
        await admin('/admin/jobs', { json: jobBody([node('big')], { spec: specOfBytes(MAX_SPEC_BYTES + 1) }) }),
        new RegExp(`^task spec is too large: ${MAX_SPEC_BYTES + 1} bytes of JSON, at most ${MAX_SPEC_BYTES}$`),
        'one byte over',
      );
      const big = specOfBytes(MAX_SPEC_BYTES);
      const small = specOfBytes(LISTED_SPEC_MAX_BYTES);
      // A few thousand nodes with the largest spec, and several more big jobs for the list.
      const fleet = Array.from({ length: 3000 }, (_, index) => ({ org: 'big', name: `n${index}-${Date.now()}` }));
      const bigId = await createJob(jobBody(fleet, { spec: big }));
      const others = [];
      for (let index = 0; index < 4; index++) others.push(await createJob(jobBody([node('big')], { spec: big })));
      const smallId = await createJob(jobBody([node('small')], { spec: small }));

      const list = await admin(`/admin/jobs?limit=${MAX_PAGE_LIMIT}`);
      assert.equal(list.status, 200);
      const byId = new Map(list.body.jobs.map((job: { id: string }) => [job.id, job]));
      for (const id of [bigId, ...others]) {
        const entry = byId.get(id) as { task: Record<string, unknown>; node_count: number };
        assert.equal(entry.task.spec_omitted, true);
        assert.equal('spec' in entry.task, false);
      }
      assert.equal((byId.get(bigId) as { node_count: number }).node_count, 3000);
      assert.equal((byId.get(bigId) as { summary: { queued: number } }).summary.queued, 3000);
      const smallEntry = byId.get(smallId) as { task: Record<string, unknown> };
      assert.deepEqual(smallEntry.task.spec, small);
      assert.equal('spec_omitted' in smallEntry.task, false);

      const whole = await admin(`/admin/jobs/${bigId}?fetchStatuses=true`);
      assert.equal(whole.status, 200);
      assert.deepEqual(whole.body.job.task.spec, big);
      assert.equal(whole.body.statuses.length, 3000);
      assert.deepEqual((await admin(`/admin/jobs/${bigId}/summary`)).body.task.spec, big);
      const claimed = await nodeCall(fleet[0] as { org: string; name: string }, 'next');
      assert.equal(claimed.status, 200);
      assert.deepEqual(claimed.body.spec, big);
    });

    it(`answers 400 for a page size above ${MAX_PAGE_LIMIT} on every list`, async () => {
      const id = await createJob(jobBody([node('page')]));
      for (const path of ['/admin/jobs', '/admin/nodes', `/admin/jobs/${id}/statuses`, `/admin/jobs/${id}?fetchStatuses=true&`]) {
        const glue = path.includes('?') ? '' : '?';
        assertBadRequest(await admin(`${path}${glue}limit=${MAX_PAGE_LIMIT + 1}`), new RegExp(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`), path);
        assert.equal((await admin(`${path}${glue}limit=${MAX_PAGE_LIMIT}`)).status, 200, path);
      }
    });
  });
}
