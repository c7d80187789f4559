import type { SqliteDatabase } from './sqlite-binding.js';

// Append-only: a landed migration is never edited; a change to the schema is a new entry.
// Each one runs in the same transaction as its ledger row, so a crash never leaves half of one.

interface Migration {
  version: number;
  description: string;
  sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'jobs and one task per targeted node',
    sql: `
      CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        spec TEXT NOT NULL,
        timeout TEXT,
        window_start INTEGER NOT NULL,
        window_end INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        node_count INTEGER NOT NULL
      );
      CREATE TABLE tasks (
        job_seq INTEGER NOT NULL REFERENCES jobs (seq),
        idx INTEGER NOT NULL,
        org TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        window_end INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        result TEXT,
        PRIMARY KEY (job_seq, idx)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX tasks_by_node ON tasks (org, name, job_seq);
      CREATE INDEX tasks_claimable ON tasks (org, name, window_start, job_seq) WHERE status = 'queued';
      CREATE INDEX tasks_by_status ON tasks (job_seq, status, idx);
    `,
  },
  {
    version: 2,
    description: 'when each node last polled',
    sql: `
      CREATE TABLE node_check_ins (
        org TEXT NOT NULL,
        name TEXT NOT NULL,
        last_check_in INTEGER NOT NULL,
        PRIMARY KEY (org, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description: 'task leases and stop requests',
    sql: `
      ALTER TABLE tasks ADD COLUMN lease_expires_at INTEGER;
      ALTER TABLE tasks ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    description: 'each node\'s own public key',
    sql: `
      CREATE TABLE node_keys (
        org TEXT NOT NULL,
        name TEXT NOT NULL,
        public_key TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (org, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    description: 'job names, rate control, stops and reruns',
    sql: `
      ALTER TABLE jobs ADD COLUMN name TEXT;
      ALTER TABLE jobs ADD COLUMN max_concurrency TEXT;
      ALTER TABLE jobs ADD COLUMN max_errors TEXT;
      ALTER TABLE jobs ADD COLUMN concurrency_limit INTEGER;
      ALTER TABLE jobs ADD COLUMN error_limit INTEGER;
      ALTER TABLE jobs ADD COLUMN stopped_reason TEXT;
      ALTER TABLE jobs ADD COLUMN stopped_at INTEGER;
      ALTER TABLE jobs ADD COLUMN rerun_of TEXT;
      CREATE INDEX jobs_by_provider ON jobs (provider, seq);
    `,
  },
  {
    version: 6,
    description: 'which admin key created and cancelled each job',
    sql: `
      ALTER TABLE jobs ADD COLUMN created_by TEXT;
      ALTER TABLE jobs ADD COLUMN cancelled_by TEXT;
    `,
  },
  {
    // 6 is identity's (created_by/cancelled_by), 8 to 10 other branches': numbers fixed between them.
    version: 7,
    description: 'node facts, and the selector a job was created with',
    sql: `
      ALTER TABLE node_check_ins ADD COLUMN facts TEXT;
      ALTER TABLE node_check_ins ADD COLUMN facts_at INTEGER;
      ALTER TABLE node_check_ins ADD COLUMN os TEXT;
      ALTER TABLE node_check_ins ADD COLUMN os_version TEXT;
      ALTER TABLE node_check_ins ADD COLUMN platform TEXT;
      ALTER TABLE node_check_ins ADD COLUMN arch TEXT;
      CREATE TABLE node_tags (
        org TEXT NOT NULL,
        name TEXT NOT NULL,
        tag TEXT NOT NULL,
        PRIMARY KEY (org, name, tag),
        FOREIGN KEY (org, name) REFERENCES node_check_ins (org, name) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX node_tags_by_tag ON node_tags (tag, org, name);
      CREATE TABLE node_attributes (
        org TEXT NOT NULL,
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (org, name, key),
        FOREIGN KEY (org, name) REFERENCES node_check_ins (org, name) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX node_attributes_by_value ON node_attributes (key, value, org, name);
      ALTER TABLE jobs ADD COLUMN targets TEXT;
    `,
  },
  {
    // 8 is nodes' (forget and prune), fixed between the branches as 6 and 7 are.
    version: 8,
    description: 'forgotten nodes: their finished tasks leave the node list',
    sql: `
      ALTER TABLE tasks ADD COLUMN forgotten_at INTEGER;
      CREATE INDEX tasks_listed ON tasks (org, name) WHERE forgotten_at IS NULL;
    `,
  },
  {
    // 9 is summary's (issue 10), fixed between the session's branches as the others are.
    // A job's never_checked_in counts its queued or cancelled tasks whose node has no check-in row.
    // Probing node_check_ins once per such task cost 250-360 ms for a 100,000-node job, so each
    // task carries the answer for its node, kept by the triggers: set from the check-ins when the
    // task is stored (createJob), cleared on the node's first check-in (an insert; a later poll is
    // an update and costs nothing more), set again when the check-in row goes (forget, prune). The
    // count then reads only the partial index of flagged queued or cancelled tasks, which holds
    // every column the count tests (without them SQLite reads each task's row to test them again).
    version: 9,
    description: 'each task knows whether its node never checked in',
    sql: `
      ALTER TABLE tasks ADD COLUMN never_checked_in INTEGER NOT NULL DEFAULT 0;
      UPDATE tasks SET never_checked_in = 1
        WHERE NOT EXISTS (SELECT 1 FROM node_check_ins c WHERE c.org = tasks.org AND c.name = tasks.name);
      CREATE INDEX tasks_never_checked_in ON tasks (job_seq, status, never_checked_in)
        WHERE never_checked_in = 1 AND status IN ('queued', 'cancelled');
      CREATE TRIGGER node_check_in_added AFTER INSERT ON node_check_ins BEGIN
        UPDATE tasks SET never_checked_in = 0 WHERE org = NEW.org AND name = NEW.name AND never_checked_in = 1;
      END;
      CREATE TRIGGER node_check_in_removed AFTER DELETE ON node_check_ins BEGIN
        UPDATE tasks SET never_checked_in = 1 WHERE org = OLD.org AND name = OLD.name AND never_checked_in = 0;
      END;
    `,
  },
];

/** Applies every migration not yet applied, in order; `through` stops after that version (tests build older databases). */
export function migrate(db: SqliteDatabase, through = Number.POSITIVE_INFINITY): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  for (const migration of MIGRATIONS) {
    if (migration.version > through) break;
    // Checked inside the write transaction: another process may have applied it meanwhile.
    db.transaction(() => {
      if (isApplied.get(migration.version)) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.description, Date.now());
    }).immediate();
  }
}
