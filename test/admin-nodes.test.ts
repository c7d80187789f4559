// When nodes last polled: gathered in memory, written in batches, listed with their task counts.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckInRecorder } from '../src/server/check-in-recorder.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { call, jobBody } from './support/api-client.js';
import { runServerToExit, startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

describe('GET /admin/nodes', () => {
  let server: ServerProcess;
  const admin = (path: string) => call(`${server.url}${path}`, { key: server.adminKey });
  const poll = (org: string, name: string) =>
    call(`${server.url}/organizations/${org}/foodtruck/nodes/${name}/tasks/next`, { method: 'POST', key: server.nodesKey });

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('shows targeted nodes that never polled beside the ones that did, with their tasks by status', async () => {
    await admin('/admin/jobs');
    const created = await call(`${server.url}/admin/jobs`, {
      key: server.adminKey,
      json: jobBody([{ org: 'fleet', name: 'busy' }, { org: 'fleet', name: 'silent' }]),
    });
    assert.equal(created.status, 200);
    const before = Date.now();
    assert.equal((await poll('fleet', 'busy')).status, 200);
    assert.equal((await poll('fleet', 'stranger')).status, 404);

    const answer = await admin('/admin/nodes');
    assert.equal(answer.status, 200);
    type Listed = { node_name: string; last_check_in: string | null; tasks: Record<string, number> };
    const byName = new Map((answer.body.nodes as Listed[]).map((n) => [n.node_name, n]));
    assert.deepEqual([...byName.keys()], ['fleet/busy', 'fleet/silent', 'fleet/stranger']);
    const busy = byName.get('fleet/busy') as Listed;
    assert.ok(Date.parse(busy.last_check_in ?? '')  >= before - 1000, 'a poll shows at once, before any flush');
    assert.equal(busy.tasks.pending, 1);
    const silent = byName.get('fleet/silent') as Listed;
    assert.equal(silent.last_check_in, null);
    assert.equal(silent.tasks.queued, 1);
    assert.equal(answer.body.next_cursor, null);
  });

  it('pages with limit and cursor, and refuses a key that is not the admin key', async () => {
    const first = await admin('/admin/nodes?limit=2');
    assert.equal(first.body.nodes.length, 2);
    assert.equal(typeof first.body.next_cursor, 'string');
    const second = await admin(`/admin/nodes?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    assert.deepEqual(second.body.nodes.map((n: { node_name: string }) => n.node_name), ['fleet/stranger']);
    assert.equal((await admin('/admin/nodes?limit=0')).status, 400);
    assert.equal((await admin('/admin/nodes?cursor=nonsense')).status, 400);
    const asNode = await call(`${server.url}/admin/nodes`, { key: server.nodesKey });
    assert.deepEqual([asNode.status, asNode.body], [401, { message: 'Unauthorized' }]);
  });

  it('filters by name text, never seen, seen within and unfinished tasks, and refuses what it cannot read', async () => {
    // fleet/busy holds a pending task and polled; fleet/silent is queued and never polled; fleet/stranger polled, no task.
    const names = async (query: string) => {
      const answer = await admin(`/admin/nodes?${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return (answer.body.nodes as Array<{ node_name: string }>).map((n) => n.node_name);
    };
    assert.deepEqual(await names('search=SIL'), ['fleet/silent']);
    assert.deepEqual(await names('search=fleet%2Fs'), ['fleet/silent', 'fleet/stranger']);
    assert.deepEqual(await names('never_seen=true'), ['fleet/silent']);
    assert.deepEqual(await names('never_seen=false&search=busy'), ['fleet/busy']);
    assert.deepEqual(await names('unfinished=true'), ['fleet/busy', 'fleet/silent']);
    assert.deepEqual(await names('unfinished=true&never_seen=true'), ['fleet/silent']);
    assert.deepEqual(await names('seen_within=1h'), ['fleet/busy', 'fleet/stranger']);
    assert.deepEqual(await names('seen_within=1h&unfinished=true'), ['fleet/busy']);
    assert.deepEqual(await names('search=nothing-like-it'), []);
    const refused = async (query: string, message: RegExp) => {
      const answer = await admin(`/admin/nodes?${query}`);
      assert.equal(answer.status, 400, query);
      assert.match(answer.body.message, message);
    };
    await refused('never_seen=yes', /^never_seen must be true or false$/);
    await refused('unfinished=1', /^unfinished must be true or false$/);
    await refused(`search=${'x'.repeat(512)}`, /^search must be text of at most 511 characters$/);
    await refused('never_seen=true&seen_within=1h', /^never_seen=true cannot go with selector terms/);
    await refused('search=a&search=b', /search/);
  });

  it('lists the latest poll even while the stored check-in waits for the resolution', async () => {
    assert.equal((await poll('fleet', 'steady')).status, 404);
    // The first poll is written at once (the list flushes it); the next, a second later, is not
    // written for a minute (FOODTRUCK_CHECK_IN_RESOLUTION), yet the list shows it.
    assert.equal((await admin('/admin/nodes?search=steady')).status, 200);
    await sleep(1_100);
    const second = Date.now();
    assert.equal((await poll('fleet', 'steady')).status, 404);
    const answer = await admin('/admin/nodes?search=steady');
    const [steady] = answer.body.nodes as Array<{ node_name: string; last_check_in: string }>;
    assert.equal(steady?.node_name, 'fleet/steady');
    assert.ok(Date.parse(steady.last_check_in) >= second - 1000, `${steady.last_check_in} is the second poll (${new Date(second).toISOString()})`);
  });

  it('writes the check-ins still in memory when the server stops', async () => {
    const polled = Date.now();
    assert.equal((await poll('restart', 'late')).status, 404);
    assert.equal(await server.stop(), 0);
    const again = await startServer({ dataDir: server.dataDir, adminKey: server.adminKey, nodesKey: server.nodesKey });
    try {
      const answer = await call(`${again.url}/admin/nodes?cursor=fleet%2Fstranger`, { key: again.adminKey });
      const late = (answer.body.nodes as Array<{ node_name: string; last_check_in: string }>).find((n) => n.node_name === 'restart/late');
      assert.ok(late, JSON.stringify(answer.body));
      assert.ok(Date.parse(late.last_check_in) >= polled - 1000);
    } finally {
      await again.stop();
    }
  });
});

/**
 * Runs `test` with a recorder over a real SQLite store in a temporary directory (`makeRecorder`
 * builds it), then stops the recorder, closes the store and removes the directory.
 */
async function withRecorder(
  makeRecorder: (store: SqliteStore) => CheckInRecorder,
  test: (recorder: CheckInRecorder, store: SqliteStore) => Promise<void>,
): Promise<void> {
  const temp = makeTempDir();
  const store = SqliteStore.open(temp.dir);
  const recorder = makeRecorder(store);
  try {
    await test(recorder, store);
  } finally {
    await recorder.stop();
    await store.close();
    temp.remove();
  }
}

describe('check-in recorder', () => {
  it('writes the polls gathered in memory in one batch per interval, the latest per node', async () => {
    await withRecorder(
      (store) => new CheckInRecorder(store, () => {}, 50),
      async (recorder, store) => {
        recorder.start();
        const node = { org: 'o', name: 'n' };
        recorder.note(node, new Date('2030-01-01T00:00:01Z').getTime());
        recorder.note(node, new Date('2030-01-01T00:00:02Z').getTime());
        assert.equal((await store.listNodes({ limit: 5 }, new Date())).items.length, 0, 'nothing is written per poll');
        await sleep(200);
        const [listed] = (await store.listNodes({ limit: 5 }, new Date())).items;
        assert.equal(listed?.lastCheckIn?.toISOString(), '2030-01-01T00:00:02.000Z');
        assert.equal(recorder.latest(node)?.toISOString(), '2030-01-01T00:00:02.000Z');
      },
    );
  });

  it('writes a polling node again only once its stored check-in is older than the resolution, and everything at stop', async () => {
    const resolutionMs = 400;
    await withRecorder(
      // Flushed by hand: the interval never fires during the test.
      (store) => new CheckInRecorder(store, () => {}, 60_000, resolutionMs),
      async (recorder, store) => {
        const stored = async (name: string) =>
          (await store.listNodes({ limit: 10 }, new Date())).items.find((n) => n.node.name === name)?.lastCheckIn?.getTime();
        const node = { org: 'o', name: 'steady' };
        const first = new Date();
        recorder.note(node, first.getTime());
        await recorder.flush();
        assert.equal(await stored('steady'), first.getTime(), 'a first poll is written at the next flush');

        const second = new Date(first.getTime() + 10);
        recorder.note(node, second.getTime());
        await recorder.flush();
        assert.equal(await stored('steady'), first.getTime(), 'within the resolution the stored check-in stays');
        assert.equal(recorder.latest(node)?.getTime(), second.getTime(), 'this process still knows the latest poll');

        await sleep(resolutionMs + 50);
        const third = new Date();
        recorder.note(node, third.getTime());
        await recorder.flush();
        assert.equal(await stored('steady'), third.getTime(), 'past the resolution the latest poll is written');

        // A node that went silent after its last write is dropped from memory once the resolution passed.
        const silent = { org: 'o', name: 'silent' };
        recorder.note(silent, Date.now());
        await recorder.flush();
        await sleep(resolutionMs + 50);
        await recorder.flush();
        assert.equal(recorder.latest(silent), undefined);

        const fourth = new Date(third.getTime() + 20);
        recorder.note(node, fourth.getTime());
        await recorder.stop();
        assert.equal(await stored('steady'), fourth.getTime(), 'stopping writes every poll not yet written');
      },
    );
  });

  it('stops the server at start-up on a FOODTRUCK_CHECK_IN_RESOLUTION that is not a Go duration', async () => {
    const temp = makeTempDir();
    try {
      const { code, output } = await runServerToExit({ FOODTRUCK_DATA_DIR: temp.dir, FOODTRUCK_CHECK_IN_RESOLUTION: 'a minute' });
      assert.equal(code, 2, output);
      assert.match(output, /FOODTRUCK_CHECK_IN_RESOLUTION: must be a Go duration such as "1m" or "168h", or 0 for every flush, got "a minute"/);
    } finally {
      temp.remove();
    }
  });

  it('writes a large batch in chunks and keeps what the store refused for the next flush', async () => {
    let refuse = true;
    const failures: number[] = [];
    await withRecorder(
      (store) => {
        // The real store behind a switch that makes it fail, as a database that went away would.
        const flaky = {
          recordCheckIns: async (batch: Parameters<SqliteStore['recordCheckIns']>[0]) => {
            if (refuse) throw new Error('database is down');
            return store.recordCheckIns(batch);
          },
        };
        return new CheckInRecorder(flaky, (_error, nodes) => failures.push(nodes), 60_000);
      },
      async (recorder, store) => {
        const node = { org: 'o', name: 'kept' };
        recorder.note(node, new Date('2030-01-01T00:00:05Z').getTime());
        await recorder.flush();
        assert.equal(recorder.latest(node)?.toISOString(), '2030-01-01T00:00:05.000Z');
        assert.deepEqual(failures, [1]);
        refuse = false;
        for (let i = 0; i < 2500; i++) recorder.note({ org: 'many', name: `n${i}` }, new Date('2030-01-01T00:00:06Z').getTime());
        await recorder.flush();
        const listed = await store.listNodes({ limit: 3000 }, new Date());
        assert.equal(listed.items.length, 2501);
        assert.equal(listed.items.find((n) => n.node.name === 'kept')?.lastCheckIn?.toISOString(), '2030-01-01T00:00:05.000Z');
      },
    );
  });
});
