// Node facts over the node route, and jobs, previews and node listings by selector, on the real
// server over TCP.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { startServer, type ServerProcess } from './support/server-process.js';

describe('node facts and targeting', () => {
  let server: ServerProcess;
  const admin = (path: string, json?: unknown) => call(`${server.url}${path}`, { key: server.adminKey, ...(json === undefined ? {} : { json }) });
  const report = (org: string, name: string, facts: unknown, key = server.nodesKey) =>
    call(`${server.url}/organizations/${org}/foodtruck/nodes/${name}/facts`, { method: 'PUT', key, json: facts });
  const bodyWithout = (field: 'nodes') => {
    const body: Record<string, unknown> = jobBody([]);
    delete body[field];
    return body;
  };

  before(async () => {
    server = await startServer({ env: { FOODTRUCK_MAX_JOB_NODES: '5' } });
    const web = { os: 'ubuntu', os_version: '22.04', platform: 'linux', arch: 'x64', client_version: '0.1.0' };
    for (const [name, tags, role] of [
      ['web-1', ['web', 'eu'], 'frontend'],
      ['web-2', ['web', 'us'], 'frontend'],
      ['db-1', ['db', 'eu'], 'backend'],
    ] as const) {
      const answer = await report('prod', name, { ...web, hostname: `${name}.example`, tags, attributes: { role } });
      assert.deepEqual([answer.status, answer.body], [200, {}]);
    }
    // The original Go client: it polls, and never reports facts.
    await call(`${server.url}/organizations/prod/foodtruck/nodes/go-1/tasks/next`, { method: 'POST', key: server.nodesKey });
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('shows reported facts in the node list, and none for a node that never reported any', async () => {
    const answer = await admin('/admin/nodes?org=prod');
    assert.equal(answer.status, 200);
    const byName = new Map((answer.body.nodes as Array<{ name: string; facts?: Record<string, unknown> }>).map((n) => [n.name, n]));
    assert.deepEqual([...byName.keys()], ['db-1', 'go-1', 'web-1', 'web-2']);
    const facts = byName.get('web-1')?.facts as Record<string, unknown>;
    assert.equal(typeof facts.reported_at, 'string');
    delete facts.reported_at;
    assert.deepEqual(facts, {
      os: 'ubuntu', os_version: '22.04', platform: 'linux', arch: 'x64', hostname: 'web-1.example', client_version: '0.1.0',
      tags: ['web', 'eu'], attributes: { role: 'frontend' },
    });
    assert.equal(byName.get('go-1')?.facts, undefined);
  });

  it('refuses malformed facts with a message naming the problem, and keys other than the nodes key', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ tags: 'web' }, /^tags must be an array of words$/],
      [{ tags: ['has space'] }, /^tags\[0\] must be 1 to 64 letters/],
      [{ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, /^tags has 65 entries, at most 64 are allowed$/],
      [{ attributes: { role: 1 } }, /^attributes\.role must be a string$/],
      [{ attributes: { 'a=b': 'x' } }, /^attributes: key "a=b" must be/],
      [{ attributes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }, /at most 64 are allowed/],
      [{ hostname: 'x'.repeat(256) }, /^hostname must be a string of at most 255 characters/],
      [{ os: 'ubuntu\n' }, /^os must be a string/],
      [{ colour: 'blue' }, /^unknown fact "colour"/],
      [[], /^facts must be a JSON object$/],
    ];
    for (const [facts, message] of cases) {
      const answer = await report('prod', 'web-1', facts);
      assert.equal(answer.status, 400, JSON.stringify(facts).slice(0, 80));
      assert.match(answer.body.message, message);
    }
    assert.equal((await report('prod', 'bad/name', {})).status, 404, 'a slash is no node name: no such route');
    assert.equal((await report('prod', 'web-1', {}, server.adminKey)).status, 401);
    // Still the facts reported first: no refused report replaced them.
    const listed = await admin('/admin/nodes?name=web-1&org=prod');
    assert.deepEqual(listed.body.nodes[0].facts.tags, ['web', 'eu']);
  });

  it('creates a job from a selector: resolved once into nodes, answering the count and showing the selector', async () => {
    const created = await admin('/admin/jobs', { ...bodyWithout('nodes'), targets: { org: 'prod', tags_all: ['web'] } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.node_count, 2);
    const job = await admin(`/admin/jobs/${created.body.id}`);
    assert.deepEqual(job.body.job.nodes, [{ org: 'prod', name: 'web-1' }, { org: 'prod', name: 'web-2' }]);
    assert.deepEqual(job.body.job.targets, { org: 'prod', tags_all: ['web'] });
    const summary = await admin(`/admin/jobs/${created.body.id}/summary`);
    assert.deepEqual(summary.body.targets, { org: 'prod', tags_all: ['web'] });

    // Beside explicit nodes: those first, then the selected ones not already given.
    const mixed = await admin('/admin/jobs', {
      ...jobBody([{ org: 'other', name: 'x' }, { org: 'prod', name: 'web-2' }]),
      targets: { attributes: { role: 'frontend' }, os: 'linux' },
    });
    assert.equal(mixed.body.node_count, 3);
    const mixedJob = await admin(`/admin/jobs/${mixed.body.id}`);
    assert.deepEqual(mixedJob.body.job.nodes.map((n: { name: string }) => n.name), ['x', 'web-2', 'web-1']);
    // A plain job answers its count too, and shows no selector.
    const plain = await admin('/admin/jobs', jobBody([{ org: 'prod', name: 'go-1' }]));
    assert.deepEqual(Object.keys(plain.body).sort(), ['id', 'node_count']);
    assert.equal((await admin(`/admin/jobs/${plain.body.id}`)).body.job.targets, undefined);
  });

  it('picks a node that polled a moment ago, before its check-in was written, as the preview does', async () => {
    const polled = await call(`${server.url}/organizations/fresh/foodtruck/nodes/just-polled/tasks/next`, { method: 'POST', key: server.nodesKey });
    assert.equal(polled.status, 404);
    const created = await admin('/admin/jobs', { ...bodyWithout('nodes'), targets: { org: 'fresh' } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.node_count, 1);
  });

  it('refuses a selector that matches nothing, a malformed one, and keeps the contract\'s first messages', async () => {
    const nothing = await admin('/admin/jobs', { ...bodyWithout('nodes'), targets: { tags_all: ['nowhere'] } });
    assert.equal(nothing.status, 400);
    assert.match(nothing.body.message, /^targets match no nodes/);
    const goClient = await admin('/admin/jobs', { ...bodyWithout('nodes'), targets: { name: 'go-*', os: 'linux' } });
    assert.match(goClient.body.message, /^targets match no nodes/, 'a node without facts matches no fact criterion');
    assert.deepEqual((await admin('/admin/jobs', bodyWithout('nodes'))).body, { message: 'no nodes provided' });
    assert.deepEqual((await admin('/admin/jobs', jobBody([]))).body, { message: 'no nodes provided' });
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^targets must name at least one of org, name, tags_all/],
      [{ colour: 'x' }, /^targets: unknown field "colour"/],
      [{ tags_all: 'web' }, /^targets\.tags_all must be an array of words$/],
      [{ name: 'web/*' }, /^targets\.name must be a node name pattern/],
      [{ seen_within: 'yesterday' }, /^targets\.seen_within must be a positive Go duration/],
      [{ attributes: { role: ['x'] } }, /^targets\.attributes\.role must be a string$/],
      ['web', /^invalid request json: targets must be object$/],
    ];
    for (const [targets, message] of cases) {
      const answer = await admin('/admin/jobs', { ...bodyWithout('nodes'), targets });
      assert.equal(answer.status, 400);
      assert.match(answer.body.message, message);
    }
  });

  it('respects FOODTRUCK_MAX_JOB_NODES for selected and given nodes together', async () => {
    const given = ['a', 'b', 'c', 'd'].map((name) => ({ org: 'other', name }));
    const answer = await admin('/admin/jobs', { ...jobBody(given), targets: { org: 'prod' } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, 'too many nodes: targets and nodes pick more than 5, at most 5 per job');
  });

  it('previews a selector: its count and a page of its nodes', async () => {
    const first = await admin('/admin/nodes/resolve?limit=2', { targets: { org: 'prod', tags_any: ['eu', 'us'] } });
    assert.equal(first.status, 200);
    assert.equal(first.body.count, 3);
    assert.deepEqual(first.body.nodes.map((n: { name: string }) => n.name), ['db-1', 'web-1']);
    assert.equal(first.body.nodes[0].facts.attributes.role, 'backend');
    const second = await admin(`/admin/nodes/resolve?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, {
      targets: { org: 'prod', tags_any: ['eu', 'us'] },
    });
    assert.deepEqual(second.body.nodes.map((n: { name: string }) => n.name), ['web-2']);
    assert.equal(second.body.next_cursor, null);
    const none = await admin('/admin/nodes/resolve', { targets: { tags_all: ['nowhere'] } });
    assert.deepEqual([none.status, none.body], [200, { count: 0, nodes: [], next_cursor: null }]);
    assert.equal((await admin('/admin/nodes/resolve', { org: 'prod' })).status, 400);
    assert.match((await admin('/admin/nodes/resolve', { targets: {} })).body.message, /^targets must name at least one/);
  });

  it('filters the node list by the same selector, as query terms', async () => {
    const names = async (query: string) => {
      const answer = await admin(`/admin/nodes?${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.nodes.map((n: { node_name: string }) => n.node_name);
    };
    assert.deepEqual(await names('tag=web&tag=eu'), ['prod/web-1']);
    assert.deepEqual(await names('any_tag=us&any_tag=db'), ['prod/db-1', 'prod/web-2']);
    assert.deepEqual(await names('attr=role=frontend&os=ubuntu&arch=x64'), ['prod/web-1', 'prod/web-2']);
    assert.deepEqual(await names('org=prod&name=web-*&seen_within=1h'), ['prod/web-1', 'prod/web-2']);
    assert.deepEqual(await names('tag=web&limit=1'), ['prod/web-1']);
    for (const [query, message] of [
      ['attr=role', /^attr must be written KEY=VALUE/],
      ['org=a&org=b', /^query parameter "org" is given more than once: give it once$/],
      ['seen_within=soon', /seen_within must be a positive Go duration/],
      ['tag=two words', /tags_all\[0\] must be/],
    ] as const) {
      const answer = await admin(`/admin/nodes?${query}`);
      assert.equal(answer.status, 400, query);
      assert.match(answer.body.message, message);
    }
  });
});
