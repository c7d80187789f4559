// `foodtruck jobs create --target ... [--dry-run]` and `foodtruck nodes list --target ...`, spawned
// as a user runs them, against the real server.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from './support/api-client.js';
import { runFoodtruck } from './support/cli-process.js';
import { startServer, type ServerProcess } from './support/server-process.js';

describe('foodtruck CLI targeting', () => {
  let server: ServerProcess;
  const foodtruck = (args: string[]) => runFoodtruck(args, { env: { FOODTRUCK_URL: server.url, ADMIN_API_KEY: server.adminKey } });

  before(async () => {
    server = await startServer();
    for (const [name, os, tags] of [
      ['web-1', 'ubuntu', ['web', 'eu']],
      ['web-2', 'ubuntu', ['web']],
      ['web-3', 'debian', ['web']],
      ['db-1', 'ubuntu', ['db']],
    ] as const) {
      const answer = await call(`${server.url}/organizations/cli/foodtruck/nodes/${name}/facts`, {
        method: 'PUT',
        key: server.nodesKey,
        json: { os, os_version: os === 'ubuntu' ? '22.04' : '12', platform: 'linux', arch: 'x64', tags },
      });
      assert.equal(answer.status, 200);
    }
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('previews the nodes --target picks with --dry-run, creating nothing', async () => {
    const run = await foodtruck(['jobs', 'create', '--target', 'tag=web', '--target', 'os=ubuntu', '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^2 node\(s\) match the targets:\n\nNODE\s+LAST CHECK-IN\s+/);
    assert.match(run.stdout, /cli\/web-1\s+.*ubuntu 22\.04\s+x64\s+web,eu\n/);
    assert.match(run.stdout, /cli\/web-2\s+/);
    assert.doesNotMatch(run.stdout, /web-3|db-1/);
    const json = JSON.parse((await foodtruck(['jobs', 'create', '--target', 'any_tag=db', '--dry-run', '--json'])).stdout) as {
      count: number;
      nodes: Array<{ node_name: string }>;
    };
    assert.deepEqual([json.count, json.nodes.map((n) => n.node_name)], [1, ['cli/db-1']]);
    const none = await foodtruck(['jobs', 'create', '--target', 'tag=nowhere', '--dry-run']);
    assert.deepEqual([none.code, none.stdout], [0, 'No node matches the targets: nothing would be created.\n']);
    const jobs = await call(`${server.url}/admin/jobs`, { key: server.adminKey });
    assert.deepEqual(jobs.body.jobs, [], 'a dry run creates no job');
  });

  it('creates a job by --target, beside --node, and says how many nodes it targets', async () => {
    const run = await foodtruck(['jobs', 'create', '--provider', 'infra', '--target', 'tag=web', '--target', 'os=ubuntu', '--node', 'other/n1']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{24}$/);
    assert.equal(run.stderr, `created job ${id} for 3 node(s)\n`);
    const job = await call(`${server.url}/admin/jobs/${id}`, { key: server.adminKey });
    assert.deepEqual(job.body.job.nodes.map((n: { name: string }) => n.name), ['n1', 'web-1', 'web-2']);
    assert.deepEqual(job.body.job.targets, { tags_all: ['web'], os: 'ubuntu' });
    const shown = await foodtruck(['jobs', 'get', id]);
    assert.match(shown.stdout, /\nTargets\s+tag=web os=ubuntu\n/);
    const json = JSON.parse((await foodtruck(['jobs', 'create', '--provider', 'infra', '--target', 'name=db-*', '--json'])).stdout) as {
      id: string;
      node_count: number;
    };
    assert.equal(json.node_count, 1);
  });

  it('shows the server\'s message when --target picks nothing, and refuses a malformed --target before sending', async () => {
    const nothing = await foodtruck(['jobs', 'create', '--provider', 'infra', '--target', 'tag=nowhere']);
    assert.equal(nothing.code, 3);
    assert.match(nothing.stderr, /targets match no nodes/);
    for (const args of [['--target', 'colour=blue'], ['--target', 'tag'], ['--target', 'attr=novalue'], ['--dry-run']]) {
      const run = await foodtruck(['jobs', 'create', '--provider', 'infra', ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    }
  });

  it('lists only the nodes --target picks, with what they reported', async () => {
    const run = await foodtruck(['nodes', 'list', '--target', 'tag=web', '--target', 'os=debian']);
    assert.equal(run.code, 0, run.stderr);
    const rows = run.stdout.trim().split('\n').slice(1);
    assert.equal(rows.length, 1, run.stdout);
    assert.match(rows[0] as string, /^cli\/web-3\s+.*debian 12\s+x64\s+web$/);
    const bad = await foodtruck(['nodes', 'list', '--target', 'seen_within=soon']);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /seen_within must be a positive Go duration/);
  });

  it('lists nodes by name text, never seen, seen within and unfinished tasks', async () => {
    const facts = await call(`${server.url}/organizations/filters/foodtruck/nodes/seen-1/facts`, { method: 'PUT', key: server.nodesKey, json: { tags: ['x'] } });
    assert.equal(facts.status, 200);
    const created = await foodtruck(['jobs', 'create', '--provider', 'infra', '--node', 'filters/never-1']);
    assert.equal(created.code, 0, created.stderr);
    const listed = async (...args: string[]) => {
      const run = await foodtruck(['nodes', 'list', '--json', '--search', 'FILTERS/', ...args]);
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as { nodes: Array<{ node_name: string }> }).nodes.map((n) => n.node_name);
    };
    assert.deepEqual(await listed(), ['filters/never-1', 'filters/seen-1']);
    assert.deepEqual(await listed('--never-seen'), ['filters/never-1']);
    assert.deepEqual(await listed('--unfinished'), ['filters/never-1']);
    assert.deepEqual(await listed('--seen-within', '1h'), ['filters/seen-1']);
    assert.deepEqual(await listed('--seen-within', '1h', '--target', 'tag=x', '--unfinished'), []);
    const none = await foodtruck(['nodes', 'list', '--search', 'no-such-node']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'No node matches the filters.\n');
    const both = await foodtruck(['nodes', 'list', '--never-seen', '--target', 'tag=x']);
    assert.equal(both.code, 3);
    assert.match(both.stderr, /never_seen=true cannot go with selector terms/);
  });
});
