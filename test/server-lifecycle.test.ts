// Start-up configuration and graceful shutdown of the real server executable.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListenAddress } from '../src/server/config.js';
import http from 'node:http';
import { call, jobBody } from './support/api-client.js';
import { runServerToExit, startServer } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

describe('server configuration', () => {
  it('reads the listen address forms the seed accepted', () => {
    assert.deepEqual(parseListenAddress(':1323'), { host: '::', port: 1323 });
    assert.deepEqual(parseListenAddress('0.0.0.0:1323'), { host: '0.0.0.0', port: 1323 });
    assert.deepEqual(parseListenAddress('[::]:1323'), { host: '::', port: 1323 });
    assert.deepEqual(parseListenAddress('[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseListenAddress('localhost:80'), { host: 'localhost', port: 80 });
    for (const bad of ['1323', 'host', ':', ':99999', 'a:b:c', '[::1]', 'host:-1']) {
      assert.throws(() => parseListenAddress(bad), /FOODTRUCK_LISTEN_ADDR/, bad);
    }
  });

  it('stops at start-up with a message naming the bad variable', async () => {
    const temp = makeTempDir();
    try {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ FOODTRUCK_LISTEN_ADDR: 'nonsense' }, /FOODTRUCK_LISTEN_ADDR/],
        [{ ADMIN_API_KEY: 'short' }, /ADMIN_API_KEY: must be at least 16/],
        [{ NODES_API_KEY: 'has spaces in the key value' }, /NODES_API_KEY/],
        [{ ADMIN_API_KEY: 'same-key-for-both-0000', NODES_API_KEY: 'same-key-for-both-0000' }, /ADMIN_API_KEY: must differ from NODES_API_KEY/],
        [{ MONGODB_CONNECTION_STRING: 'mongodb://127.0.0.1:1' }, /MONGODB_DATABASE_NAME/],
        [{ MONGODB_DATABASE_NAME: 'foodtruck' }, /MONGODB_CONNECTION_STRING/],
        [{ MONGODB_CONNECTION_STRING: 'mongodb://127.0.0.1:1', MONGODB_DATABASE_NAME: 'ft' }, /ADMIN_API_KEY: must be set when MongoDB is used/],
        [{ FOODTRUCK_MAX_JOB_NODES: 'lots' }, /FOODTRUCK_MAX_JOB_NODES/],
        [{ FOODTRUCK_LOG_LEVEL: 'loud' }, /FOODTRUCK_LOG_LEVEL/],
        [{ FOODTRUCK_COSMOS_DB: 'maybe' }, /FOODTRUCK_COSMOS_DB/],
        [{ FOODTRUCK_DELIVERY_GRACE: '2 minutes' }, /FOODTRUCK_DELIVERY_GRACE: must be a positive Go duration such as "2m"/],
        [{ FOODTRUCK_TIMEOUT_GRACE: '0s' }, /FOODTRUCK_TIMEOUT_GRACE: must be a positive Go duration such as "5m"/],
      ];
      for (const [env, expected] of cases) {
        const { code, output } = await runServerToExit({ FOODTRUCK_DATA_DIR: temp.dir, FOODTRUCK_LISTEN_ADDR: '127.0.0.1:0', ...env });
        assert.equal(code, 2, `${JSON.stringify(env)}: ${output}`);
        assert.match(output, expected);
        assert.match(output, /configuration error/);
      }
    } finally {
      temp.remove();
    }
  });
});

describe('listening', () => {
  it('names FOODTRUCK_LISTEN_ADDR, without a stack trace, when the port is taken', async () => {
    const first = await startServer();
    const temp = makeTempDir();
    try {
      const { code, output } = await runServerToExit({
        FOODTRUCK_DATA_DIR: temp.dir,
        FOODTRUCK_LISTEN_ADDR: `127.0.0.1:${first.port}`,
      });
      assert.equal(code, 1, output);
      assert.match(output, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port} \\(FOODTRUCK_LISTEN_ADDR\\)`));
      assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
    } finally {
      temp.remove();
      await first.stop();
      first.cleanup();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes the request in flight on SIGTERM, then exits 0 with the store closed', async () => {
    const server = await startServer();
    try {
      const nodes = Array.from({ length: 50_000 }, (_, i) => ({ org: 'org', name: `shutdown-${i}` }));
      const body = JSON.stringify(jobBody(nodes));
      let sent!: () => void;
      const bodySent = new Promise<void>((resolve) => (sent = resolve));
      const inFlight = new Promise<{ status: number; body: { id: string } }>((resolve, reject) => {
        const request = http.request(
          `${server.url}/admin/jobs`,
          { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' } },
          (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as { id: string } }));
          },
        );
        request.on('error', reject);
        request.end(body, sent);
      });
      // The whole body is on the wire: the request is the server's now, and it is still working on it.
      await bodySent;
      const stopped = server.stop();
      const answer = await inFlight;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(await stopped, 0);
      assert.match(server.output(), /"msg":"stopped"/);

      const again = await startServer({ dataDir: server.dataDir, adminKey: server.adminKey, nodesKey: server.nodesKey });
      try {
        const summary = await call(`${again.url}/admin/jobs/${answer.body.id}/summary`, { key: again.adminKey });
        assert.equal(summary.body.node_count, 50_000);
      } finally {
        await again.stop();
      }
    } finally {
      server.cleanup();
    }
  });
});
