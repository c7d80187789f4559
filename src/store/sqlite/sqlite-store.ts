import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-binding.js';
import { GroupCommit } from './group-commit.js';
import type { NewJob, NodeRef, TaskDefinition } from '../../wire/job-request.js';
import type { NodeSelector } from '../../wire/node-selector.js';
import type { StatusReport, TaskResult } from '../../wire/status-report.js';
import { TASK_STATUSES, emptyStatusCounts, type StatusCounts, type TaskStatus } from '../../wire/task-status.js';
import { LISTED_SPEC_MAX_BYTES } from '../../wire/spec-limits.js';
import { decideReport } from '../report-decision.js';
import { newObjectIdHex } from '../object-id.js';
import {
  InvalidCursorError,
  JOB_STATE_SCAN_LIMIT,
  type CancelOutcome,
  type JobAttributes,
  type JobStop,
  type ListedTask,
  type ClaimedTask,
  type EnrollOutcome,
  type JobAttribution,
  type ForgetOutcome,
  type Job,
  type JobListEntry,
  type JobListQuery,
  type JobSummary,
  type JobFeedPage,
  type JobWithSummary,
  type NodeCheckIn,
  type NodeFactsReport,
  type NodeSelectionQuery,
  type NodeKey,
  type NodeKeySource,
  type NodeListQuery,
  type NodeOverview,
  type NodeTaskStatus,
  type Page,
  type QueuedWindow,
  type ReportOutcome,
  type Store,
  type TaskStatusQuery,
} from '../store.js';
import { decideForget } from '../node-forgetting.js';
import { mergeSortedNodes, nodeCursorOf, parseNodeCursor, type NodePair } from '../node-listing.js';
import { factsText, seenSince, selectorOf, selectorText, storedFactsOf } from '../node-selection.js';
import {
  HANDED_OUT_STATUSES,
  effectiveCounts,
  effectiveStatus,
  effectiveStatusOf,
  storedConditionsMeaning,
  UNFINISHED_STORED_STATES,
  type StoredCondition,
  type StoredCount,
} from '../task-expiry.js';
import {
  DEFAULT_LEASE_POLICY,
  leaseAfterReport,
  leaseAtHandOut,
  leaseForUnleasedTask,
  type LeasePolicy,
} from '../task-lease.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { migrate } from './migrations.js';
import type { RateLimit } from '../../wire/job-options.js';
import { concurrencyLimitOf, errorLimitOf, failuresExceed, failuresOf, stopReason } from '../rate-control.js';
import { pageByState } from '../job-listing.js';

export const SQLITE_FILE_NAME = 'foodtruck.sqlite';
/** Stored statuses whose tasks count as they are, whatever their lease says. */
const NOT_HANDED_OUT_STATUSES = TASK_STATUSES.filter((status) => !(HANDED_OUT_STATUSES as readonly TaskStatus[]).includes(status));
/** Jobs per job feed read; the next read continues. */
const JOB_FEED_PAGE = 1_000;

/** A node's earliest due queued task (by org, name, and the time twice), `alsoWhere` narrowing it. */
function claimableTaskSql(alsoWhere: string): string {
  return `SELECT job_seq, idx FROM tasks
    WHERE org = ? AND name = ? AND status = 'queued' AND window_start <= ? AND window_end >= ? ${alsoWhere}
    ORDER BY window_start, job_seq LIMIT 1`;
}

/** A job as a batch of claims keeps it: its row, and its task once built. */
interface BatchJob {
  row: JobRow;
  task: ClaimedTask['task'] | undefined;
}

interface JobRow {
  seq: number;
  id: string;
  provider: string;
  spec: string;
  timeout: string | null;
  window_start: number;
  window_end: number;
  created_at: number;
  node_count: number;
  targets: string | null;
  name: string | null;
  /** JSON of the limit as given: `10` or `"10%"`. */
  max_concurrency: string | null;
  max_errors: string | null;
  concurrency_limit: number | null;
  error_limit: number | null;
  stopped_reason: string | null;
  stopped_at: number | null;
  rerun_of: string | null;
  created_by: string | null;
  cancelled_by: string | null;
}

/** A job as listed: its spec only when small, else null. */
type ListedJobRow = Omit<JobRow, 'spec'> & { spec: string | null };

/** What deciding a job's stop reads. */
type StopFields = Pick<JobRow, 'seq' | 'window_end' | 'error_limit' | 'max_errors' | 'stopped_at' | 'stopped_reason'>;

type StatusRow = [
  idx: number,
  org: string,
  name: string,
  status: TaskStatus,
  updatedAt: number,
  result: string | null,
  leaseExpiresAt: number | null,
  stopRequested: number,
];

interface NodeTaskRow {
  job_seq: number;
  idx: number;
  status: TaskStatus;
  window_end: number;
  lease_expires_at: number | null;
  stop_requested: number;
  timeout: string | null;
}

/** The embedded store: one SQLite file in the data directory, in WAL mode. */
export class SqliteStore implements Store {
  readonly #db: SqliteDatabase;
  readonly #statements;
  readonly #leasePolicy: LeasePolicy;
  /** Status reports: those that arrive together commit together (a job's nodes report at once). */
  readonly #reports: GroupCommit;

  /** Set when the store was opened on a data directory, which it then holds for this process. */
  #lock: DataDirLock | undefined;

  /**
   * Opens the store in a data directory and takes that directory for this process: a second
   * process on the same directory gets DataDirInUseError (see data-dir-lock.ts).
   */
  static open(dataDir: string, leasePolicy: LeasePolicy = DEFAULT_LEASE_POLICY): SqliteStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const lock = lockDataDir(dataDir);
    try {
      const store = new SqliteStore(path.join(dataDir, SQLITE_FILE_NAME), leasePolicy);
      store.#lock = lock;
      return store;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  constructor(file: string, leasePolicy: LeasePolicy = DEFAULT_LEASE_POLICY) {
    this.#leasePolicy = leasePolicy;
    this.#db = openSqliteDatabase(file);
    this.#db.pragma('journal_mode = WAL');
    // FULL: an answered 200 means the job or the status is on disk, even if the machine loses power.
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('foreign_keys = ON');
    this.#reports = new GroupCommit(this.#db);
    migrate(this.#db);
    const db = this.#db;
    // Tasks handed out before leases existed get one now, so that none can stay handed out for ever.
    const now = new Date();
    const lease = db.prepare(`UPDATE tasks SET lease_expires_at = ? WHERE status = ? AND lease_expires_at IS NULL`);
    for (const status of ['pending', 'running'] as const) {
      lease.run(leaseForUnleasedTask(status, now, leasePolicy).getTime(), status);
    }
    this.#statements = {
      insertJob: db.prepare(
        `INSERT INTO jobs (id, provider, spec, timeout, window_start, window_end, created_at, node_count,
           name, max_concurrency, max_errors, concurrency_limit, error_limit, rerun_of, targets, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      liveTasksOfJob: db.prepare<[number, number], number>(
        `SELECT count(*) FROM tasks WHERE job_seq = ? AND status IN ('pending', 'running') AND lease_expires_at >= ?`,
      ).pluck(),
      failuresOfJob: db.prepare<[number, number], number>(
        `SELECT count(*) FROM tasks WHERE job_seq = ? AND (status = 'failed'
           OR (status IN ('pending', 'running') AND lease_expires_at < ? AND stop_requested = 0))`,
      ).pluck(),
      stopJob: db.prepare(`UPDATE jobs SET stopped_reason = ?, stopped_at = ? WHERE seq = ? AND stopped_at IS NULL`),
      // The flag is kept by migration 9's triggers on node_check_ins; the partial index holds
      // only the flagged queued or cancelled tasks, so the count reads nothing else.
      neverCheckedIn: db.prepare<[number], number>(
        `SELECT count(*) FROM tasks INDEXED BY tasks_never_checked_in
         WHERE job_seq = ? AND never_checked_in = 1 AND status IN ('queued', 'cancelled')`,
      ).pluck(),
      insertTask: db.prepare<[number | bigint, number, string, string, number, number, number, string, string]>(
        `INSERT INTO tasks (job_seq, idx, org, name, status, window_start, window_end, updated_at, never_checked_in)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, NOT EXISTS (SELECT 1 FROM node_check_ins WHERE org = ? AND name = ?))`,
      ),
      jobById: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      jobBySeq: db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE seq = ?'),
      nodesOfJob: db.prepare<[number], [string, string]>('SELECT org, name FROM tasks WHERE job_seq = ? ORDER BY idx').raw(),
      // A job's counts, read from the index alone: a count per stored status (each a range of
      // tasks_by_status), and only the handed-out tasks' rows for their lease and stop request.
      // Grouping all of a job's rows by lease instead reads every row of the table (with its
      // result): 93 ms instead of 14 for a 100,000-node job. INDEXED BY: without it SQLite
      // chooses the primary key for the handed-out statuses and reads the whole job.
      countOfJobStatus: db.prepare<[number, TaskStatus], number>(
        'SELECT count(*) FROM tasks INDEXED BY tasks_by_status WHERE job_seq = ? AND status = ?',
      ).pluck(),
      handedOutCountsOfJob: db.prepare<[number, number], [TaskStatus, number, number, number]>(
        `SELECT status, coalesce(lease_expires_at < ?, 0) AS lease_ended, stop_requested, count(*)
         FROM tasks INDEXED BY tasks_by_status
         WHERE job_seq = ? AND status IN (${HANDED_OUT_STATUSES.map((status) => `'${status}'`).join(', ')})
         GROUP BY status, lease_ended, stop_requested`,
      ).raw(),
      nextClaimable: db.prepare<[string, string, number, number, string], { job_seq: number; idx: number }>(
        claimableTaskSql('AND job_seq NOT IN (SELECT value FROM json_each(?))'),
      ),
      // The same with no job skipped, a claim's usual first look: no JSON to build and read.
      firstClaimable: db.prepare<[string, string, number, number], { job_seq: number; idx: number }>(claimableTaskSql('')),
      markPending: db.prepare(
        `UPDATE tasks SET status = 'pending', updated_at = ?, lease_expires_at = ?
         WHERE job_seq = ? AND idx = ? AND status = 'queued'`,
      ),
      taskOfNode: db.prepare<[string, string, string], NodeTaskRow>(
        `SELECT t.job_seq, t.idx, t.status, t.window_end, t.lease_expires_at, t.stop_requested, j.timeout
         FROM jobs j JOIN tasks t ON t.job_seq = j.seq
         WHERE j.id = ? AND t.org = ? AND t.name = ?`,
      ),
      updateStatus: db.prepare(
        `UPDATE tasks SET status = ?, updated_at = ?, result = coalesce(?, result), lease_expires_at = ?
         WHERE job_seq = ? AND idx = ?`,
      ),
      cancelQueued: db.prepare(
        `UPDATE tasks SET status = 'cancelled', updated_at = ?
         WHERE job_seq = ? AND status = 'queued' AND window_end >= ?`,
      ),
      recordCancelledBy: db.prepare('UPDATE jobs SET cancelled_by = ? WHERE seq = ?'),
      cancelQueuedOfNode: db.prepare(
        `UPDATE tasks SET status = 'cancelled', updated_at = ?
         WHERE job_seq = ? AND org = ? AND name = ? AND status = 'queued' AND window_end >= ?`,
      ),
      requestStop: db.prepare(
        `UPDATE tasks SET stop_requested = 1
         WHERE job_seq = ? AND status IN ('pending', 'running') AND lease_expires_at >= ? AND stop_requested = 0`,
      ),
      requestStopOfNode: db.prepare(
        `UPDATE tasks SET stop_requested = 1
         WHERE job_seq = ? AND org = ? AND name = ? AND status IN ('pending', 'running') AND lease_expires_at >= ?
           AND stop_requested = 0`,
      ),
      isTargeted: db.prepare<[number, string, string], number>('SELECT 1 FROM tasks WHERE job_seq = ? AND org = ? AND name = ?').pluck(),
      recordCheckIn: db.prepare(
        `INSERT INTO node_check_ins (org, name, last_check_in) VALUES (?, ?, ?)
         ON CONFLICT (org, name) DO UPDATE SET last_check_in = max(last_check_in, excluded.last_check_in)`,
      ),
      // Each side is read in (org, name) order from an index and merged in code: a page costs its
      // own length, not the fleet's size.
      targetedNodesAfter: db.prepare<[string, string, number], [string, string]>(
        'SELECT DISTINCT org, name FROM tasks WHERE forgotten_at IS NULL AND (org, name) > (?, ?) ORDER BY org, name LIMIT ?',
      ).raw(),
      checkedInNodesAfter: db.prepare<[string, string, number], [string, string]>(
        'SELECT org, name FROM node_check_ins WHERE (org, name) > (?, ?) ORDER BY org, name LIMIT ?',
      ).raw(),
      checkInOfNode: db.prepare<[string, string], { last_check_in: number; facts: string | null; facts_at: number | null }>(
        'SELECT last_check_in, facts, facts_at FROM node_check_ins WHERE org = ? AND name = ?',
      ),
      recordFacts: db.prepare(
        `INSERT INTO node_check_ins (org, name, last_check_in, facts, facts_at, os, os_version, platform, arch)
         VALUES (@org, @name, @at, @facts, @at, @os, @osVersion, @platform, @arch)
         ON CONFLICT (org, name) DO UPDATE SET last_check_in = max(last_check_in, excluded.last_check_in),
           facts = excluded.facts, facts_at = excluded.facts_at, os = excluded.os, os_version = excluded.os_version,
           platform = excluded.platform, arch = excluded.arch`,
      ),
      clearTags: db.prepare('DELETE FROM node_tags WHERE org = ? AND name = ?'),
      insertTag: db.prepare('INSERT INTO node_tags (org, name, tag) VALUES (?, ?, ?)'),
      clearAttributes: db.prepare('DELETE FROM node_attributes WHERE org = ? AND name = ?'),
      insertAttribute: db.prepare('INSERT INTO node_attributes (org, name, key, value) VALUES (?, ?, ?, ?)'),
      countsOfNode: db.prepare<[number, number, string, string], [TaskStatus, number, number, number, number]>(
        `SELECT status, coalesce(lease_expires_at < ?, 0) AS lease_ended, stop_requested, window_end < ? AS window_ended,
           count(*)
         FROM tasks WHERE org = ? AND name = ? AND forgotten_at IS NULL GROUP BY status, lease_ended, stop_requested, window_ended`,
      ).raw(),
      lastTaskChangeOfNode: db.prepare<[string, string], number | null>(
        'SELECT max(updated_at) FROM tasks WHERE org = ? AND name = ? AND forgotten_at IS NULL',
      ).pluck(),
      forgetTasksOfNode: db.prepare('UPDATE tasks SET forgotten_at = ? WHERE org = ? AND name = ? AND forgotten_at IS NULL'),
      deleteCheckIn: db.prepare('DELETE FROM node_check_ins WHERE org = ? AND name = ?'),
      hasNodeKey: db.prepare<[string, string], number>('SELECT 1 FROM node_keys WHERE org = ? AND name = ?').pluck(),
      earliestQueuedWindow: db.prepare<[string, string, number], number | null>(
        `SELECT min(window_start) FROM tasks WHERE org = ? AND name = ? AND status = 'queued' AND window_end >= ?`,
      ).pluck(),
      queuedWindows: db.prepare<[number], [string, string, number, number]>(
        `SELECT org, name, window_start, window_end FROM tasks INDEXED BY tasks_claimable
         WHERE status = 'queued' AND window_end >= ?`,
      ).raw(),
      lastJobSeq: db.prepare<[], number | null>('SELECT max(seq) FROM jobs').pluck(),
      jobsAfterSeq: db.prepare<[number, number], { seq: number; id: string; window_start: number; window_end: number }>(
        'SELECT seq, id, window_start, window_end FROM jobs WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      queuedNodesOfJob: db.prepare<[string, number], [string, string]>(
        `SELECT t.org, t.name FROM jobs j JOIN tasks t INDEXED BY tasks_by_status ON t.job_seq = j.seq
         WHERE j.id = ? AND t.status = 'queued' AND t.window_end >= ?`,
      ).raw(),
      nodeKey: db.prepare<[string, string], { public_key: string; source: NodeKeySource; created_at: number }>(
        'SELECT public_key, source, created_at FROM node_keys WHERE org = ? AND name = ?',
      ),
      // The primary key decides which of two concurrent enrollments wins.
      insertNodeKeyIfAbsent: db.prepare(
        `INSERT INTO node_keys (org, name, public_key, source, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (org, name) DO NOTHING`,
      ),
      replaceNodeKey: db.prepare(
        'INSERT OR REPLACE INTO node_keys (org, name, public_key, source, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteNodeKey: db.prepare('DELETE FROM node_keys WHERE org = ? AND name = ?'),
      seqOfJob: db.prepare<[string], number>('SELECT seq FROM jobs WHERE id = ?').pluck(),
      health: db.prepare('SELECT 1').pluck(),
    };
  }

  async createJob(job: NewJob, now: Date): Promise<string> {
    const id = newObjectIdHex(now);
    const { task, nodes } = job;
    const start = task.windowStart.getTime();
    const end = task.windowEnd.getTime();
    const created = now.getTime();
    const { insertJob, insertTask } = this.#statements;
    const concurrencyLimit = job.maxConcurrency === undefined ? null : concurrencyLimitOf(job.maxConcurrency, nodes.length);
    const errorLimit = job.maxErrors === undefined ? null : errorLimitOf(job.maxErrors, nodes.length);
    this.#db.transaction(() => {
      const { lastInsertRowid } = insertJob.run(
        id, task.provider, JSON.stringify(task.spec), task.timeout ?? null, start, end, created, nodes.length,
        job.name ?? null,
        job.maxConcurrency === undefined ? null : JSON.stringify(job.maxConcurrency),
        job.maxErrors === undefined ? null : JSON.stringify(job.maxErrors),
        concurrencyLimit,
        errorLimit,
        job.rerunOf ?? null,
        job.targets ? selectorText(job.targets) : null,
        job.createdBy ?? null,
      );
      for (const [index, node] of nodes.entries()) {
        insertTask.run(lastInsertRowid, index, node.org, node.name, start, end, created, node.org, node.name);
      }
    }).immediate();
    return id;
  }

  async getJob(id: string, now: Date): Promise<JobWithSummary | undefined> {
    const found = this.#statements.jobById.get(id);
    if (!found) return undefined;
    const row = found;
    const { stopped, counts } = this.#stopIfFailed(row, now);
    const nodes = this.#statements.nodesOfJob.all(row.seq).map(([org, name]) => ({ org, name }));
    const job: Job = {
      id: row.id,
      task: taskOf(row),
      nodes,
      createdAt: new Date(row.created_at),
      ...attributesOf(row),
      ...(stopped ? { stopped } : {}),
      ...attributionOf(row),
    };
    if (row.targets !== null) job.targets = selectorOf(row.targets);
    return { job, summary: counts };
  }

  async getJobSummary(id: string, now: Date): Promise<JobSummary | undefined> {
    const row = this.#statements.jobById.get(id);
    return row ? this.#summaryOf(row, now) : undefined;
  }

  async listTaskStatuses(jobId: string, query: TaskStatusQuery, now: Date): Promise<Page<NodeTaskStatus> | undefined> {
    const row = this.#statements.jobById.get(jobId);
    if (!row) return undefined;
    const after = query.cursor === undefined ? -1 : parseIndexCursor(query.cursor);
    const windowEnd = new Date(row.window_end);
    const stored = query.status ? storedConditionsMeaning(query.status, windowEnd, now) : undefined;
    if (stored?.length === 0) return { items: [] };
    const conditions = ['job_seq = ?', 'idx > ?'];
    const params: unknown[] = [row.seq, after];
    if (stored) {
      const statuses = [...new Set(stored.map((condition) => condition.status))];
      conditions.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
      const alternatives = stored.map((condition) => sqlOf(condition, now, params));
      conditions.push(`(${alternatives.join(' OR ')})`);
    }
    if (query.nodeContains !== undefined && query.nodeContains !== '') {
      // LIKE ignores ASCII case; the escape keeps the text literal.
      conditions.push(`(org || '/' || name) LIKE ? ESCAPE '\\'`);
      params.push(`%${query.nodeContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    // With a status filter, seek by status: a rare status (the failed few of 100,000) would
    // otherwise be found by walking the whole job in node order.
    const source = stored ? 'tasks INDEXED BY tasks_by_status' : 'tasks';
    let sql = `SELECT idx, org, name, status, updated_at, result, lease_expires_at, stop_requested FROM ${source} WHERE ${conditions.join(' AND ')} ORDER BY idx`;
    if (query.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(query.limit + 1);
    }
    const rows = this.#db.prepare<unknown[], StatusRow>(sql).raw().all(...params);
    const page: Page<NodeTaskStatus> = { items: [] };
    if (query.limit !== undefined && rows.length > query.limit) {
      rows.length = query.limit;
      page.nextCursor = String((rows[rows.length - 1] as StatusRow)[0]);
    }
    page.items = rows.map(([, org, name, status, updatedAt, result, leaseExpiresAt, stopRequested]) => {
      const stored = { status, leaseExpiresAt: leaseExpiresAt === null ? null : new Date(leaseExpiresAt), stopRequested: stopRequested === 1 };
      const item: NodeTaskStatus = {
        jobId: row.id,
        node: { org, name },
        status: effectiveStatus(stored, windowEnd, now),
        lastUpdated: new Date(updatedAt),
      };
      if (result !== null) item.result = JSON.parse(result) as TaskResult;
      return item;
    });
    return page;
  }

  async listJobs(query: JobListQuery, now: Date): Promise<Page<JobListEntry>> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.cursor !== undefined) {
      const before = this.#statements.seqOfJob.get(query.cursor);
      if (before === undefined) throw new InvalidCursorError();
      conditions.push('seq < ?');
      params.push(before);
    }
    if (query.provider !== undefined) {
      conditions.push('provider = ?');
      params.push(query.provider);
    }
    if (query.nameContains !== undefined && query.nameContains !== '') {
      // LIKE ignores ASCII case; the escape keeps the text literal.
      conditions.push(`name LIKE ? ESCAPE '\\'`);
      params.push(`%${query.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    // octet_length() reads a text's size from its record header: a large spec is neither read
    // nor sent.
    const columns = `seq, id, provider, timeout, window_start, window_end, created_at, node_count, name, max_concurrency,
      max_errors, concurrency_limit, error_limit, stopped_reason, stopped_at, rerun_of, targets, created_by, cancelled_by,
      CASE WHEN octet_length(spec) <= ${LISTED_SPEC_MAX_BYTES} THEN spec END AS spec`;
    const select = this.#db.prepare<unknown[], ListedJobRow>(`SELECT ${columns} FROM jobs ${where} ORDER BY seq DESC LIMIT ?`);
    if (query.state === undefined) {
      const rows = select.all(...params, query.limit + 1);
      const page: Page<JobListEntry> = { items: [] };
      if (rows.length > query.limit) {
        rows.length = query.limit;
        page.nextCursor = (rows[rows.length - 1] as ListedJobRow).id;
      }
      page.items = this.#listed(rows, now);
      return page;
    }
    // The state comes from each job's counts: examine jobs newest first until the page is full.
    const rows = select.all(...params, JOB_STATE_SCAN_LIMIT + 1);
    const entries = this.#listed(rows, now);
    return pageByState(entries, query, (entry) => entry, (entry) => entry.id);
  }

  /** List entries for job rows, with the counts of all of them from one query. */
  #listed(rows: ListedJobRow[], now: Date): JobListEntry[] {
    const counts = new Map(rows.map((row) => [row.seq, [] as StoredCount[]]));
    if (rows.length > 0) {
      const grouped = this.#db
        .prepare<[number, string], [number, TaskStatus, number, number, number]>(
          `SELECT job_seq, status, coalesce(lease_expires_at < ?, 0) AS lease_ended, stop_requested, count(*)
           FROM tasks WHERE job_seq IN (SELECT value FROM json_each(?))
           GROUP BY job_seq, status, lease_ended, stop_requested`,
        )
        .raw()
        .all(now.getTime(), JSON.stringify(rows.map((row) => row.seq)));
      for (const [seq, status, leaseEnded, stopRequested, count] of grouped) {
        counts.get(seq)?.push({ status, leaseEnded: leaseEnded === 1, stopRequested: stopRequested === 1, count });
      }
    }
    return rows.map((row) => {
      const windowEnd = new Date(row.window_end);
      const base = { windowStart: new Date(row.window_start), windowEnd, provider: row.provider };
      const task: ListedTask = row.spec === null ? { ...base, specOmitted: true } : { ...base, spec: JSON.parse(row.spec) as unknown };
      if (row.timeout !== null) task.timeout = row.timeout;
      const { stopped, counts: summary } = this.#stopIfFailed(row, now, effectiveCounts(counts.get(row.seq) ?? [], windowEnd, now));
      return {
        id: row.id,
        task,
        createdAt: new Date(row.created_at),
        nodeCount: row.node_count,
        summary,
        ...attributesOf(row),
        ...(stopped ? { stopped } : {}),
        ...(row.targets === null ? {} : { targets: selectorOf(row.targets) }),
        ...attributionOf(row),
      };
    });
  }

  async countNeverCheckedIn(jobId: string): Promise<number | undefined> {
    const row = this.#statements.jobById.get(jobId);
    return row ? this.#statements.neverCheckedIn.get(row.seq) : undefined;
  }

  async claimNextTask(node: NodeRef, now: Date): Promise<ClaimedTask | undefined> {
    return this.#claimOne(node, now);
  }

  /**
   * `jobs` caches, within one batch's transaction, the jobs already read and their tasks: a job
   * is read and its spec parsed once, not once per node. A cached row may miss a stop written
   * later in the batch; rate control reads the row again before it decides.
   */
  #claimOne(node: NodeRef, now: Date, jobs?: Map<number, BatchJob>): ClaimedTask | undefined {
    const at = now.getTime();
    const lease = leaseAtHandOut(now, this.#leasePolicy).getTime();
    const { nextClaimable, firstClaimable, markPending, jobBySeq, liveTasksOfJob } = this.#statements;
    // Jobs whose task waits for a slot, or that stopped: the node's later tasks may still go.
    const skipped: number[] = [];
    // The reads alone answer an empty poll, the fleet's steady state. The guarded update makes the
    // hand-out at most once even when another process sharing the file claimed the row meanwhile.
    for (;;) {
      const candidate =
        skipped.length === 0
          ? firstClaimable.get(node.org, node.name, at, at)
          : nextClaimable.get(node.org, node.name, at, at, JSON.stringify(skipped));
      if (!candidate) return undefined;
      const batchJob = jobs?.get(candidate.job_seq) ?? { row: jobBySeq.get(candidate.job_seq) as JobRow, task: undefined };
      jobs?.set(candidate.job_seq, batchJob);
      const job = batchJob.row;
      const taskOfJob = (): ClaimedTask['task'] => (batchJob.task ??= taskOf(job));
      if (job.concurrency_limit === null && job.error_limit === null) {
        if (markPending.run(at, lease, candidate.job_seq, candidate.idx).changes === 1) return { jobId: job.id, task: taskOfJob() };
        continue;
      }
      // Rate control. A read first, so that a node whose task waits for a slot costs no write.
      if (job.stopped_at !== null || (job.concurrency_limit !== null && liveTasksOfJob.get(job.seq, at)! >= job.concurrency_limit)) {
        skipped.push(job.seq);
        continue;
      }
      // Then the decision, in one write transaction: no other process counts meanwhile.
      const outcome = this.#db.transaction((): 'claimed' | 'skip' | 'retry' => {
        const current = jobBySeq.get(job.seq) as JobRow;
        if (this.#stopOf(current, now)) return 'skip';
        if (current.concurrency_limit !== null && liveTasksOfJob.get(job.seq, at)! >= current.concurrency_limit) return 'skip';
        return markPending.run(at, lease, candidate.job_seq, candidate.idx).changes === 1 ? 'claimed' : 'retry';
      }).immediate();
      if (outcome === 'claimed') return { jobId: job.id, task: taskOfJob() };
      if (outcome === 'skip') skipped.push(job.seq);
    }
  }

  async claimNextTasks(nodes: NodeRef[], now: Date): Promise<Array<ClaimedTask | undefined>> {
    // One transaction for the batch: one disk sync however many nodes it hands tasks to. The
    // candidates are read inside it, so another process sharing the file cannot interleave.
    const jobs = new Map<number, BatchJob>();
    return this.#db.transaction(() => nodes.map((node) => this.#claimOne(node, now, jobs))).immediate();
  }

  async earliestQueuedWindow(node: NodeRef, now: Date): Promise<Date | undefined> {
    const start = this.#statements.earliestQueuedWindow.get(node.org, node.name, now.getTime());
    return start === null || start === undefined ? undefined : new Date(start);
  }

  async *queuedWindows(now: Date): AsyncIterable<QueuedWindow> {
    for (const [org, name, start, end] of this.#statements.queuedWindows.iterate(now.getTime())) {
      yield { node: { org, name }, windowStart: new Date(start), windowEnd: new Date(end) };
    }
  }

  async jobFeedCursor(): Promise<string> {
    // Jobs are numbered in commit order (each is created in one write transaction), so the
    // highest number now is exactly where the feed starts.
    return String(this.#statements.lastJobSeq.get() ?? 0);
  }

  async readJobFeed(cursor: string): Promise<JobFeedPage> {
    if (!/^\d{1,15}$/.test(cursor)) throw new InvalidCursorError();
    const rows = this.#statements.jobsAfterSeq.all(Number(cursor), JOB_FEED_PAGE);
    return {
      jobs: rows.map((row) => ({ id: row.id, windowStart: new Date(row.window_start), windowEnd: new Date(row.window_end) })),
      cursor: rows.length === 0 ? cursor : String((rows[rows.length - 1] as { seq: number }).seq),
    };
  }

  async *queuedNodesOfJob(jobId: string, now: Date): AsyncIterable<NodeRef> {
    for (const [org, name] of this.#statements.queuedNodesOfJob.iterate(jobId, now.getTime())) yield { org, name };
  }

  reportStatus(node: NodeRef, report: StatusReport, now: Date): Promise<ReportOutcome> {
    const { taskOfNode, updateStatus } = this.#statements;
    return this.#reports.run((): ReportOutcome => {
      const task = taskOfNode.get(report.jobId, node.org, node.name);
      if (!task) return { kind: 'not_targeted' };
      const decision = decideReport(
        {
          status: task.status,
          leaseExpiresAt: task.lease_expires_at === null ? null : new Date(task.lease_expires_at),
          stopRequested: task.stop_requested === 1,
        },
        new Date(task.window_end),
        report,
        now,
      );
      if (decision.kind !== 'updated') return decision;
      const result = report.result ? JSON.stringify(report.result) : null;
      const lease = leaseAfterReport(report, task.timeout ?? undefined, now, this.#leasePolicy);
      updateStatus.run(report.status, now.getTime(), result, lease?.getTime() ?? null, task.job_seq, task.idx);
      if (report.status === 'failed') this.#stopOf(this.#statements.jobBySeq.get(task.job_seq) as JobRow, now);
      return decision;
    });
  }

  async cancelJob(id: string, now: Date, node?: NodeRef, cancelledBy?: string): Promise<CancelOutcome | undefined> {
    const row = this.#statements.jobById.get(id);
    if (!row) return undefined;
    const at = now.getTime();
    const { cancelQueued, cancelQueuedOfNode, requestStop, requestStopOfNode, isTargeted } = this.#statements;
    return this.#db.transaction((): CancelOutcome => {
      if (node && isTargeted.get(row.seq, node.org, node.name) === undefined) {
        return { cancelled: 0, stopping: 0, summary: this.#countsOf(row, now), nodeTargeted: false };
      }
      if (cancelledBy !== undefined) this.#statements.recordCancelledBy.run(cancelledBy, row.seq);
      const cancelled = node
        ? cancelQueuedOfNode.run(at, row.seq, node.org, node.name, at).changes
        : cancelQueued.run(at, row.seq, at).changes;
      const stopping = node ? requestStopOfNode.run(row.seq, node.org, node.name, at).changes : requestStop.run(row.seq, at).changes;
      return { cancelled, stopping, summary: this.#countsOf(row, now), nodeTargeted: true };
    }).immediate();
  }

  async recordCheckIns(checkIns: NodeCheckIn[]): Promise<void> {
    const { recordCheckIn } = this.#statements;
    this.#db.transaction(() => {
      for (const { node, at } of checkIns) recordCheckIn.run(node.org, node.name, at.getTime());
    }).immediate();
  }

  async listNodes(query: NodeListQuery, now: Date): Promise<Page<NodeOverview>> {
    const [afterOrg, afterName] = query.cursor === undefined ? ['', ''] : parseNodeCursor(query.cursor);
    const { checkInOfNode } = this.#statements;
    const nodes = this.#listedNodePairs(query, now, [afterOrg, afterName], query.limit + 1);
    const page: Page<NodeOverview> = { items: [] };
    if (nodes.length > query.limit) {
      nodes.length = query.limit;
      page.nextCursor = nodeCursorOf(nodes[nodes.length - 1] as [string, string]);
    }
    page.items = nodes.map(([org, name]) => {
      const tasks = this.#nodeCounts(org, name, now);
      const overview: NodeOverview = { node: { org, name }, tasks };
      const checkIn = checkInOfNode.get(org, name);
      if (checkIn !== undefined) {
        overview.lastCheckIn = new Date(checkIn.last_check_in);
        if (checkIn.facts !== null) overview.facts = storedFactsOf(checkIn.facts, new Date(checkIn.facts_at as number));
      }
      return overview;
    });
    return page;
  }

  async forgetNode(node: NodeRef, now: Date, idleSince?: Date): Promise<ForgetOutcome> {
    const { checkInOfNode, lastTaskChangeOfNode, forgetTasksOfNode, deleteCheckIn, hasNodeKey } = this.#statements;
    const { org, name } = node;
    // One write transaction: no task is created, handed out or reported between the decision and
    // the marks.
    return this.#db.transaction((): ForgetOutcome => {
      // Its facts go with its check-in (tags and attributes by the foreign key's cascade).
      const lastCheckIn = checkInOfNode.get(org, name)?.last_check_in;
      const lastTaskChange = lastTaskChangeOfNode.get(org, name);
      const decision = decideForget(
        {
          tasks: this.#nodeCounts(org, name, now),
          ...(lastCheckIn === undefined ? {} : { lastCheckIn: new Date(lastCheckIn) }),
          ...(lastTaskChange === null || lastTaskChange === undefined ? {} : { lastTaskChange: new Date(lastTaskChange) }),
        },
        idleSince,
      );
      if (decision.kind !== 'forget') return decision;
      const finishedTasks = forgetTasksOfNode.run(now.getTime(), org, name).changes;
      deleteCheckIn.run(org, name);
      return {
        kind: 'forgotten',
        finishedTasks,
        ...(lastCheckIn === undefined ? {} : { lastCheckIn: new Date(lastCheckIn) }),
        keyKept: hasNodeKey.get(org, name) !== undefined,
      };
    }).immediate();
  }

  /** The node's tasks not forgotten, by status at `now`. */
  #nodeCounts(org: string, name: string, now: Date): StatusCounts {
    const at = now.getTime();
    const tasks = emptyStatusCounts();
    for (const [status, leaseEnded, stopRequested, windowEnded, count] of this.#statements.countsOfNode.all(at, at, org, name)) {
      tasks[effectiveStatusOf(status, leaseEnded === 1, stopRequested === 1, windowEnded === 1)] += count;
    }
    return tasks;
  }

  /** The nodes of a listing page and the one after it, in (org, name) order, with every filter applied in SQL. */
  #listedNodePairs(query: NodeListQuery, now: Date, after: NodePair, limit: number): NodePair[] {
    const filtered = query.selector !== undefined || query.nameContains !== undefined || query.neverSeen === true || query.unfinished === true;
    if (!filtered) {
      const { targetedNodesAfter, checkedInNodesAfter } = this.#statements;
      return mergeSortedNodes(targetedNodesAfter.all(...after, limit), checkedInNodesAfter.all(...after, limit), limit);
    }
    // A selector picks among checked-in nodes only: none of them was never seen.
    if (query.selector && query.neverSeen) return [];
    const at = now.getTime();
    const nameFilter = (alias: string, conditions: string[], params: unknown[]) => {
      if (query.nameContains === undefined) return;
      // lower() folds ASCII only, which node names are; the text is compared literally.
      conditions.push(`instr(lower(${alias}.org || '/' || ${alias}.name), ?) > 0`);
      params.push(query.nameContains.toLowerCase());
    };
    const checkedIn = (): NodePair[] => {
      const conditions = ['(c.org, c.name) > (?, ?)'];
      const params: unknown[] = [...after];
      if (query.selector) {
        const selection = selectionConditions(query.selector, now);
        conditions.push(selection.where);
        params.push(...selection.params);
      }
      nameFilter('c', conditions, params);
      if (query.unfinished) {
        const unfinished = unfinishedCondition('t', at);
        conditions.push(`EXISTS (SELECT 1 FROM tasks t WHERE t.org = c.org AND t.name = c.name AND (${unfinished.sql}))`);
        params.push(...unfinished.params);
      }
      return this.#db
        .prepare<unknown[], NodePair>(`SELECT c.org, c.name FROM node_check_ins c WHERE ${conditions.join(' AND ')} ORDER BY c.org, c.name LIMIT ?`)
        .raw()
        .all(...params, limit);
    };
    const targeted = (): NodePair[] => {
      const conditions = ['t.forgotten_at IS NULL', '(t.org, t.name) > (?, ?)'];
      const params: unknown[] = [...after];
      nameFilter('t', conditions, params);
      if (query.unfinished) {
        const unfinished = unfinishedCondition('t', at);
        conditions.push(`(${unfinished.sql})`);
        params.push(...unfinished.params);
      }
      if (query.neverSeen) conditions.push('NOT EXISTS (SELECT 1 FROM node_check_ins c WHERE c.org = t.org AND c.name = t.name)');
      return this.#db
        .prepare<unknown[], NodePair>(`SELECT DISTINCT t.org, t.name FROM tasks t WHERE ${conditions.join(' AND ')} ORDER BY t.org, t.name LIMIT ?`)
        .raw()
        .all(...params, limit);
    };
    if (query.selector) return checkedIn();
    // A node with an unfinished task is targeted by its job; a never-seen node is known only so.
    if (query.neverSeen || query.unfinished) return targeted();
    return mergeSortedNodes(targeted(), checkedIn(), limit);
  }

  async recordNodeFacts(reports: NodeFactsReport[]): Promise<void> {
    const { recordFacts, clearTags, insertTag, clearAttributes, insertAttribute } = this.#statements;
    this.#db.transaction(() => {
      for (const { node, facts, at } of reports) {
        const { org, name } = node;
        recordFacts.run({
          org,
          name,
          at: at.getTime(),
          facts: factsText(facts),
          os: facts.os ?? null,
          osVersion: facts.osVersion ?? null,
          platform: facts.platform ?? null,
          arch: facts.arch ?? null,
        });
        clearTags.run(org, name);
        for (const tag of new Set(facts.tags)) insertTag.run(org, name, tag);
        clearAttributes.run(org, name);
        for (const [key, value] of Object.entries(facts.attributes)) insertAttribute.run(org, name, key, value);
      }
    }).immediate();
  }

  async selectNodes(selector: NodeSelector, query: NodeSelectionQuery, now: Date): Promise<Page<NodeRef>> {
    const after = query.cursor === undefined ? (['', ''] as NodePair) : parseNodeCursor(query.cursor);
    const nodes = this.#selectedNodes(selector, now, after, query.limit + 1);
    const page: Page<NodeRef> = { items: [] };
    if (nodes.length > query.limit) {
      nodes.length = query.limit;
      page.nextCursor = nodeCursorOf(nodes[nodes.length - 1] as NodePair);
    }
    page.items = nodes.map(([org, name]) => ({ org, name }));
    return page;
  }

  async countNodes(selector: NodeSelector, now: Date): Promise<number> {
    const { where, params } = selectionConditions(selector, now);
    return this.#db.prepare<unknown[], number>(`SELECT count(*) FROM node_check_ins c WHERE ${where}`).pluck().get(...params) as number;
  }

  /** One statement over the check-ins in (org, name) order: the tag and attribute tests are index seeks. */
  #selectedNodes(selector: NodeSelector, now: Date, after: NodePair, limit: number): NodePair[] {
    const { where, params } = selectionConditions(selector, now);
    return this.#db
      .prepare<unknown[], NodePair>(
        `SELECT c.org, c.name FROM node_check_ins c WHERE (c.org, c.name) > (?, ?) AND ${where} ORDER BY c.org, c.name LIMIT ?`,
      )
      .raw()
      .all(...after, ...params, limit);
  }

  async getNodeKey(node: NodeRef): Promise<NodeKey | undefined> {
    const row = this.#statements.nodeKey.get(node.org, node.name);
    if (!row) return undefined;
    return { node: { org: node.org, name: node.name }, publicKey: row.public_key, source: row.source, createdAt: new Date(row.created_at) };
  }

  async enrollNodeKey(key: NodeKey): Promise<EnrollOutcome> {
    const { org, name } = key.node;
    const { changes } = this.#statements.insertNodeKeyIfAbsent.run(org, name, key.publicKey, key.source, key.createdAt.getTime());
    if (changes === 1) return { kind: 'enrolled' };
    const stored = this.#statements.nodeKey.get(org, name);
    // Reset between the insert and this read: the node may try again.
    if (!stored) return { kind: 'conflict' };
    return stored.public_key === key.publicKey ? { kind: 'unchanged' } : { kind: 'conflict' };
  }

  async setNodeKey(key: NodeKey): Promise<void> {
    const { org, name } = key.node;
    this.#statements.replaceNodeKey.run(org, name, key.publicKey, key.source, key.createdAt.getTime());
  }

  async resetNodeKey(node: NodeRef): Promise<boolean> {
    return this.#statements.deleteNodeKey.run(node.org, node.name).changes === 1;
  }

  async checkHealth(): Promise<void> {
    this.#statements.health.get();
  }

  async close(): Promise<void> {
    this.#db.close();
    this.#lock?.release();
  }

  #countsOf(row: Pick<JobRow, 'seq' | 'window_end'>, now: Date): StatusCounts {
    const { countOfJobStatus, handedOutCountsOfJob } = this.#statements;
    const groups: StoredCount[] = handedOutCountsOfJob.all(now.getTime(), row.seq).map(([status, leaseEnded, stopRequested, count]) => ({
      status,
      leaseEnded: leaseEnded === 1,
      stopRequested: stopRequested === 1,
      count,
    }));
    for (const status of NOT_HANDED_OUT_STATUSES) {
      const count = countOfJobStatus.get(row.seq, status) as number;
      if (count > 0) groups.push({ status, leaseEnded: false, stopRequested: false, count });
    }
    return effectiveCounts(groups, new Date(row.window_end), now);
  }

  #summaryOf(row: JobRow, now: Date): JobSummary {
    const { stopped, counts } = this.#stopIfFailed(row, now);
    return {
      id: row.id,
      task: taskOf(row),
      createdAt: new Date(row.created_at),
      nodeCount: row.node_count,
      summary: counts,
      ...attributesOf(row),
      ...(stopped ? { stopped } : {}),
      ...(row.targets === null ? {} : { targets: selectorOf(row.targets) }),
      ...attributionOf(row),
    };
  }

  /**
   * A job with max_errors whose failures exceed it at `now` stops: the first call to notice
   * records why and cancels its queued tasks, in one transaction. Answers the job's stop, if any,
   * and its counts as they now are (`counts`: the counts at `now`, when the caller has them).
   */
  /**
   * #stopIfFailed for callers that need only the stop: a job without max_errors, or already
   * stopped, costs no count (a failed report of a 100,000-node job would otherwise count it all).
   */
  #stopOf(row: StopFields, now: Date): JobStop | undefined {
    if (row.stopped_at !== null) return { reason: row.stopped_reason ?? '', at: new Date(row.stopped_at) };
    if (row.error_limit === null) return undefined;
    return this.#stopIfFailed(row, now).stopped;
  }

  #stopIfFailed(row: StopFields, now: Date, counts = this.#countsOf(row, now)): { stopped?: JobStop; counts: StatusCounts } {
    if (row.stopped_at !== null) return { stopped: { reason: row.stopped_reason ?? '', at: new Date(row.stopped_at) }, counts };
    const errorLimit = row.error_limit ?? undefined;
    if (!failuresExceed(failuresOf(counts), errorLimit)) return { counts };
    const at = now.getTime();
    const reason = stopReason(failuresOf(counts), JSON.parse(row.max_errors as string) as RateLimit, errorLimit as number);
    this.#db.transaction(() => {
      if (this.#statements.stopJob.run(reason, at, row.seq).changes === 1) this.#statements.cancelQueued.run(at, row.seq, at);
    }).immediate();
    const stopped = this.#statements.jobBySeq.get(row.seq) as JobRow;
    return this.#stopIfFailed(stopped, now, this.#countsOf(stopped, now));
  }
}

/** A job's optional fields but its stop, which #stopIfFailed answers. */
function attributesOf(row: Omit<JobRow, 'spec'>): JobAttributes {
  const attributes: JobAttributes = {};
  if (row.name !== null) attributes.name = row.name;
  if (row.max_concurrency !== null) attributes.maxConcurrency = JSON.parse(row.max_concurrency) as RateLimit;
  if (row.max_errors !== null) attributes.maxErrors = JSON.parse(row.max_errors) as RateLimit;
  if (row.rerun_of !== null) attributes.rerunOf = row.rerun_of;
  return attributes;
}

function attributionOf(row: Pick<JobRow, 'created_by' | 'cancelled_by'>): JobAttribution {
  const attribution: JobAttribution = {};
  if (row.created_by !== null) attribution.createdBy = row.created_by;
  if (row.cancelled_by !== null) attribution.cancelledBy = row.cancelled_by;
  return attribution;
}

/** UNFINISHED_STORED_STATES as SQL over the tasks aliased `alias`, at `at` (ms). */
function unfinishedCondition(alias: string, at: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const alternatives = UNFINISHED_STORED_STATES.map((state) => {
    const parts = [`${alias}.status = ?`];
    params.push(state.status);
    if (state.windowOpen) {
      parts.push(`${alias}.window_end >= ?`);
      params.push(at);
    }
    if (state.leaseNotEnded) {
      parts.push(`(${alias}.lease_expires_at IS NULL OR ${alias}.lease_expires_at >= ?)`);
      params.push(at);
    }
    return `(${parts.join(' AND ')})`;
  });
  return { sql: alternatives.join(' OR '), params };
}

/** The selector as SQL over `node_check_ins c`; every value is a bound parameter. */
function selectionConditions(selector: NodeSelector, now: Date): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (selector.org !== undefined) {
    conditions.push('c.org = ?');
    params.push(selector.org);
  }
  if (selector.namePattern !== undefined) {
    // GLOB: `*` and `?`, case-sensitive; names cannot hold GLOB's other syntax (`[`).
    conditions.push('c.name GLOB ?');
    params.push(selector.namePattern);
  }
  const since = seenSince(selector, now);
  if (since !== undefined) {
    conditions.push('c.last_check_in >= ?');
    params.push(since.getTime());
  }
  if (selector.os !== undefined) {
    conditions.push('(c.os = ? OR c.platform = ?)');
    params.push(selector.os, selector.os);
  }
  if (selector.osVersion !== undefined) {
    conditions.push('c.os_version = ?');
    params.push(selector.osVersion);
  }
  if (selector.arch !== undefined) {
    conditions.push('c.arch = ?');
    params.push(selector.arch);
  }
  for (const tag of selector.tagsAll) {
    conditions.push('EXISTS (SELECT 1 FROM node_tags t WHERE t.org = c.org AND t.name = c.name AND t.tag = ?)');
    params.push(tag);
  }
  if (selector.tagsAny.length > 0) {
    conditions.push(
      `EXISTS (SELECT 1 FROM node_tags t WHERE t.org = c.org AND t.name = c.name AND t.tag IN (${selector.tagsAny.map(() => '?').join(', ')}))`,
    );
    params.push(...selector.tagsAny);
  }
  for (const [key, value] of Object.entries(selector.attributes)) {
    conditions.push('EXISTS (SELECT 1 FROM node_attributes a WHERE a.org = c.org AND a.name = c.name AND a.key = ? AND a.value = ?)');
    params.push(key, value);
  }
  return { where: conditions.length === 0 ? '1' : conditions.join(' AND '), params };
}

function taskOf(row: JobRow): TaskDefinition {
  const task: TaskDefinition = {
    windowStart: new Date(row.window_start),
    windowEnd: new Date(row.window_end),
    provider: row.provider,
    spec: JSON.parse(row.spec) as unknown,
  };
  if (row.timeout !== null) task.timeout = row.timeout;
  return task;
}

/** One stored condition as SQL, its parameters appended to `params`. */
function sqlOf(condition: StoredCondition, now: Date, params: unknown[]): string {
  const parts = ['status = ?'];
  params.push(condition.status);
  if (condition.lease !== undefined) {
    parts.push(condition.lease === 'live' ? 'lease_expires_at >= ?' : 'lease_expires_at < ?');
    params.push(now.getTime());
  }
  if (condition.stopRequested !== undefined) {
    parts.push('stop_requested = ?');
    params.push(condition.stopRequested ? 1 : 0);
  }
  return `(${parts.join(' AND ')})`;
}

function parseIndexCursor(cursor: string): number {
  if (!/^\d{1,9}$/.test(cursor)) throw new InvalidCursorError();
  return Number(cursor);
}
