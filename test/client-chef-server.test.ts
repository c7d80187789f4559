// chefServer auth: the client signs as Chef Infra Client does, and Mixlib::Authentication (Debian's
// ruby-mixlib-authentication, the reference implementation) agrees, in unit and end to end through
// a front that plays the seed's nginx + Chef Infra Server in front of the real server.

import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHEF_SERVER_API_VERSION, chefSignedHeaders } from '../src/client/chef-signing.js';
import { call, jobBody } from './support/api-client.js';
import { startClient, waitForStatus, writeClientConfig, writeProvider } from './support/client-process.js';
import { mixlibMissing, mixlibSign, mixlibVerify, type CapturedRequest, type Verdict } from './support/mixlib.js';
import { makeTempDir } from './support/temp-dir.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const skip = mixlibMissing() ?? false;

function signedRequest(method: string, requestPath: string, body: Buffer, userId = 'node1', timestamp = new Date()): CapturedRequest {
  const headers = chefSignedHeaders({ method, path: requestPath, body, userId, privateKey: keys.privateKey, timestamp });
  return { method, path: requestPath, body, headers: { ...headers, Host: 'chef.example.com' } };
}

describe('Chef request signing', { skip }, () => {
  it('signs byte for byte as Mixlib::Authentication does (protocol 1.3, sha256)', () => {
    const cases = [
      { method: 'POST', path: '/organizations/org/foodtruck/nodes/node1/tasks/next', body: Buffer.alloc(0) },
      {
        method: 'POST',
        path: '/organizations/org/foodtruck/nodes/node1/tasks/status',
        body: Buffer.from('{"job_id":"5ff7686a91072739255a4a35","status":"failed","result":{"exit_code":1,"reason":"exit error","output":"ünïcödé ☃"}}'),
      },
      { method: 'POST', path: '//prefix//organizations/org/foodtruck/nodes/node1/tasks/next/', body: Buffer.from('x') },
    ];
    for (const request of cases) {
      const timestamp = new Date('2021-01-07T21:07:00.123Z');
      const ours = chefSignedHeaders({ ...request, userId: 'node1', privateKey: keys.privateKey, timestamp });
      const theirs = mixlibSign({
        ...request,
        userId: 'node1',
        timestamp: '2021-01-07T21:07:00Z',
        serverApiVersion: CHEF_SERVER_API_VERSION,
        privateKey: keys.privateKey,
      });
      const { 'X-Ops-Server-API-Version': apiVersion, ...signed } = ours;
      assert.equal(apiVersion, '1');
      assert.deepEqual(signed, theirs, request.path);
    }
  });

  it('verifies with Mixlib, and a request changed after signing does not', () => {
    const body = Buffer.from('{"job_id":"5ff7686a91072739255a4a35","status":"running"}');
    const request = signedRequest('POST', '/organizations/org/foodtruck/nodes/node1/tasks/status', body);
    assert.deepEqual(mixlibVerify(request, keys.publicKey), { valid: true, user_id: 'node1' });

    const tampered: Array<[string, CapturedRequest]> = [
      ['body', { ...request, body: Buffer.from('{"job_id":"5ff7686a91072739255a4a35","status":"success"}') }],
      ['path', { ...request, path: '/organizations/org/foodtruck/nodes/node2/tasks/status' }],
      ['method', { ...request, method: 'PUT' }],
      ['user', { ...request, headers: { ...request.headers, 'X-Ops-Userid': 'node2' } }],
      ['timestamp', { ...request, headers: { ...request.headers, 'X-Ops-Timestamp': '2021-01-07T21:07:00Z' } }],
    ];
    for (const [what, changed] of tampered) {
      assert.equal(mixlibVerify(changed, keys.publicKey).valid, false, `changed ${what}`);
    }
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    assert.equal(mixlibVerify(request, otherKey).valid, false, 'another key');
    const stale = signedRequest('POST', request.path, body, 'node1', new Date(Date.now() - 20 * 60_000));
    assert.equal(mixlibVerify(stale, keys.publicKey).valid, false, 'signed 20 minutes ago');
  });
});

interface ChefFront {
  url: string;
  seen: Array<{ request: CapturedRequest; verdict: Verdict; answered: number }>;
  close: () => Promise<void>;
}

/**
 * What the seed's nginx addon does on a Chef Infra Server: the URL's node must be the signer,
 * the signature must verify against the node's public key, then the request goes on to Foodtruck
 * with the nodes API key.
 */
async function startChefFront(upstream: ServerProcess, publicKeys: Record<string, KeyObject>): Promise<ChefFront> {
  const seen: ChefFront['seen'] = [];
  const route = /^\/organizations\/([^/]+)\/foodtruck\/nodes\/([^/]+)\/(tasks\/status|tasks\/next|facts)$/;
  const server = http.createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers[name] = value;
    const request: CapturedRequest = { method: incoming.method ?? '', path: incoming.url ?? '', headers, body: Buffer.concat(chunks) };
    const answer = (status: number, body: string) => {
      outgoing.writeHead(status, { 'content-type': 'application/json' }).end(body);
      seen.push({ request, verdict, answered: status });
    };
    let verdict: Verdict = { valid: false };
    const match = route.exec(request.path);
    // The facts report is a PUT, the task routes POSTs.
    if (!match || request.method !== (match[3] === 'facts' ? 'PUT' : 'POST')) return answer(404, '{"message":"not found"}');
    const node = match[2] as string;
    if (headers['x-ops-userid'] !== node) return answer(403, '{"message":"forbidden"}');
    const publicKey = publicKeys[node];
    verdict = publicKey ? mixlibVerify(request, publicKey) : { valid: false, error: 'unknown client' };
    if (!verdict.valid) return answer(401, '{"message":"Unauthorized"}');

    const forwarded = http.request(`${upstream.url}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${upstream.nodesKey}`,
        ...(headers['content-type'] ? { 'content-type': headers['content-type'] } : {}),
      },
    });
    forwarded.on('response', async (response) => {
      const body: Buffer[] = [];
      for await (const chunk of response) body.push(chunk as Buffer);
      answer(response.statusCode ?? 502, Buffer.concat(body).toString('utf8'));
    });
    forwarded.on('error', () => answer(502, '{"message":"bad gateway"}'));
    forwarded.end(request.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('chefServer auth through a Chef front to the real server', { skip }, () => {
  let server: ServerProcess;
  let front: ChefFront;
  const temp = makeTempDir('foodtruck-chef-');
  const node = { org: 'testorg', name: 'chefnode' };
  const impostor = { org: 'testorg', name: 'impostor' };

  before(async () => {
    server = await startServer();
    const impostorRegisteredKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    front = await startChefFront(server, { [node.name]: keys.publicKey, [impostor.name]: impostorRegisteredKey });
  });
  after(async () => {
    await front.close();
    await server.stop();
    server.cleanup();
    temp.remove();
  });

  function configFor(who: { org: string; name: string }) {
    const dir = path.join(temp.dir, who.name);
    mkdirSync(path.join(dir, 'providers'), { recursive: true });
    writeFileSync(path.join(dir, 'client.pem'), keys.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    writeProvider(path.join(dir, 'providers'), 'infra', '#!/bin/sh\necho "converged"\n');
    return writeClientConfig(dir, {
      base_url: front.url,
      auth: { type: 'chefServer', key_path: 'client.pem' },
      node: who,
      interval: '200ms',
      providers_path: 'providers',
      state_dir: 'state',
    });
  }

  it('runs a task with every request signed, verified by Mixlib and forwarded', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { provider: 'infra' }) });
    assert.equal(created.status, 200);
    const client = startClient(configFor(node));
    try {
      const status = await waitForStatus(() => server.url, server.adminKey, created.body.id as string, `${node.org}/${node.name}`);
      assert.equal(status.status, 'success', client.output());
      assert.match(status.result?.output ?? '', /converged/);
    } finally {
      await client.stop();
    }

    const routes = new Set(front.seen.map(({ request }) => request.path.split('/').pop()));
    assert.deepEqual([...routes].sort(), ['facts', 'next', 'status']);
    for (const { request, verdict, answered } of front.seen) {
      assert.deepEqual(verdict, { valid: true, user_id: node.name }, `${request.path} ${answered}`);
      assert.equal(request.headers['x-ops-sign'], 'algorithm=sha256;version=1.3;');
      assert.equal(request.headers['x-ops-server-api-version'], '1');
      assert.equal(request.headers.authorization, undefined, 'no API key travels with a signed request');
    }

    // The very requests the client sent, changed in transit, no longer verify.
    const status = front.seen.find(({ request }) => request.path.endsWith('/status'))?.request as CapturedRequest;
    const body = Buffer.from(status.body.toString('utf8').replace(/"status":"\w+"/, '"status":"failed"'));
    assert.notDeepEqual(body, status.body);
    assert.equal(mixlibVerify({ ...status, body }, keys.publicKey).valid, false, 'changed body');
    const otherPath = status.path.replace(`/nodes/${node.name}/`, '/nodes/othernode/');
    assert.equal(mixlibVerify({ ...status, path: otherPath }, keys.publicKey).valid, false, 'changed path');
  });

  it('is refused when its key is not the one the Chef server holds for the node, and runs nothing', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([impostor], { provider: 'infra' }) });
    const client = startClient(configFor(impostor));
    try {
      await client.waitForOutput(/polling for a task failed: tasks\/next answered 401: Unauthorized retry_in=/);
    } finally {
      await client.stop();
    }
    const job = await call(`${server.url}/admin/jobs/${created.body.id as string}?fetchStatuses=true`, { key: server.adminKey });
    assert.equal(job.body.statuses[0].status, 'queued');
  });
});
