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
];

export function migrate(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  for (const migration of MIGRATIONS) {
    // Checked inside the write transaction: another process may have applied it meanwhile.
    db.transaction(() => {
      if (isApplied.get(migration.version)) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.description, Date.now());
    }).immediate();
  }
}
