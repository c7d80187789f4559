// The empty poll answered before Fastify's life cycle (src/server/empty-poll-fast-path.ts), over
// TCP against the real server executable: the same answer as the route, byte for byte, counted in
// the same metrics and check-ins, and everything it must not answer left to the route.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const ORG = 'fastpath';
const nextPath = (name: string) => `/organizations/${ORG}/foodtruck/nodes/${name}/tasks/next`;

/** A raw POST, so that the answer's header lines can be compared in their order. */
function rawPoll(server: ServerProcess, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headerLines: string[]; body: string }>((resolve, reject) => {
    const request = http.request(`${server.url}${path}`, { method: 'POST', headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        const lines: string[] = [];
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          const name = response.rawHeaders[i] as string;
          // The one line that differs from answer to answer.
          if (name.toLowerCase() !== 'date') lines.push(`${name}: ${response.rawHeaders[i + 1]}`);
        }
        resolve({ status: response.statusCode as number, headerLines: lines, body: text });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

const requestLines = (server: ServerProcess) =>
  server
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"request"'))
    .map((line) => JSON.parse(line) as { reqId: string; status: number; url: string; level: number });

async function metric(server: ServerProcess, line: RegExp): Promise<number> {
  const text = (await call(`${server.url}/metrics`)).body as string;
  const match = new RegExp(`^${line.source} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}
const POLLS_404 = /foodtruck_http_requests_total\{method="POST",route="\/organizations\/:org\/foodtruck\/nodes\/:name\/tasks\/next",status_code="404"\}/;
const POLL_DURATIONS = /foodtruck_http_request_duration_seconds_count\{method="POST",route="\/organizations\/:org\/foodtruck\/nodes\/:name\/tasks\/next"\}/;
const EMPTY_POLLS = /foodtruck_empty_polls_total/;

describe('empty polls answered before Fastify', () => {
  // At info (the default) empty polls take the fast path; at debug the route answers them all,
  // so that its debug line is written: the second server is the route's answer to compare with.
  let fast: ServerProcess;
  let routed: ServerProcess;
  before(async () => {
    [fast, routed] = await Promise.all([startServer(), startServer({ env: { FOODTRUCK_LOG_LEVEL: 'debug' } })]);
  });
  after(async () => {
    for (const server of [fast, routed]) {
      await server?.stop();
      server?.cleanup();
    }
  });

  it('answers an empty poll with the route\'s status, header lines in their order, and body', async () => {
    const answers = await Promise.all(
      [fast, routed].map((server) => rawPoll(server, nextPath('same-answer'), { authorization: `Bearer ${server.nodesKey}` })),
    );
    assert.equal(answers[0]?.status, 404);
    assert.deepEqual(answers[0], answers[1]);
    assert.equal(answers[0]?.body, '{"message":"no tasks available"}');
  });

  it('leaves Fastify\'s request ids untouched, so the polls it answered never reached Fastify', async () => {
    // The request ids Fastify hands out count the requests it saw: three fast polls take none.
    const before = requestLines(fast).length;
    for (let i = 0; i < 3; i++) await rawPoll(fast, nextPath('unseen'), { authorization: `Bearer ${fast.nodesKey}` });
    await rawPoll(fast, nextPath('unseen'), { authorization: 'Bearer not-the-key' });
    await waitFor(() => requestLines(fast).length > before);
    const refused = requestLines(fast).at(-1);
    const previous = requestLines(fast).at(-2);
    assert.equal(refused?.status, 401);
    const id = (line: { reqId: string } | undefined) => Number(line?.reqId.replace('req-', '') ?? -1);
    // Only the 401 (and the /metrics reads of other tests, which are logged) came between.
    assert.equal(id(refused), previous === undefined ? 1 : id(previous) + 1);
  });

  it('counts fast empty polls in the route\'s request counter, its durations and the empty-poll counter', async () => {
    const counted = [await metric(fast, POLLS_404), await metric(fast, POLL_DURATIONS), await metric(fast, EMPTY_POLLS)];
    for (let i = 0; i < 5; i++) await rawPoll(fast, nextPath(`counted-${i}`), { authorization: `Bearer ${fast.nodesKey}` });
    assert.deepEqual([await metric(fast, POLLS_404), await metric(fast, POLL_DURATIONS), await metric(fast, EMPTY_POLLS)], counted.map((n) => n + 5));
  });

  it('records the check-in of a node whose poll it answered', async () => {
    await rawPoll(fast, nextPath('checked-in'), { authorization: `Bearer ${fast.nodesKey}` });
    const nodes = await call(`${fast.url}/admin/nodes?limit=1000`, { key: fast.adminKey });
    assert.equal(nodes.status, 200, JSON.stringify(nodes.body));
    const entry = (nodes.body.nodes as Array<{ org: string; name: string; last_check_in: string | null }>).find(
      (node) => node.org === ORG && node.name === 'checked-in',
    );
    assert.ok(entry?.last_check_in, JSON.stringify(nodes.body));
  });

  it('leaves to the route a wrong key, a name the route refuses, a body, a query, and a node with a task due', async () => {
    // Each case answered alike by both servers, and as the route answers it.
    const cases: Array<{ path: string; headers?: Record<string, string>; key?: 'wrong'; body?: string; status: number }> = [
      { path: nextPath('someone'), key: 'wrong', status: 401 },
      { path: nextPath('bad%20name'), status: 400 },
      { path: `${nextPath('someone')}?wait=forever`, status: 400 },
      { path: nextPath('someone'), headers: { 'content-type': 'application/json' }, body: '{', status: 400 },
      { path: nextPath('x'.repeat(101)), status: 414 },
      { path: `${nextPath('someone')}/`, status: 404 },
      // Paths the fast path cuts by hand: an empty or slashed part is the router's.
      { path: `/organizations/${ORG}/foodtruck/nodes//tasks/next`, status: 400 },
      { path: `/organizations//foodtruck/nodes/someone/tasks/next`, status: 400 },
      { path: `/organizations/${ORG}/foodtruck/nodes/some/one/tasks/next`, status: 404 },
      { path: `/organizations/${ORG}/extra/foodtruck/nodes/someone/tasks/next`, status: 404 },
      { path: `/organizations/${ORG}/foodtruck/nodes/tasks/next`, status: 404 },
    ];
    for (const { path, headers, key, body, status } of cases) {
      const answers = await Promise.all(
        [fast, routed].map((server) =>
          rawPoll(server, path, { ...headers, authorization: `Bearer ${key === 'wrong' ? 'not-the-key' : server.nodesKey}` }, body),
        ),
      );
      assert.equal(answers[0]?.status, status, `${path}: ${answers[0]?.body}`);
      assert.deepEqual(answers[0], answers[1], path);
    }
    const key = { authorization: `Bearer ${fast.nodesKey}` };
    const created = await call(`${fast.url}/admin/jobs`, { key: fast.adminKey, json: jobBody([{ org: ORG, name: 'due' }]) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const due = await rawPoll(fast, nextPath('due'), key);
    assert.equal(due.status, 200, due.body);
    assert.equal(JSON.parse(due.body).job_id, created.body.id);
    assert.equal((await rawPoll(fast, nextPath('due'), key)).status, 404, 'handed out once');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
