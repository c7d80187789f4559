// Migration 9 on a database written before it: every stored task learns whether its node never
// checked in, so the jobs created before the upgrade count never_checked_in as they did.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { migrate } from '../src/store/sqlite/migrations.js';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-binding.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { makeTempDir } from './support/temp-dir.js';

const JOB_ID = '6560f1f0a1b2c3d4e5f60718';

/** A data directory whose database stops at migration 8, with one job of five nodes stored in it. */
function databaseBeforeMigration9(dir: string): void {
  const db = openSqliteDatabase(path.join(dir, SQLITE_FILE_NAME));
  try {
    migrate(db, 8);
    const now = Date.now();
    const { lastInsertRowid: seq } = db
      .prepare(
        `INSERT INTO jobs (id, provider, spec, window_start, window_end, created_at, node_count)
         VALUES (?, 'infra', '{}', ?, ?, ?, 5)`,
      )
      .run(JOB_ID, now - 60_000, now + 3_600_000, now - 60_000);
    const task = db.prepare(
      `INSERT INTO tasks (job_seq, idx, org, name, status, window_start, window_end, updated_at)
       VALUES (?, ?, 'org', ?, ?, ?, ?, ?)`,
    );
    const tasks = [
      ['polled', 'queued'],
      ['silent', 'queued'],
      ['stopped', 'cancelled'],
      ['handed', 'pending'],
      ['done', 'success'],
    ] as const;
    for (const [index, [name, status]] of tasks.entries()) task.run(seq, index, name, status, now - 60_000, now + 3_600_000, now);
    db.prepare(`INSERT INTO node_check_ins (org, name, last_check_in) VALUES ('org', 'polled', ?)`).run(now);
  } finally {
    db.close();
  }
}

describe('SQLite migration 9: never_checked_in of jobs stored before it', () => {
  it('counts the queued and cancelled tasks of nodes without a check-in, then follows check-ins as they come and go', async () => {
    const temp = makeTempDir();
    try {
      databaseBeforeMigration9(temp.dir);
      const store = SqliteStore.open(temp.dir);
      try {
        assert.equal(await store.countNeverCheckedIn(JOB_ID), 2, 'silent (queued) and stopped (cancelled)');
        await store.recordCheckIns([{ node: { org: 'org', name: 'silent' }, at: new Date() }]);
        assert.equal(await store.countNeverCheckedIn(JOB_ID), 1);
        await store.recordCheckIns([{ node: { org: 'org', name: 'stopped' }, at: new Date() }]);
        assert.equal(await store.countNeverCheckedIn(JOB_ID), 0);
        assert.equal((await store.forgetNode({ org: 'org', name: 'stopped' }, new Date())).kind, 'forgotten');
        assert.equal(await store.countNeverCheckedIn(JOB_ID), 1, 'a forgotten node counts again');
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });
});
