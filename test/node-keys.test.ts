// FOODTRUCK_NODE_AUTH=node-keys: every node request is signed with the node's own key and the real
// server verifies it; a node can act only as itself. Requests are signed by our client's signer
// and by Mixlib::Authentication (real Ruby), enrolled with the enrollment secret or registered
// by an administrator.

import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHEF_SERVER_API_VERSION, chefSignedHeaders } from '../src/client/chef-signing.js';
import { writeFileSync } from 'node:fs';
import { call, jobBody, type Answer } from './support/api-client.js';
import { runFoodtruck } from './support/cli-process.js';
import { startClient, waitFor, waitForStatus, writeClientConfig, writeProvider } from './support/client-process.js';
import { mixlibMissing, mixlibSign } from './support/mixlib.js';
import { randomKey, runServerToExit, startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

const ORG = 'fleet';
const newKeys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string;

interface SignOptions {
  userId?: string;
  timestamp?: Date;
  /** Sign this body, send `body`. */
  signedBody?: Buffer;
}

/**
 * A signature covers whole seconds, and the server refuses one it has seen: the same request signed
 * twice within a second would be a replay. Each request here is signed a second after the last.
 */
let lastSignedSecond = 0;
function nextTimestamp(): Date {
  lastSignedSecond = Math.max(Math.floor(Date.now() / 1000), lastSignedSecond + 1);
  return new Date(lastSignedSecond * 1000);
}

function signedHeaders(privateKey: KeyObject, userId: string, method: string, urlPath: string, body: Buffer, options: SignOptions = {}) {
  return chefSignedHeaders({
    method,
    path: urlPath,
    body: options.signedBody ?? body,
    userId: options.userId ?? userId,
    privateKey,
    timestamp: options.timestamp ?? nextTimestamp(),
  });
}

async function send(url: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  const answer = await fetch(url, {
    method: 'POST',
    headers: body.length > 0 ? { ...headers, 'content-type': 'application/json' } : headers,
    body: body.length > 0 ? body : undefined,
  });
  const text = await answer.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Left as text.
  }
  return { status: answer.status, body: parsed, headers: answer.headers };
}

describe('node keys: the server verifies each node\'s own signature', () => {
  let server: ServerProcess;
  const secret = randomKey();
  const a = { org: ORG, name: 'node-a' };
  const b = { org: ORG, name: 'node-b' };
  const aKeys = newKeys();
  const bKeys = newKeys();

  const routeOf = (node: { org: string; name: string }, route: 'next' | 'status') =>
    `/organizations/${node.org}/foodtruck/nodes/${node.name}/tasks/${route}`;
  const enroll = (node: { org: string; name: string }, pem: string, key = secret) =>
    call(`${server.url}/organizations/${node.org}/foodtruck/nodes/${node.name}/key`, { key, json: { public_key: pem } });
  /** A signed request to `node`'s route, by `privateKey`, as `options` bend it. */
  const signedCall = (node: { org: string; name: string }, route: 'next' | 'status', privateKey: KeyObject, body = Buffer.alloc(0), options: SignOptions = {}) => {
    const urlPath = routeOf(node, route);
    return send(`${server.url}${urlPath}`, signedHeaders(privateKey, node.name, 'POST', urlPath, body, options), body);
  };
  const statusOf = async (jobId: string, node: { org: string; name: string }) => {
    const job = await call(`${server.url}/admin/jobs/${jobId}?fetchStatuses=true`, { key: server.adminKey });
    return (job.body.statuses as Array<{ node_name: string; status: string }>).find((s) => s.node_name === `${node.org}/${node.name}`)?.status;
  };
  /** Waits for the log, after its first `from` characters, to name the check that refused a request. */
  const refusedFor = async (check: string, from = 0) =>
    waitFor(
      () => (server.output().slice(from).includes(`"check":"${check}"`) ? true : undefined),
      5_000,
      () => `the log never named the failed check "${check}":\n${server.output().slice(-3000)}`,
    );

  before(async () => {
    server = await startServer({ env: { FOODTRUCK_NODE_AUTH: 'node-keys', FOODTRUCK_ENROLLMENT_SECRET: secret } });
    assert.equal((await enroll(a, publicPem(aKeys.publicKey))).status, 200);
    assert.equal((await enroll(b, publicPem(bKeys.publicKey))).status, 200);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('hands a node its task and takes its report when the node signs as itself', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([a]) });
    const claimed = await signedCall(a, 'next', aKeys.privateKey);
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal(claimed.body.job_id, created.body.id);
    const report = Buffer.from(JSON.stringify({ job_id: created.body.id, status: 'success', result: { exit_code: 0, reason: '' } }));
    const reported = await signedCall(a, 'status', aKeys.privateKey, report);
    assert.deepEqual([reported.status, reported.body], [200, {}]);
    assert.equal(await statusOf(created.body.id as string, a), 'success');
    const empty = await signedCall(a, 'next', aKeys.privateKey);
    assert.deepEqual([empty.status, empty.body], [404, { message: 'no tasks available' }]);
  });

  it('refuses every request that is not the node itself, and leaves its task untouched', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([b]) });
    const jobId = created.body.id as string;
    const report = Buffer.from(JSON.stringify({ job_id: jobId, status: 'success', result: { exit_code: 0, reason: 'forged' } }));
    const now = Date.now();
    const attempts: Array<[string, string, () => Promise<Answer>]> = [
      // A's valid signature, as A, on B's path.
      ['impersonation: poll', 'user-id', () => signedCall(b, 'next', aKeys.privateKey, Buffer.alloc(0), { userId: a.name })],
      ['impersonation: report', 'user-id', () => signedCall(b, 'status', aKeys.privateKey, report, { userId: a.name })],
      // A's key, claiming to be B.
      ['forged signature', 'signature', () => signedCall(b, 'next', aKeys.privateKey)],
      ['wrong key', 'signature', () => signedCall(b, 'status', newKeys().privateKey, report)],
      ['stale timestamp', 'timestamp-skew', () => signedCall(b, 'next', bKeys.privateKey, Buffer.alloc(0), { timestamp: new Date(now - 16 * 60_000) })],
      ['future timestamp', 'timestamp-skew', () => signedCall(b, 'next', bKeys.privateKey, Buffer.alloc(0), { timestamp: new Date(now + 16 * 60_000) })],
      [
        'tampered body',
        'content-hash',
        () =>
          signedCall(b, 'status', bKeys.privateKey, report, {
            signedBody: Buffer.from(JSON.stringify({ job_id: jobId, status: 'running' })),
          }),
      ],
      ['body on a signed empty poll', 'content-hash', () => signedCall(b, 'next', bKeys.privateKey, Buffer.from('{}'), { signedBody: Buffer.alloc(0) })],
      ['no credentials', 'missing-headers', () => send(`${server.url}${routeOf(b, 'next')}`, {}, Buffer.alloc(0))],
      ['the shared key', 'missing-headers', () => send(`${server.url}${routeOf(b, 'next')}`, { authorization: `Bearer ${server.nodesKey}` }, Buffer.alloc(0))],
      [
        'a signature header missing',
        'missing-headers',
        () => {
          const urlPath = routeOf(b, 'next');
          const headers: Record<string, string> = signedHeaders(bKeys.privateKey, b.name, 'POST', urlPath, Buffer.alloc(0));
          delete headers['X-Ops-Content-Hash'];
          return send(`${server.url}${urlPath}`, headers, Buffer.alloc(0));
        },
      ],
      [
        'signed for another route',
        'signature',
        () => {
          const headers = signedHeaders(bKeys.privateKey, b.name, 'POST', routeOf(b, 'status'), Buffer.alloc(0));
          return send(`${server.url}${routeOf(b, 'next')}`, headers, Buffer.alloc(0));
        },
      ],
      ['unknown node', 'unknown-node', () => signedCall({ org: ORG, name: 'never-enrolled' }, 'next', bKeys.privateKey)],
    ];
    for (const [what, check, attempt] of attempts) {
      const logged = server.output().length;
      const answer = await attempt();
      assert.deepEqual([answer.status, answer.body], [401, { message: 'Unauthorized' }], what);
      await refusedFor(check, logged);
    }
    assert.equal(await statusOf(jobId, b), 'queued', 'no attempt handed the task out or changed it');
    assert.doesNotMatch(server.output(), /"check":"[^"]+".*"task handed out"/);

    // B itself still gets it.
    const claimed = await signedCall(b, 'next', bKeys.privateKey);
    assert.equal(claimed.body.job_id, jobId);
  });

  it('refuses a captured request replayed, and the task keeps the status the node reported', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([b]) });
    const jobId = created.body.id as string;
    assert.equal((await signedCall(b, 'next', bKeys.privateKey)).body.job_id, jobId);
    const urlPath = routeOf(b, 'status');
    const running = Buffer.from(JSON.stringify({ job_id: jobId, status: 'running' }));
    const captured = signedHeaders(bKeys.privateKey, b.name, 'POST', urlPath, running);
    assert.equal((await send(`${server.url}${urlPath}`, captured, running)).status, 200);
    const done = Buffer.from(JSON.stringify({ job_id: jobId, status: 'failed', result: { exit_code: 3, reason: 'exit error' } }));
    assert.equal((await signedCall(b, 'status', bKeys.privateKey, done)).status, 200);
    assert.equal(await statusOf(jobId, b), 'failed');

    const replayed = await send(`${server.url}${urlPath}`, captured, running);
    assert.deepEqual([replayed.status, replayed.body], [401, { message: 'Unauthorized' }]);
    await refusedFor('replay');
    assert.equal(await statusOf(jobId, b), 'failed');

    // A captured empty poll, replayed while a new task waits: not handed out.
    const pollPath = routeOf(b, 'next');
    const poll = signedHeaders(bKeys.privateKey, b.name, 'POST', pollPath, Buffer.alloc(0));
    assert.equal((await send(`${server.url}${pollPath}`, poll, Buffer.alloc(0))).status, 404);
    const next = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([b]) });
    assert.equal((await send(`${server.url}${pollPath}`, poll, Buffer.alloc(0))).status, 401);
    assert.equal(await statusOf(next.body.id as string, b), 'queued');
  });

  it('accepts requests Mixlib::Authentication (Ruby) signs as the node, and refuses them signed as another user', { skip: mixlibMissing() ?? false }, async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([a]) });
    const urlPath = routeOf(a, 'next');
    const rubySigned = (userId: string) =>
      mixlibSign({
        method: 'POST',
        path: urlPath,
        body: Buffer.alloc(0),
        userId,
        timestamp: nextTimestamp().toISOString().replace(/\.\d+Z$/, 'Z'),
        serverApiVersion: CHEF_SERVER_API_VERSION,
        privateKey: aKeys.privateKey,
      });
    const asB = await send(`${server.url}${urlPath}`, { ...rubySigned(b.name), 'X-Ops-Server-API-Version': CHEF_SERVER_API_VERSION }, Buffer.alloc(0));
    assert.deepEqual([asB.status, asB.body], [401, { message: 'Unauthorized' }]);
    assert.equal(await statusOf(created.body.id as string, a), 'queued');
    const asA = await send(`${server.url}${urlPath}`, { ...rubySigned(a.name), 'X-Ops-Server-API-Version': CHEF_SERVER_API_VERSION }, Buffer.alloc(0));
    assert.equal(asA.status, 200, JSON.stringify(asA.body));
    assert.equal(asA.body.job_id, created.body.id);
    const report = Buffer.from(JSON.stringify({ job_id: created.body.id, status: 'success' }));
    const rubyReport = mixlibSign({
      method: 'POST',
      path: routeOf(a, 'status'),
      body: report,
      userId: a.name,
      timestamp: nextTimestamp().toISOString().replace(/\.\d+Z$/, 'Z'),
      serverApiVersion: CHEF_SERVER_API_VERSION,
      privateKey: aKeys.privateKey,
    });
    const reported = await send(`${server.url}${routeOf(a, 'status')}`, { ...rubyReport, 'X-Ops-Server-API-Version': CHEF_SERVER_API_VERSION }, report);
    assert.equal(reported.status, 200, JSON.stringify(reported.body));
    assert.equal(await statusOf(created.body.id as string, a), 'success');
  });

  it('enrolls the first key for a node, takes the same key again, and refuses another until an admin resets it', async () => {
    const c = { org: ORG, name: 'node-c' };
    const first = newKeys();
    const second = newKeys();
    const wrongSecret = await enroll(c, publicPem(first.publicKey), randomKey());
    assert.deepEqual([wrongSecret.status, wrongSecret.body], [401, { message: 'Unauthorized' }]);
    const noSecret = await call(`${server.url}/organizations/${ORG}/foodtruck/nodes/node-c/key`, { json: { public_key: publicPem(first.publicKey) } });
    assert.equal(noSecret.status, 401);
    const adminKeyIsNoSecret = await enroll(c, publicPem(first.publicKey), server.adminKey);
    assert.equal(adminKeyIsNoSecret.status, 401);

    const enrolled = await enroll(c, publicPem(first.publicKey));
    assert.equal(enrolled.status, 200);
    assert.equal(enrolled.body.node_name, 'fleet/node-c');
    assert.equal(enrolled.body.source, 'enrollment');
    assert.match(enrolled.body.fingerprint as string, /^[0-9a-f]{64}$/);
    // The same key in another PEM form is the same key.
    const again = await enroll(c, first.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    assert.deepEqual([again.status, again.body.fingerprint], [200, enrolled.body.fingerprint]);
    const other = await enroll(c, publicPem(second.publicKey));
    assert.deepEqual([other.status, other.body], [409, { message: 'node fleet/node-c already has another key: an administrator must reset it first' }]);
    assert.equal((await signedCall(c, 'next', second.privateKey)).status, 401);
    assert.equal((await signedCall(c, 'next', first.privateKey)).status, 404);

    const reset = await call(`${server.url}/admin/nodes/${ORG}/node-c/key`, { method: 'DELETE', key: server.adminKey });
    assert.deepEqual([reset.status, reset.body], [200, { node_name: 'fleet/node-c', removed: true }]);
    assert.equal((await signedCall(c, 'next', first.privateKey)).status, 401, 'a reset key is refused at once');
    assert.equal((await enroll(c, publicPem(second.publicKey))).status, 200);
    assert.equal((await signedCall(c, 'next', second.privateKey)).status, 404);
    assert.equal((await signedCall(c, 'next', first.privateKey)).status, 401);
  });

  it('refuses keys that are not RSA public keys of at least 2048 bits', async () => {
    const d = { org: ORG, name: 'node-d' };
    const cases: Array<[string, unknown]> = [
      ['not PEM', 'hello'],
      ['a private key', aKeys.privateKey.export({ type: 'pkcs8', format: 'pem' })],
      ['an EC key', publicPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)],
      ['a 1024-bit key', publicPem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)],
      ['not a string', 42],
    ];
    for (const [what, publicKey] of cases) {
      const enrolled = await call(`${server.url}/organizations/${ORG}/foodtruck/nodes/node-d/key`, { key: secret, json: { public_key: publicKey } });
      assert.equal(enrolled.status, 400, what);
      assert.equal(typeof enrolled.body.message, 'string');
      const set = await call(`${server.url}/admin/nodes/${ORG}/node-d/key`, { method: 'PUT', key: server.adminKey, json: { public_key: publicKey } });
      assert.equal(set.status, 400, what);
    }
    const missing = await call(`${server.url}/admin/nodes/${ORG}/node-d/key`, { method: 'PUT', key: server.adminKey, json: {} });
    assert.equal(missing.status, 400);
    assert.equal((await call(`${server.url}/admin/nodes/${ORG}/node-d/key`, { key: server.adminKey })).status, 404);
    assert.equal((await signedCall(d, 'next', aKeys.privateKey)).status, 401);
  });

  it('lets an administrator register a node\'s key (a Chef client\'s public key), replace it, and read it', async () => {
    const e = { org: ORG, name: 'node-e' };
    const chefClient = newKeys();
    const put = await call(`${server.url}/admin/nodes/${ORG}/node-e/key`, { method: 'PUT', key: server.adminKey, json: { public_key: publicPem(chefClient.publicKey) } });
    assert.equal(put.status, 200);
    assert.equal(put.body.source, 'admin');
    const got = await call(`${server.url}/admin/nodes/${ORG}/node-e/key`, { key: server.adminKey });
    assert.equal(got.body.public_key, publicPem(chefClient.publicKey));
    assert.equal(got.body.fingerprint, put.body.fingerprint);
    assert.equal((await signedCall(e, 'next', chefClient.privateKey)).status, 404);
    // Enrollment cannot replace it.
    assert.equal((await enroll(e, publicPem(newKeys().publicKey))).status, 409);
    const replacement = newKeys();
    await call(`${server.url}/admin/nodes/${ORG}/node-e/key`, { method: 'PUT', key: server.adminKey, json: { public_key: publicPem(replacement.publicKey) } });
    assert.equal((await signedCall(e, 'next', chefClient.privateKey)).status, 401);
    assert.equal((await signedCall(e, 'next', replacement.privateKey)).status, 404);
    assert.equal((await call(`${server.url}/admin/nodes/${ORG}/node-e/key`, { method: 'PUT', json: { public_key: publicPem(replacement.publicKey) } })).status, 401);
    assert.match(server.output(), /"audit":\{"admin":"admin","action":"PUT \/admin\/nodes\/:org\/:name\/key","node":"fleet\/node-e","fingerprint":"[0-9a-f]{64}","status":200\}/);
  });

  it('registers, shows and resets a node\'s key from the CLI', async () => {
    const temp = makeTempDir('foodtruck-cli-key-');
    try {
      const f = { org: ORG, name: 'node-f' };
      const keys = newKeys();
      const pubFile = path.join(temp.dir, 'node-f.pub');
      writeFileSync(pubFile, publicPem(keys.publicKey));
      const env = { FOODTRUCK_URL: server.url, ADMIN_API_KEY: server.adminKey };
      const set = await runFoodtruck(['nodes', 'key', 'set', 'fleet/node-f', '--public-key', pubFile], { env });
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /^Registered the key of fleet\/node-f \(sha256 [0-9a-f]{64}\)\.\n$/);
      assert.equal((await signedCall(f, 'next', keys.privateKey)).status, 404);
      const get = await runFoodtruck(['nodes', 'key', 'get', 'fleet/node-f', '--json'], { env });
      assert.equal(JSON.parse(get.stdout).public_key, publicPem(keys.publicKey));
      const fromStdin = await runFoodtruck(['nodes', 'key', 'set', 'fleet/node-f', '--public-key', '-'], { env, stdin: publicPem(keys.publicKey) });
      assert.equal(fromStdin.code, 0, fromStdin.stderr);
      const bad = await runFoodtruck(['nodes', 'key', 'set', 'fleet/node-f', '--public-key', '-'], { env, stdin: 'not a key' });
      assert.equal(bad.code, 3);
      assert.match(bad.stderr, /the server answered 400: public_key must be an RSA public key/);
      const reset = await runFoodtruck(['nodes', 'key', 'reset', 'fleet/node-f'], { env });
      assert.deepEqual([reset.code, reset.stdout], [0, 'Removed the key of fleet/node-f.\n']);
      assert.equal((await signedCall(f, 'next', keys.privateKey)).status, 401);
      const again = await runFoodtruck(['nodes', 'key', 'reset', 'fleet/node-f'], { env });
      assert.equal(again.stdout, 'fleet/node-f had no key.\n');
      const usage = await runFoodtruck(['nodes', 'key', 'set', 'node-f'], { env });
      assert.equal(usage.code, 2);
    } finally {
      temp.remove();
    }
  });

  it('runs a job end to end with the real client, which makes its key pair and enrolls by itself', async () => {
    const temp = makeTempDir('foodtruck-node-key-');
    try {
      const node = { org: ORG, name: 'self-enrolled' };
      mkdirSync(path.join(temp.dir, 'providers'));
      writeProvider(path.join(temp.dir, 'providers'), 'infra', '#!/bin/sh\necho "ran as $(cat)"\n');
      const config = writeClientConfig(temp.dir, {
        base_url: server.url,
        auth: { type: 'nodeKey', enrollment_secret: secret },
        node,
        interval: '200ms',
        providers_path: 'providers',
        state_dir: 'state',
      });
      const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { spec: 'the job' }) });
      const client = startClient(config);
      try {
        const status = await waitForStatus(() => server.url, server.adminKey, created.body.id as string, 'fleet/self-enrolled');
        assert.equal(status.status, 'success', client.output());
        assert.match(status.result?.output ?? '', /ran as "the job"/);
        // A second job right away: polls follow each other within a second, none is taken for a replay.
        const next = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node]) });
        assert.equal((await waitForStatus(() => server.url, server.adminKey, next.body.id as string, 'fleet/self-enrolled')).status, 'success');
      } finally {
        await client.stop();
      }
      assert.match(client.output(), /made this node's key pair/);
      assert.match(client.output(), /node key enrolled/);
      const keyFile = path.join(temp.dir, 'state', 'node_key.pem');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const stored = await call(`${server.url}/admin/nodes/${ORG}/self-enrolled/key`, { key: server.adminKey });
      assert.equal(stored.body.source, 'enrollment');

      // Started again: the same key, enrolled again without a conflict.
      const again = startClient(config);
      try {
        await again.waitForOutput(/using this node's key pair[\s\S]*node key enrolled/);
      } finally {
        await again.stop();
      }
      assert.equal((await call(`${server.url}/admin/nodes/${ORG}/self-enrolled/key`, { key: server.adminKey })).body.fingerprint, stored.body.fingerprint);
    } finally {
      temp.remove();
    }
  });
});

describe('node keys: both modes at once while a fleet moves', () => {
  let server: ServerProcess;
  const keys = newKeys();
  const node = { org: ORG, name: 'moving' };

  before(async () => {
    server = await startServer({ env: { FOODTRUCK_NODE_AUTH: 'both' } });
    const put = await call(`${server.url}/admin/nodes/${ORG}/moving/key`, { method: 'PUT', key: server.adminKey, json: { public_key: publicPem(keys.publicKey) } });
    assert.equal(put.status, 200);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('takes the shared key and the node\'s signature, and refuses either when wrong', async () => {
    const urlPath = `/organizations/${ORG}/foodtruck/nodes/moving/tasks/next`;
    const bearer = await send(`${server.url}${urlPath}`, { authorization: `Bearer ${server.nodesKey}` }, Buffer.alloc(0));
    assert.equal(bearer.status, 404);
    const signed = await send(`${server.url}${urlPath}`, signedHeaders(keys.privateKey, node.name, 'POST', urlPath, Buffer.alloc(0)), Buffer.alloc(0));
    assert.equal(signed.status, 404);
    const wrongBearer = await send(`${server.url}${urlPath}`, { authorization: `Bearer ${randomKey()}` }, Buffer.alloc(0));
    assert.equal(wrongBearer.status, 401);
    const wrongKey = await send(`${server.url}${urlPath}`, signedHeaders(newKeys().privateKey, node.name, 'POST', urlPath, Buffer.alloc(0)), Buffer.alloc(0));
    assert.equal(wrongKey.status, 401);
    // No enrollment secret configured: nobody enrolls.
    const enroll = await call(`${server.url}/organizations/${ORG}/foodtruck/nodes/other/key`, { key: server.nodesKey, json: { public_key: publicPem(keys.publicKey) } });
    assert.equal(enroll.status, 401);
  });
});

describe('node keys: configuration', () => {
  it('stops the server on an unknown FOODTRUCK_NODE_AUTH or a weak enrollment secret, naming the variable', async () => {
    const temp = makeTempDir('foodtruck-node-auth-config-');
    try {
      const base = { FOODTRUCK_DATA_DIR: temp.dir, FOODTRUCK_LISTEN_ADDR: '127.0.0.1:0', ADMIN_API_KEY: randomKey(), NODES_API_KEY: randomKey() };
      const mode = await runServerToExit({ ...base, FOODTRUCK_NODE_AUTH: 'node-key' });
      assert.equal(mode.code, 2);
      assert.match(mode.output, /FOODTRUCK_NODE_AUTH: must be one of shared-key, node-keys, both, got "node-key"/);
      const secret = await runServerToExit({ ...base, FOODTRUCK_NODE_AUTH: 'node-keys', FOODTRUCK_ENROLLMENT_SECRET: 'short' });
      assert.equal(secret.code, 2);
      assert.match(secret.output, /FOODTRUCK_ENROLLMENT_SECRET: must be at least 16/);
      const same = await runServerToExit({ ...base, FOODTRUCK_ENROLLMENT_SECRET: base.ADMIN_API_KEY });
      assert.match(same.output, /FOODTRUCK_ENROLLMENT_SECRET: must differ from ADMIN_API_KEY and NODES_API_KEY/);
    } finally {
      temp.remove();
    }
  });
});
