// The client over HTTPS: certificates are verified, unless SSL_NO_VERIFY=true says otherwise.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { startClient, waitForStatus, writeClientConfig, writeProvider } from './support/client-process.js';
import { makeTempDir } from './support/temp-dir.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const opensslMissing = spawnSync('openssl', ['version']).status === 0 ? false : 'needs the openssl command to make a certificate';

describe('node client over HTTPS', { skip: opensslMissing }, () => {
  const temp = makeTempDir('foodtruck-tls-');
  let server: ServerProcess;
  let front: https.Server;
  let frontUrl = '';

  before(async () => {
    server = await startServer();
    const made = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(temp.dir, 'key.pem'), '-out', path.join(temp.dir, 'cert.pem'),
    ]);
    assert.equal(made.status, 0, made.stderr.toString());
    // A TLS terminator with a self-signed certificate in front of the real server.
    front = https.createServer(
      { key: readFileSync(path.join(temp.dir, 'key.pem')), cert: readFileSync(path.join(temp.dir, 'cert.pem')) },
      (incoming, outgoing) => {
        const forwarded = http.request(`${server.url}${incoming.url ?? '/'}`, { method: incoming.method, headers: incoming.headers });
        forwarded.on('response', (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        });
        forwarded.on('error', () => outgoing.writeHead(502).end());
        incoming.pipe(forwarded);
      },
    );
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    frontUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => front.close(resolve));
    await server.stop();
    server.cleanup();
    temp.remove();
  });

  function setUp(name: string) {
    const dir = path.join(temp.dir, name);
    mkdirSync(path.join(dir, 'providers'), { recursive: true });
    writeProvider(path.join(dir, 'providers'), 'hello', '#!/bin/sh\necho hello\n');
    const node = { org: 'testorg', name };
    const config = writeClientConfig(dir, {
      base_url: frontUrl,
      auth: { type: 'apiKey', key: server.nodesKey },
      node,
      interval: '200ms',
      providers_path: 'providers',
      state_dir: 'state',
    });
    return { node, config };
  }

  it('refuses a certificate it cannot verify, and takes no task', async () => {
    const { node, config } = setUp('verifying');
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { provider: 'hello' }) });
    const client = startClient(config);
    try {
      await client.waitForOutput(/polling for a task failed: .*self-signed certificate/);
    } finally {
      await client.stop();
    }
    const job = await call(`${server.url}/admin/jobs/${created.body.id as string}?fetchStatuses=true`, { key: server.adminKey });
    assert.equal(job.body.statuses[0].status, 'queued');
  });

  it('runs tasks over an unverified certificate with SSL_NO_VERIFY=true, and says so', async () => {
    const { node, config } = setUp('trusting');
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { provider: 'hello' }) });
    const client = startClient(config, { env: { SSL_NO_VERIFY: 'true' } });
    try {
      const status = await waitForStatus(() => server.url, server.adminKey, created.body.id as string, `testorg/${node.name}`);
      assert.equal(status.status, 'success', client.output());
      assert.match(client.output(), /warn SSL_NO_VERIFY is set: TLS certificates are not verified/);
    } finally {
      await client.stop();
    }
  });
});
