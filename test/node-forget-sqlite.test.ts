import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineNodeForgetSuite } from './node-forget-suite.js';
import path from 'node:path';
import { NodePruner, PRUNE_PAGE } from '../src/server/node-pruner.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { runServerToExit } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

// The server's own temporary data directory is the store.
defineNodeForgetSuite('sqlite', async () => ({ env: {}, dispose: async () => undefined }));

describe('FOODTRUCK_NODE_PRUNE_AFTER', () => {
  it('stops the server at start-up on a value that is not a Go duration, naming the variable', async () => {
    const temp = makeTempDir();
    try {
      for (const value of ['30 days', '-1h']) {
        const { code, output } = await runServerToExit({ FOODTRUCK_DATA_DIR: temp.dir, FOODTRUCK_NODE_PRUNE_AFTER: value });
        assert.equal(code, 2, output);
        assert.match(output, /FOODTRUCK_NODE_PRUNE_AFTER: must be a Go duration such as "720h" or "168h", or 0 for never/);
      }
    } finally {
      temp.remove();
    }
  });
});

describe('node pruner', () => {
  it('examines one page of nodes per round, going on where the last round stopped, and wraps around', async () => {
    const temp = makeTempDir();
    const store = new SqliteStore(path.join(temp.dir, 'store.sqlite'));
    try {
      const t0 = new Date('2030-01-01T00:00:00Z');
      const nodes = Array.from({ length: 600 }, (_, i) => ({ org: 'fleet', name: `n${String(i).padStart(3, '0')}` }));
      const id = await store.createJob(
        { task: { windowStart: t0, windowEnd: new Date(t0.getTime() + 60_000), provider: 'infra', spec: {} }, nodes },
        t0,
      );
      await store.cancelJob(id, t0);
      const busy = { org: 'fleet', name: 'n599-busy' };
      await store.createJob({ task: { windowStart: t0, windowEnd: new Date(t0.getTime() + 86_400_000), provider: 'infra', spec: {} }, nodes: [busy] }, t0);
      let flushed = 0;
      const pruner = new NodePruner({
        store,
        pruneAfterMs: 3_600_000,
        beforeRound: async () => void flushed++,
        onPruned: () => undefined,
        onError: (error) => assert.fail(String(error)),
      });
      const soon = new Date(t0.getTime() + 1_800_000);
      assert.deepEqual(await pruner.pruneRound(soon), [], 'not idle long enough yet');
      const later = new Date(t0.getTime() + 7_200_000);
      const rounds: number[] = [];
      for (let round = 0; round < 5; round++) rounds.push((await pruner.pruneRound(later)).length);
      // The first round at `soon` walked the first page already: the walk goes on from there.
      assert.deepEqual(rounds, [PRUNE_PAGE, 600 - 2 * PRUNE_PAGE, PRUNE_PAGE, 0, 0]);
      assert.equal(flushed, 6);
      const left = await store.listNodes({ limit: 10 }, later);
      assert.deepEqual(left.items.map((n) => n.node.name), ['n599-busy']);
    } finally {
      await store.close();
      temp.remove();
    }
  });
});
