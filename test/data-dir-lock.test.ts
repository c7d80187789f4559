// The embedded store belongs to one process: a second server on the same data directory refuses
// to start, naming the directory; once the first is gone, even by SIGKILL, a new one starts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { randomKey, runServerToExit, startServer } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

describe('the embedded store\'s data directory', () => {
  it('refuses a second server on the same directory, naming it, and starts again after a SIGKILL', async () => {
    const temp = makeTempDir('foodtruck-lock-');
    const keys = { adminKey: randomKey(), nodesKey: randomKey() };
    const env = { ADMIN_API_KEY: keys.adminKey, NODES_API_KEY: keys.nodesKey };
    try {
      const first = await startServer({ dataDir: temp.dir, ...keys });
      const created = await call(`${first.url}/admin/jobs`, { key: keys.adminKey, json: jobBody([{ org: 'o', name: 'n' }]) });
      assert.equal(created.status, 200);

      const second = await runServerToExit({ ...env, FOODTRUCK_DATA_DIR: temp.dir, FOODTRUCK_LISTEN_ADDR: '127.0.0.1:0' });
      assert.equal(second.code, 1, second.output);
      assert.match(second.output, new RegExp(`the data directory ${temp.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another foodtruck-server`));
      assert.doesNotMatch(second.output, /\n\s+at /, 'a message, not a stack trace');
      assert.equal((await call(`${first.url}/healthz`)).status, 200, 'the first server carries on');

      await first.kill();
      const third = await startServer({ dataDir: temp.dir, ...keys });
      try {
        const job = await call(`${third.url}/admin/jobs/${created.body.id as string}`, { key: keys.adminKey });
        assert.equal(job.status, 200, 'the restarted server has the first one\'s job');
      } finally {
        assert.equal(await third.stop(), 0);
      }
      // A clean stop releases it too.
      const fourth = await startServer({ dataDir: temp.dir, ...keys });
      assert.equal(await fourth.stop(), 0);
    } finally {
      temp.remove();
    }
  });
});
