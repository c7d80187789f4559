// The embedded store's group commit (src/store/sqlite/group-commit.ts) on a real SQLite file, seen
// from a second connection the way another reader of the file would see it.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GroupCommit } from '../src/store/sqlite/group-commit.js';
import { openSqliteDatabase, type SqliteDatabase } from '../src/store/sqlite/sqlite-binding.js';
import { makeTempDir } from './support/temp-dir.js';

describe('SQLite group commit', () => {
  const temp = makeTempDir('foodtruck-group-commit-');
  let db: SqliteDatabase;
  let reader: SqliteDatabase;
  let commits: GroupCommit;
  const insert = (value: string) => db.prepare('INSERT INTO notes (value) VALUES (?)').run(value);
  const seenByReader = (value: string) => reader.prepare('SELECT count(*) AS n FROM notes WHERE value = ?').get(value) as { n: number };

  before(() => {
    const file = path.join(temp.dir, 'store.sqlite');
    db = openSqliteDatabase(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE notes (value TEXT NOT NULL)');
    reader = openSqliteDatabase(file);
    commits = new GroupCommit(db);
  });
  after(() => {
    reader.close();
    db.close();
    temp.remove();
  });

  it('commits the writes of one turn together, and answers each once that commit is on disk', async () => {
    let secondSawFirst: number | undefined;
    const first = commits.run(() => insert('a1').changes);
    const second = commits.run(() => {
      insert('a2');
      // Had the first write committed on its own, another connection would see it by now.
      secondSawFirst = seenByReader('a1').n;
      return 'second';
    });
    assert.deepEqual(await Promise.all([first, second]), [1, 'second']);
    assert.equal(secondSawFirst, 0, 'the second write ran in the first one\'s transaction, not yet committed');
    assert.equal(seenByReader('a1').n, 1, 'answered only once committed');
    assert.equal(seenByReader('a2').n, 1);
  });

  it('undoes only the write that throws, and rejects only its promise', async () => {
    const outcomes = await Promise.allSettled([
      commits.run(() => insert('b1')),
      commits.run(() => {
        insert('b2');
        throw new Error('refused');
      }),
      commits.run(() => insert('b3')),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(((outcomes[1] as PromiseRejectedResult).reason as Error).message, 'refused');
    assert.deepEqual(['b1', 'b2', 'b3'].map((value) => seenByReader(value).n), [1, 0, 1]);
  });

  it('runs writes queued after a commit began in the next one', async () => {
    const later: Array<Promise<unknown>> = [];
    const first = commits.run(() => {
      // Queued while the first batch commits: it must not be lost, nor join a closed batch.
      later.push(commits.run(() => insert('c2')));
      return insert('c1');
    });
    await first;
    await Promise.all(later);
    assert.deepEqual(['c1', 'c2'].map((value) => seenByReader(value).n), [1, 1]);
  });
});
