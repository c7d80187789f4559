// Forgetting and pruning nodes, over TCP against the real server, and through the real CLI. Each
// driver's test file calls `defineNodeForgetSuite` with the environment that selects its store.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, jobBody } from './support/api-client.js';
import { runFoodtruck } from './support/cli-process.js';
import { startServer, type ServerProcess } from './support/server-process.js';

export interface StoreEnvironment {
  env: Record<string, string>;
  dispose: () => Promise<void>;
}

type Listed = { node_name: string; last_check_in: string | null; tasks: Record<string, number> };

export function defineNodeForgetSuite(driver: string, storeEnvironment: () => Promise<StoreEnvironment>): void {
  describe(`forgetting nodes: ${driver}`, () => {
    let server: ServerProcess;
    let store: StoreEnvironment;
    const admin = (path: string, method = 'GET', json?: unknown) =>
      call(`${server.url}${path}`, { method, key: server.adminKey, ...(json === undefined ? {} : { json }) });
    const poll = (org: string, name: string) =>
      call(`${server.url}/organizations/${org}/foodtruck/nodes/${name}/tasks/next`, { method: 'POST', key: server.nodesKey });
    const report = (org: string, name: string, body: unknown) =>
      call(`${server.url}/organizations/${org}/foodtruck/nodes/${name}/tasks/status`, { key: server.nodesKey, json: body });
    const listedNames = async (org: string) => {
      const answer = await admin(`/admin/nodes?limit=1000&cursor=${encodeURIComponent(`${org}/-`)}`);
      assert.equal(answer.status, 200);
      return (answer.body.nodes as Listed[]).map((n) => n.node_name).filter((name) => name.startsWith(`${org}/`));
    };
    const cli = (args: string[]) => runFoodtruck(args, { env: { FOODTRUCK_URL: server.url, ADMIN_API_KEY: server.adminKey } });

    before(async () => {
      store = await storeEnvironment();
      server = await startServer({ env: store.env });
    });
    after(async () => {
      await server?.stop();
      server?.cleanup();
      await store?.dispose();
    });

    it('forgets a node whose tasks are over: it leaves the node list, and its job still names it', async () => {
      const created = await admin('/admin/jobs', 'POST', jobBody([{ org: 'api', name: 'done' }, { org: 'api', name: 'waiting' }]));
      assert.equal(created.status, 200);
      const id = created.body.id as string;
      assert.equal((await poll('api', 'done')).status, 200);
      assert.equal((await report('api', 'done', { job_id: id, status: 'success', result: { exit_code: 0 } })).status, 200);

      const forgotten = await admin('/admin/nodes/api/done', 'DELETE');
      assert.equal(forgotten.status, 200, JSON.stringify(forgotten.body));
      assert.equal(typeof forgotten.body.last_check_in, 'string');
      assert.deepEqual({ ...forgotten.body, last_check_in: 'x' }, {
        org: 'api',
        name: 'done',
        node_name: 'api/done',
        finished_tasks: 1,
        last_check_in: 'x',
        key_kept: false,
      });
      assert.deepEqual(await listedNames('api'), ['api/waiting']);
      const job = await admin(`/admin/jobs/${id}?fetchStatuses=true`);
      assert.deepEqual(
        (job.body.statuses as Array<{ node_name: string; status: string }>).map((s) => [s.node_name, s.status]),
        [['api/done', 'success'], ['api/waiting', 'queued']],
      );
      const audit = /"action":"DELETE \/admin\/nodes\/:org\/:name","node":"api\/done","finished_tasks":1,"key_kept":false,"status":200/;
      for (let i = 0; i < 50 && !audit.test(server.output()); i++) await sleep(100);
      assert.match(server.output(), audit, 'the admin-write audit line');
      const again = await admin('/admin/nodes/api/done', 'DELETE');
      assert.deepEqual([again.status, again.body], [404, { message: 'node api/done not found' }], 'forgotten already');
    });

    it('refuses a node with an unfinished task, an unknown node, a bad name and the node key', async () => {
      const busy = await admin('/admin/nodes/api/waiting', 'DELETE');
      assert.deepEqual([busy.status, busy.body], [
        409,
        { message: 'node api/waiting has 1 unfinished task (queued, pending or running): cancel them or let them finish, then forget it' },
      ]);
      assert.deepEqual((await admin('/admin/nodes/api/nobody', 'DELETE')).body, { message: 'node api/nobody not found' });
      const bad = await admin('/admin/nodes/api/bad%20name', 'DELETE');
      assert.equal(bad.status, 400);
      assert.equal(typeof bad.body.message, 'string');
      const asNode = await call(`${server.url}/admin/nodes/api/waiting`, { method: 'DELETE', key: server.nodesKey });
      assert.deepEqual([asNode.status, asNode.body], [401, { message: 'Unauthorized' }]);
      assert.deepEqual(await listedNames('api'), ['api/waiting']);
    });

    it('lists a forgotten node again once it polls, and once a new job targets it', async () => {
      assert.equal((await poll('back', 'poller')).status, 404);
      assert.equal((await admin('/admin/nodes/back/poller', 'DELETE')).status, 200);
      assert.deepEqual(await listedNames('back'), []);
      assert.equal((await poll('back', 'poller')).status, 404);
      assert.deepEqual(await listedNames('back'), ['back/poller']);

      const created = await admin('/admin/jobs', 'POST', jobBody([{ org: 'back', name: 'target' }]));
      assert.equal((await admin(`/admin/jobs/${created.body.id}/cancel`, 'POST')).status, 200);
      assert.equal((await admin('/admin/nodes/back/target', 'DELETE')).body.finished_tasks, 1);
      assert.deepEqual(await listedNames('back'), ['back/poller']);
      assert.equal((await admin('/admin/jobs', 'POST', jobBody([{ org: 'back', name: 'target' }]))).status, 200);
      const answer = await admin(`/admin/nodes?cursor=${encodeURIComponent('back/poller')}&limit=1`);
      const [target] = answer.body.nodes as Listed[];
      assert.equal(target?.node_name, 'back/target');
      assert.equal(target?.tasks.queued, 1);
      assert.equal(target?.tasks.cancelled, 0, 'the forgotten task does not count');
    });

    it('forgets a node with `foodtruck nodes forget`, and says why it will not', async () => {
      const created = await admin('/admin/jobs', 'POST', jobBody([{ org: 'cli', name: 'old' }, { org: 'cli', name: 'new' }]));
      assert.equal((await admin(`/admin/jobs/${created.body.id}/cancel?node=cli%2Fold`, 'POST')).status, 200);
      const forgot = await cli(['nodes', 'forget', 'cli/old']);
      assert.equal(forgot.code, 0, forgot.stderr);
      assert.equal(forgot.stdout, 'Forgot cli/old (1 finished task, kept in their jobs; it had never polled).\n');
      const refused = await cli(['nodes', 'forget', 'cli/new']);
      assert.equal(refused.code, 3);
      assert.match(refused.stderr, /the server answered 409: node cli\/new has 1 unfinished task/);
      const unknown = await cli(['nodes', 'forget', 'cli/old', '--json']);
      assert.equal(unknown.code, 3);
      assert.match(unknown.stderr, /404: node cli\/old not found/);
      const usage = await cli(['nodes', 'forget', 'no-slash']);
      assert.equal(usage.code, 2);
      assert.deepEqual(await listedNames('cli'), ['cli/new']);
    });
  });

  describe(`pruning nodes (FOODTRUCK_NODE_PRUNE_AFTER): ${driver}`, () => {
    let server: ServerProcess;
    let store: StoreEnvironment;
    const admin = (path: string, method = 'GET', json?: unknown) =>
      call(`${server.url}${path}`, { method, key: server.adminKey, ...(json === undefined ? {} : { json }) });
    const poll = (name: string) =>
      call(`${server.url}/organizations/prune/foodtruck/nodes/${name}/tasks/next`, { method: 'POST', key: server.nodesKey });
    const listed = async () => {
      const answer = await admin('/admin/nodes?limit=1000');
      return (answer.body.nodes as Listed[]).map((n) => n.node_name);
    };

    before(async () => {
      store = await storeEnvironment();
      server = await startServer({ env: { ...store.env, FOODTRUCK_NODE_PRUNE_AFTER: '3s' } });
    });
    after(async () => {
      await server?.stop();
      server?.cleanup();
      await store?.dispose();
    });

    it('forgets nodes idle that long, keeps those that poll or have work, and lists a pruned node again when it polls', async () => {
      const nodes = ['idle', 'alive', 'busy', 'gone'].map((name) => ({ org: 'prune', name }));
      const cancelled = await admin('/admin/jobs', 'POST', jobBody(nodes.filter((n) => n.name !== 'busy')));
      assert.equal((await admin(`/admin/jobs/${cancelled.body.id}/cancel`, 'POST')).status, 200);
      assert.equal((await admin('/admin/jobs', 'POST', jobBody([{ org: 'prune', name: 'busy' }]))).status, 200);
      assert.equal((await poll('gone')).status, 404);
      assert.deepEqual(await listed(), ['prune/alive', 'prune/busy', 'prune/gone', 'prune/idle']);

      // `alive` polls every half second; the others are left alone. Generous for a loaded machine.
      const deadline = Date.now() + 60_000;
      let now: string[] = [];
      while (Date.now() < deadline) {
        assert.equal((await poll('alive')).status, 404);
        now = await listed();
        if (!now.includes('prune/idle') && !now.includes('prune/gone')) break;
        await sleep(500);
      }
      assert.deepEqual(now, ['prune/alive', 'prune/busy'], server.output());
      assert.match(server.output(), /nodes pruned/);
      const job = await admin(`/admin/jobs/${cancelled.body.id}?fetchStatuses=true`);
      assert.equal(job.body.statuses.length, 3, 'the job still names its pruned nodes');
      assert.equal((await poll('gone')).status, 404);
      assert.deepEqual(await listed(), ['prune/alive', 'prune/busy', 'prune/gone']);
    });
  });
}
