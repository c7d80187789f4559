// Long polls on tasks/next over TCP, against the real server executable on the embedded store:
// answered by a job created meanwhile, by a window that opens, at shutdown; the held-poll limit;
// and the original client's poll, which never asks to wait, unchanged.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, jobBody, type Answer } from './support/api-client.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const node = (name: string) => ({ org: 'longpoll', name });
const nextUrl = (server: ServerProcess, name: string, query = '') =>
  `${server.url}/organizations/longpoll/foodtruck/nodes/${name}/tasks/next${query}`;
const poll = (server: ServerProcess, name: string, query = '') =>
  call(nextUrl(server, name, query), { method: 'POST', key: server.nodesKey });
const createJob = async (server: ServerProcess, body: unknown): Promise<string> => {
  const answer = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: body });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.id as string;
};
const timed = async (request: Promise<Answer>) => {
  const started = Date.now();
  const answer = await request;
  return { answer, ms: Date.now() - started, at: Date.now() };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('long polls on tasks/next', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('answers a held poll the moment a job for its node is created on the same server', async () => {
    const held = timed(poll(server, 'same', '?wait=30s'));
    await sleep(300);
    const created = Date.now();
    const id = await createJob(server, jobBody([node('same'), node('same-other')]));
    const { answer, at } = await held;
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.job_id, id);
    assert.equal(answer.headers.get('x-foodtruck-long-poll'), '1m');
    // Generous for a loaded machine; without the wake-up it would wait the full 30 s.
    assert.ok(at - created < 10_000, `answered ${at - created} ms after the job was created`);
  });

  it('answers 404 when the wait ends with nothing for the node, after about that long', async () => {
    const { answer, ms } = await timed(poll(server, 'nothing', '?wait=1500ms'));
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, { message: 'no tasks available' });
    assert.ok(ms >= 1400 && ms < 15_000, `held ${ms} ms`);
  });

  it('wakes a held poll when its task\'s window opens', async () => {
    const start = Date.now() + 2_000;
    await createJob(
      server,
      jobBody([node('future')], { window_start: new Date(start).toISOString(), window_end: new Date(start + 60_000).toISOString() }),
    );
    const early = await poll(server, 'future');
    assert.equal(early.status, 404, 'not before its window');
    const { answer, at } = await timed(poll(server, 'future', '?wait=20s'));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(at >= start, `answered ${start - at} ms before the window opened`);
    assert.ok(at - start < 10_000, `answered ${at - start} ms after the window opened`);
  });

  it('hands a due task out at once to a poll that asks to wait', async () => {
    await createJob(server, jobBody([node('due')]));
    const { answer, ms } = await timed(poll(server, 'due', '?wait=30s'));
    assert.equal(answer.status, 200);
    assert.ok(ms < 10_000);
  });

  it('refuses a wait that is not a duration from 0s to 1m', async () => {
    for (const wait of ['61s', '2m', 'soon', '-1s', '30']) {
      const answer = await poll(server, 'bad-wait', `?wait=${wait}`);
      assert.equal(answer.status, 400, wait);
      assert.deepEqual(answer.body, { message: 'wait must be a duration from 0s to 1m, such as "30s"' });
    }
    const zero = await poll(server, 'bad-wait', '?wait=0s');
    assert.equal(zero.status, 404);
  });

  it('answers the original client\'s poll, which never asks to wait, exactly as before', async () => {
    const { answer, ms } = await timed(poll(server, 'original'));
    assert.equal(answer.status, 404);
    assert.equal(answer.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(answer.body, { message: 'no tasks available' });
    assert.ok(ms < 10_000);
    const id = await createJob(server, jobBody([node('original')]));
    const claimed = await poll(server, 'original');
    assert.equal(claimed.status, 200);
    assert.deepEqual(Object.keys(claimed.body), ['job_id', 'window_start', 'window_end', 'provider', 'spec']);
    assert.equal(claimed.body.job_id, id);
  });

  it('counts held polls in a gauge', async () => {
    const held = poll(server, 'gauge', '?wait=3s');
    await sleep(500);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^foodtruck_held_polls 1$/m);
    assert.match(metrics, /^foodtruck_due_nodes \d+$/m);
    await held;
  });
});

describe('long polls: limit, shutdown, and turned off', () => {
  it('answers 429 with Retry-After beyond FOODTRUCK_MAX_HELD_POLLS, and every held poll with 404 on SIGTERM', async () => {
    const server = await startServer({ env: { FOODTRUCK_MAX_HELD_POLLS: '2' } });
    try {
      const held = [timed(poll(server, 'a', '?wait=50s')), timed(poll(server, 'b', '?wait=50s'))];
      await sleep(500);
      const refused = await poll(server, 'c', '?wait=50s');
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '5');
      assert.deepEqual(refused.body, { message: 'too many polls held on this server (2): poll again in 5 s' });
      // Without `wait` the limit does not apply: an ordinary poll is never held.
      assert.equal((await poll(server, 'c')).status, 404);

      const stopping = Date.now();
      const code = await server.stop();
      assert.equal(code, 0, server.output());
      for (const { answer, at } of await Promise.all(held)) {
        assert.equal(answer.status, 404);
        assert.deepEqual(answer.body, { message: 'no tasks available' });
        assert.ok(at - stopping < 10_000, `answered ${at - stopping} ms after SIGTERM`);
      }
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('with FOODTRUCK_MAX_HELD_POLLS=0 ignores wait and advertises nothing, as the original server did', async () => {
    const server = await startServer({ env: { FOODTRUCK_MAX_HELD_POLLS: '0' } });
    try {
      const { answer, ms } = await timed(poll(server, 'off', '?wait=30s'));
      assert.equal(answer.status, 404);
      assert.equal(answer.headers.get('x-foodtruck-long-poll'), null);
      assert.ok(ms < 10_000);
      assert.equal((await poll(server, 'off', '?wait=nonsense')).status, 404);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
