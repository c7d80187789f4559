// The MongoDB driver, for MongoDB and for Azure Cosmos DB's MongoDB API. Cosmos DB has no
// multi-document transactions, so nothing here relies on them: each step that decides something
// (a claim, a status change) is one atomic single-document operation.
//
// Half-created jobs. A job is a job document plus one task document per node, written without a
// transaction, so a crash (or the database going away) part-way leaves some of them behind. The
// tasks are written first and the job document last, and the job document is what makes a job
// exist: every read starts from it, and a claim only hands out a task whose job document it has
// read. A crash therefore leaves tasks that no read shows and no poll hands out; they stop being
// candidates once their window ends. A job flag ("creating", then "ready") would do the same with
// one more write per job and a state every read must filter on; the order of writes needs neither.

import {
  MongoClient,
  MongoServerError,
  ObjectId,
  type Collection,
  type Db,
  type Filter,
} from 'mongodb';
import type { NewJob, NodeRef, TaskDefinition } from '../../wire/job-request.js';
import { namePatternRegExp, type NodeSelector } from '../../wire/node-selector.js';
import { isJobId } from '../../wire/job-id.js';
import type { StatusReport, TaskResult } from '../../wire/status-report.js';
import { emptyStatusCounts, type StatusCounts, type TaskStatus } from '../../wire/task-status.js';
import { decideReport } from '../report-decision.js';
import type { RateLimit } from '../../wire/job-options.js';
import {
  SLOT_RECLAIM_MARGIN_MS,
  concurrencyLimitOf,
  errorLimitOf,
  failuresExceed,
  failuresOf,
  slotIsFree,
  stopReason,
} from '../rate-control.js';
import { pageByState } from '../job-listing.js';
import { decideForget } from '../node-forgetting.js';
import {
  InvalidCursorError,
  JOB_STATE_SCAN_LIMIT,
  StoreUnavailableError,
  type JobAttributes,
  type JobStop,
  type CancelOutcome,
  type ClaimAnswer,
  type ClaimedTask,
  type FedJob,
  type JobFeedPage,
  type EnrollOutcome,
  type JobAttribution,
  type ForgetOutcome,
  type JobListEntry,
  type JobListQuery,
  type JobSummary,
  type ListedTask,
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
import { LISTED_SPEC_MAX_BYTES } from '../../wire/spec-limits.js';
import {
  effectiveCounts,
  effectiveStatus,
  storedConditionsMeaning,
  UNFINISHED_STORED_STATES,
  type StoredCount,
  type StoredCondition,
} from '../task-expiry.js';
import {
  DEFAULT_LEASE_POLICY,
  deliveryGraceOf,
  leaseAfterReport,
  leaseAtHandOut,
  leaseForUnleasedTask,
  type LeasePolicy,
} from '../task-lease.js';
import { clientOptions, describeHosts, type DatabaseKind, type MongoTimeouts } from './client-options.js';
import { databaseKind } from './database-kind.js';
import { mergeSortedNodes, nodeCursorOf, parseNodeCursor, type NodePair } from '../node-listing.js';
import { attributePairs, factsText, seenSince, selectorOf, selectorText, storedFactsOf } from '../node-selection.js';
import {
  CHECK_INS_COLLECTION,
  DEPLOYMENT_PROFILES,
  HAND_OUTS_COLLECTION,
  JOBS_COLLECTION,
  SLOTS_COLLECTION,
  NODE_KEYS_COLLECTION,
  TASKS_COLLECTION,
  setUpCollections,
} from './collection-setup.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isBusyError, isUnavailableError, toStoreError } from './unavailable.js';

export interface MongoStoreOptions {
  connectionString: string;
  databaseName: string;
  /** Azure Cosmos DB's MongoDB API: collections are created with their shard keys. */
  cosmos?: boolean;
  timeouts?: Partial<MongoTimeouts>;
  leasePolicy?: LeasePolicy;
  /** Told when a fresh driver client took over from one that stayed unusable (see #noteUnavailable). */
  onClientReplaced?: () => void;
}

interface JobDocument {
  _id: ObjectId;
  provider: string;
  /**
   * JSON text, not a BSON document: BSON cannot hold every JSON object (keys starting with `$` or
   * containing `.`), and a spec is the administrator's, to be answered back structurally equal.
   */
  spec: string;
  /** The spec's UTF-8 length, so that lists leave a large one out without reading it; absent on jobs created before. */
  specBytes?: number;
  timeout?: string;
  windowStart: Date;
  windowEnd: Date;
  createdAt: Date;
  nodeCount: number;
  /** The selector the job was created with, as the wire's JSON text (see `spec`). */
  targets?: string;
  name?: string;
  /** As given: a count or a percentage string. */
  maxConcurrency?: RateLimit;
  maxErrors?: RateLimit;
  /** What they come to for this job's node count (rate-control.ts). */
  concurrencyLimit?: number;
  errorLimit?: number;
  stopped?: JobStop;
  rerunOf?: string;
  /** The admin key's name that created it; absent when unknown. */
  createdBy?: string;
  /** The admin key's name of its latest cancel. */
  cancelledBy?: string;
  /**
   * When the job document was written, by the writer's clock: the job feed's order. Later than
   * `createdAt` by the time its tasks took to write (seconds for 100,000 nodes). Absent on jobs
   * stored before the feed existed, which no process started since needs to be told of.
   */
  storedAt?: Date;
}

interface SlotDocument {
  /** `<job id>:<slot>:<generation>`: the unique key that lets one hand-out, and one only, take it. */
  _id: string;
  jobId: ObjectId;
  slot: number;
  generation: number;
  /** The holder: the node whose task of this job took the slot. */
  node: string;
  at: Date;
  /** The hand-out that took it did not happen (another poll handed the task out, or it was cancelled). */
  released?: boolean;
  /** A later generation of the same slot exists: only the latest one counts. */
  superseded?: boolean;
}

interface TaskDocument {
  _id: ObjectId;
  jobId: ObjectId;
  /** The node's position in the job's node list: statuses are listed in that order. */
  idx: number;
  /** "org/name": the shard key, and what every poll and report of the node looks up. */
  node: string;
  org: string;
  name: string;
  status: TaskStatus;
  /** Copies of the job's window, so that a poll finds its task without reading jobs. */
  windowStart: Date;
  windowEnd: Date;
  updatedAt: Date;
  result?: TaskResult;
  /** While handed out (pending or running): see task-lease.ts. */
  leaseExpiresAt?: Date | null;
  /** An administrator asked the node to stop it. */
  stopRequested?: boolean;
  /** Set when its node was forgotten (it was finished then): it no longer counts in the node list. */
  forgottenAt?: Date | null;
}

/**
 * Who decided a queued task's fate: a claim (the task is handed out) or a cancel (it is
 * cancelled). Whoever inserts it first owns the task; every other writer leaves the task alone or
 * completes the owner's decision.
 */
interface HandOutDocument {
  /** `<job id>:<org>/<name>`: the unique key that lets one poll, or one cancel, and one only, take the task. */
  _id: string;
  node: string;
  jobId: ObjectId;
  at: Date;
  /** Which poll wrote it, so that a poll that fails after writing it removes its own record only. */
  claim?: string;
  /**
   * The task is cancelled, not handed out: written by a cancel or a max_errors stop, or by a claim
   * that took the record and then found its job stopped (before it writes the task).
   */
  cancel?: boolean;
}

interface CheckInDocument {
  /** "org/name". */
  _id: string;
  org: string;
  name: string;
  lastCheckIn: Date;
  /** The node's facts as the wire's JSON text, and when they were reported; absent until it reports. */
  facts?: string;
  factsAt?: Date;
  // Copies of the facts a selector compares, as indexable fields. Absent facts are stored as null
  // so that a report replaces the previous one whole.
  os?: string | null;
  osVersion?: string | null;
  platform?: string | null;
  arch?: string | null;
  tags?: string[];
  /** `key=value` per attribute: one multikey index serves every attribute test. */
  attributePairs?: string[];
}

interface NodeKeyDocument {
  /** "org/name". */
  _id: string;
  org: string;
  name: string;
  publicKey: string;
  source: NodeKeySource;
  createdAt: Date;
}

/** Tasks per insert command: small enough for Cosmos DB's throughput limits, large enough to be fast. */
const TASK_BATCH_SIZE = 2_000;
const TASK_BATCHES_IN_FLIGHT = 4;
/** A poll reads this many candidates at once, so that a lost race rarely costs another query. */
const CLAIM_CANDIDATES = 4;
const DUPLICATE_KEY = 11000;
/**
 * The job feed reads again the jobs stored in this last stretch of time, and skips those it
 * announced already: a job written by another process with a clock up to this much behind, or
 * whose write took this long to become visible, is still announced.
 */
const JOB_FEED_OVERLAP_MS = 30_000;
/** Claims of one batch running at once: the driver's connection pool is 100 by default. */
const CLAIMS_IN_FLIGHT = 16;
/**
 * Attempts of a claim, and of a failed claim's give-back, when the database answers that it is
 * busy ("database is locked": FerretDB's SQLite backend lets one writer in at a time and gives up
 * on a write that waited 20 s; serialization failures and deadlocks on PostgreSQL): such a write
 * did not happen, and the next attempt, a moment later, usually goes through.
 */
const BUSY_ATTEMPTS = 3;
/** The pause before the second attempt; doubled before each further one, with jitter. */
const BUSY_BACKOFF_MS = 50;

interface JobFeedCursor {
  /** Jobs stored at or after this time (ms) are read. */
  since: number;
  /** Those of them already announced. */
  seen: string[];
}
/**
 * The most time the database may spend on one query of a list: a page's work is bounded by its
 * length, and this bounds it in time too (MaxTimeMSExpired answers 503) whatever the data.
 */
const LIST_MAX_TIME_MS = 15_000;
/** How long every operation must have failed as unavailable before a fresh client is tried. */
const REPLACE_CLIENT_AFTER_MS = 15_000;
/** Tasks read at once while listing the distinct targeted nodes. */
const TARGETED_NODES_BATCH = 1_000;
/** Nodes per `$in` when looking check-ins up. */
const NODE_LOOKUP_BATCH = 1_000;
/**
 * never_checked_in reads every check-in's id, instead of looking the job's nodes up 1,000 at a
 * time, when there are at most this many check-ins per node looked up.
 */
const CHECK_INS_READ_WHOLE_FACTOR = 4;
/**
 * How long a cancel waits for claims that hold the hand-out records of its job's tasks to mark
 * them pending, before asking their nodes to stop. A claim takes milliseconds between its record
 * and its mark; only a stalled or crashed one takes longer.
 */
const CLAIM_SETTLE_MS = 10_000;
/** Inserts a poll tries for a concurrency slot before leaving the job to its next poll. */
const SLOT_ATTEMPTS = 5;

// Sorts name an index's whole key, the fields the filter fixes by equality too: the order is the
// same, and Cosmos DB sorts on several fields only along a compound index that matches the sort.
/** Earliest window first: the `claimable` index. */
const CLAIM_ORDER = { node: 1, status: 1, windowStart: 1, jobId: 1 } as const;
/** Tasks not forgotten, by node: the `listed_by_org_and_name` index. */
const LISTED_ORDER = { forgottenAt: 1, org: 1, name: 1 } as const;
/** A job's tasks in the order of its nodes: the `by_job` index. */
const BY_JOB_ORDER = { jobId: 1, idx: 1 } as const;

export class MongoStore implements Store {
  #client!: MongoClient;
  #db!: Db;
  #jobs!: Collection<JobDocument>;
  #tasks!: Collection<TaskDocument>;
  #handOuts!: Collection<HandOutDocument>;
  #checkIns!: Collection<CheckInDocument>;
  #nodeKeys!: Collection<NodeKeyDocument>;
  #slots!: Collection<SlotDocument>;
  readonly #leasePolicy: LeasePolicy;
  readonly #reconnect: () => Promise<MongoClient>;
  readonly #onClientReplaced: (() => void) | undefined;
  readonly #databaseName: string;
  /** When every operation since then failed as unavailable; undefined while the database answers. */
  #unavailableSince: number | undefined;
  #lastReplacementAt = 0;
  #replacing: Promise<void> | undefined;
  #closed = false;

  /** Connects, creates collections and indexes as needed, and answers a ready store. */
  static async connect(options: MongoStoreOptions): Promise<MongoStore> {
    const where = `${describeHosts(options.connectionString)} (database "${options.databaseName}")`;
    const newClient = (database: DatabaseKind) => new MongoClient(options.connectionString, clientOptions(options.connectionString, options.timeouts, database));
    let client: MongoClient;
    try {
      client = newClient('mongodb');
    } catch (error) {
      throw new Error(`invalid MongoDB connection string: ${messageOf(error)}`, { cause: error });
    }
    let database: DatabaseKind = 'mongodb';
    try {
      await client.connect();
      database = await databaseKind(client, options.databaseName);
      if (database === 'ferretdb' && clientOptions(options.connectionString, options.timeouts, database).maxPoolSize !== undefined) {
        // A client's pool size is fixed when it is made: FerretDB's smaller pool needs a client of its own.
        await client.close();
        client = newClient(database);
        await client.connect();
      }
      const db = client.db(options.databaseName);
      await setUpCollections(db, options.cosmos ? DEPLOYMENT_PROFILES.cosmos : DEPLOYMENT_PROFILES.mongodb);
      const reconnect = async () => {
        const fresh = newClient(database);
        try {
          await fresh.connect();
          await fresh.db(options.databaseName).command({ ping: 1 });
          return fresh;
        } catch (error) {
          await fresh.close().catch(() => undefined);
          throw error;
        }
      };
      const store = new MongoStore(client, options.databaseName, reconnect, options.leasePolicy ?? DEFAULT_LEASE_POLICY, options.onClientReplaced);
      await store.#leaseUnleasedTasks(new Date());
      return store;
    } catch (error) {
      await client.close().catch(() => undefined);
      if (isUnavailableError(error)) {
        throw new StoreUnavailableError(`cannot reach MongoDB at ${where}: ${messageOf(error)}`, { cause: error });
      }
      throw new Error(`cannot set up MongoDB at ${where}: ${messageOf(error)}`, { cause: error });
    }
  }

  private constructor(
    client: MongoClient,
    databaseName: string,
    reconnect: () => Promise<MongoClient>,
    leasePolicy: LeasePolicy,
    onClientReplaced: (() => void) | undefined,
  ) {
    this.#databaseName = databaseName;
    this.#onClientReplaced = onClientReplaced;
    this.#reconnect = reconnect;
    this.#leasePolicy = leasePolicy;
    this.#use(client);
  }

  #use(client: MongoClient): void {
    const db = client.db(this.#databaseName);
    this.#client = client;
    this.#db = db;
    this.#jobs = db.collection<JobDocument>(JOBS_COLLECTION);
    this.#tasks = db.collection<TaskDocument>(TASKS_COLLECTION);
    this.#handOuts = db.collection<HandOutDocument>(HAND_OUTS_COLLECTION);
    this.#checkIns = db.collection<CheckInDocument>(CHECK_INS_COLLECTION);
    this.#slots = db.collection<SlotDocument>(SLOTS_COLLECTION);
    this.#nodeKeys = db.collection<NodeKeyDocument>(NODE_KEYS_COLLECTION);
  }

  createJob(job: NewJob, now: Date): Promise<string> {
    return this.#guard(async () => {
      const { task, nodes } = job;
      const started = performance.now();
      const jobId = new ObjectId();
      const tasks: TaskDocument[] = nodes.map((node, idx) => ({
        _id: new ObjectId(),
        jobId,
        idx,
        node: nodeKey(node),
        org: node.org,
        name: node.name,
        status: 'queued',
        windowStart: task.windowStart,
        windowEnd: task.windowEnd,
        updatedAt: now,
      }));
      try {
        await this.#insertTasks(tasks);
      } catch (error) {
        // The job document is not written, so these tasks are invisible anyway; removing them
        // only saves space, and is not tried when the database is gone.
        if (!isUnavailableError(error)) await this.#tasks.deleteMany({ jobId }).catch(() => undefined);
        throw error;
      }
      // Written last: from this moment on the job exists, with every one of its tasks.
      const spec = JSON.stringify(task.spec ?? null);
      const document: JobDocument = {
        _id: jobId,
        provider: task.provider,
        spec,
        specBytes: Buffer.byteLength(spec, 'utf8'),
        windowStart: task.windowStart,
        windowEnd: task.windowEnd,
        createdAt: now,
        nodeCount: nodes.length,
        // `now` moved on by the time the tasks took: the job feed's clock is the callers'.
        storedAt: new Date(now.getTime() + Math.round(performance.now() - started)),
      };
      if (task.timeout !== undefined) document.timeout = task.timeout;
      if (job.targets) document.targets = selectorText(job.targets);
      if (job.name !== undefined) document.name = job.name;
      if (job.maxConcurrency !== undefined) {
        document.maxConcurrency = job.maxConcurrency;
        document.concurrencyLimit = concurrencyLimitOf(job.maxConcurrency, nodes.length);
      }
      if (job.maxErrors !== undefined) {
        document.maxErrors = job.maxErrors;
        document.errorLimit = errorLimitOf(job.maxErrors, nodes.length);
      }
      if (job.rerunOf !== undefined) document.rerunOf = job.rerunOf;
      if (job.createdBy !== undefined) document.createdBy = job.createdBy;
      await this.#jobs.insertOne(document);
      return jobId.toHexString();
    });
  }

  getJob(id: string, now: Date): Promise<JobWithSummary | undefined> {
    return this.#guard(async () => {
      const found = await this.#findJob(id);
      if (!found) return undefined;
      const { job, counts } = await this.#stopIfFailed(found, now);
      const nodes = await this.#tasks
        .find({ jobId: job._id }, { projection: { _id: 0, org: 1, name: 1 }, sort: BY_JOB_ORDER })
        .map((task) => ({ org: task.org, name: task.name }))
        .toArray();
      return {
        job: { id, task: taskOf(job), nodes, createdAt: job.createdAt, ...attributesOf(job), ...targetsOf(job), ...attributionOf(job) },
        summary: counts,
      };
    });
  }

  getJobSummary(id: string, now: Date): Promise<JobSummary | undefined> {
    return this.#guard(async () => {
      const job = await this.#findJob(id);
      return job ? this.#summaryOf(job, now) : undefined;
    });
  }

  listTaskStatuses(jobId: string, query: TaskStatusQuery, now: Date): Promise<Page<NodeTaskStatus> | undefined> {
    return this.#guard(async () => {
      const job = await this.#findJob(jobId);
      if (!job) return undefined;
      const after = query.cursor === undefined ? -1 : parseIndexCursor(query.cursor);
      const stored = query.status ? storedConditionsMeaning(query.status, job.windowEnd, now) : undefined;
      if (stored?.length === 0) return { items: [] };
      const filter: Filter<TaskDocument> = { jobId: job._id, idx: { $gt: after } };
      if (stored) {
        filter.status = { $in: [...new Set(stored.map((condition) => condition.status))] };
        filter.$or = stored.map((condition) => filterOf(condition, now));
      }
      if (query.nodeContains) filter.node = { $regex: escapeRegExp(query.nodeContains), $options: 'i' };
      let cursor = this.#tasks.find(filter, {
        projection: { _id: 0, idx: 1, org: 1, name: 1, status: 1, updatedAt: 1, result: 1, leaseExpiresAt: 1, stopRequested: 1 },
        sort: BY_JOB_ORDER,
      });
      if (query.limit !== undefined) cursor = cursor.limit(query.limit + 1);
      const tasks = await cursor.toArray();
      const page: Page<NodeTaskStatus> = { items: [] };
      if (query.limit !== undefined && tasks.length > query.limit) {
        tasks.length = query.limit;
        page.nextCursor = String((tasks[tasks.length - 1] as TaskDocument).idx);
      }
      page.items = tasks.map((task) => {
        const item: NodeTaskStatus = {
          jobId,
          node: { org: task.org, name: task.name },
          status: effectiveStatus(task, job.windowEnd, now),
          lastUpdated: task.updatedAt,
        };
        if (task.result) item.result = resultOf(task.result);
        return item;
      });
      return page;
    });
  }

  listJobs(query: JobListQuery, now: Date): Promise<Page<JobListEntry>> {
    return this.#guard(async () => {
      const filter: Filter<JobDocument> = {};
      if (query.cursor !== undefined) {
        const last = isJobId(query.cursor)
          ? await this.#jobs.findOne({ _id: ObjectId.createFromHexString(query.cursor) }, { projection: { createdAt: 1 } })
          : null;
        if (!last) throw new InvalidCursorError();
        filter.$or = [{ createdAt: { $lt: last.createdAt } }, { createdAt: last.createdAt, _id: { $lt: last._id } }];
      }
      if (query.provider !== undefined) filter.provider = query.provider;
      if (query.nameContains) filter.name = { $regex: escapeRegExp(query.nameContains), $options: 'i' };
      const sort = { createdAt: -1, _id: -1 } as const;
      const options = { sort, projection: { spec: 0 }, maxTimeMS: LIST_MAX_TIME_MS };
      if (query.state !== undefined) {
        // The state comes from each job's counts: examine jobs newest first until the page is full.
        const examined = await this.#jobs.find(filter, { ...options, limit: JOB_STATE_SCAN_LIMIT + 1 }).toArray();
        const entries = await this.#listed(examined, now);
        return pageByState(entries, query, (entry) => entry, (entry) => entry.id);
      }
      const jobs = await this.#jobs.find(filter, { ...options, limit: query.limit + 1 }).toArray();
      const page: Page<JobListEntry> = { items: [] };
      if (jobs.length > query.limit) {
        jobs.length = query.limit;
        page.nextCursor = (jobs[jobs.length - 1] as JobDocument)._id.toHexString();
      }
      page.items = await this.#listed(jobs, now);
      return page;
    });
  }

  /** List entries for job documents read without their spec: a few queries for all of them. */
  async #listed(jobs: JobDocument[], now: Date): Promise<JobListEntry[]> {
      if (jobs.length === 0) return [];
      const ids = jobs.map((job) => job._id);
      // The small specs, in one query; a job from before specBytes was kept is read to find out.
      const smallSpecIds = jobs.filter((job) => job.specBytes === undefined || job.specBytes <= LISTED_SPEC_MAX_BYTES).map((job) => job._id);
      const specs = new Map<string, string>();
      if (smallSpecIds.length > 0) {
        const found = this.#jobs.find({ _id: { $in: smallSpecIds } }, { projection: { spec: 1 }, maxTimeMS: LIST_MAX_TIME_MS });
        for await (const doc of found) {
          if (Buffer.byteLength(doc.spec, 'utf8') <= LISTED_SPEC_MAX_BYTES) specs.set(doc._id.toHexString(), doc.spec);
        }
      }
      // The counts of the whole page in two aggregates, whatever the page's length: by stored
      // status, and the handed-out tasks whose lease has ended, by stop request.
      const counts = new Map(ids.map((id) => [id.toHexString(), emptyStatusCounts()]));
      const ended = new Map(ids.map((id) => [id.toHexString(), [] as StoredCount[]]));
      const groups = this.#tasks.aggregate<{ _id: { jobId: ObjectId; status: TaskStatus }; count: number }>(
        [
          { $match: { jobId: { $in: ids } } },
          { $group: { _id: { jobId: '$jobId', status: '$status' }, count: { $sum: 1 } } },
        ],
        { maxTimeMS: LIST_MAX_TIME_MS },
      );
      for await (const group of groups) {
        const jobCounts = counts.get(group._id.jobId.toHexString());
        if (jobCounts) jobCounts[group._id.status] = group.count;
      }
      const endedGroups = this.#tasks.aggregate<{ _id: { jobId: ObjectId; status: TaskStatus; stop?: boolean | null }; count: number }>(
        [
          { $match: { jobId: { $in: ids }, status: { $in: ['pending', 'running'] }, leaseExpiresAt: { $lt: now } } },
          { $group: { _id: { jobId: '$jobId', status: '$status', stop: '$stopRequested' }, count: { $sum: 1 } } },
        ],
        { maxTimeMS: LIST_MAX_TIME_MS },
      );
      for await (const group of endedGroups) {
        ended.get(group._id.jobId.toHexString())?.push({
          status: group._id.status,
          leaseEnded: true,
          stopRequested: group._id.stop === true,
          count: group.count,
        });
      }
      const entries: JobListEntry[] = [];
      for (const found of jobs) {
        const id = found._id.toHexString();
        const base = { windowStart: found.windowStart, windowEnd: found.windowEnd, provider: found.provider };
        const spec = specs.get(id);
        const task: ListedTask = spec === undefined ? { ...base, specOmitted: true } : { ...base, spec: JSON.parse(spec) as unknown };
        if (found.timeout !== undefined) task.timeout = found.timeout;
        const pageCounts = effectiveCounts(withEndedLeases(counts.get(id) as StatusCounts, ended.get(id) ?? []), found.windowEnd, now);
        const { job, counts: summary } = await this.#stopIfFailed(found, now, pageCounts);
        entries.push({ id, task, createdAt: job.createdAt, nodeCount: job.nodeCount, summary, ...attributesOf(job), ...targetsOf(job), ...attributionOf(job) });
      }
      return entries;
  }

  countNeverCheckedIn(jobId: string): Promise<number | undefined> {
    return this.#guard(async () => {
      const job = await this.#findJob(jobId);
      if (!job) return undefined;
      // A node whose task was handed out has polled; only the others are looked up. No flag per
      // task as SQLite keeps (migration 9): without transactions, a flag cleared on a node's first
      // check-in and set again by forgetNode has crash and interleaving windows (a check-in
      // inserted but its tasks not yet cleared; a forget racing a first check-in) that leave the
      // count wrong for good, while a lookup is exact whatever the concurrency.
      const keys = await this.#tasks
        .find({ jobId: job._id, status: { $in: ['queued', 'cancelled'] } }, { projection: { _id: 0, node: 1 } })
        .map((task) => task.node)
        .toArray();
      let checkedIn = 0;
      // A job's nodes are distinct (by_node_and_job is unique), so each check-in matches one key.
      // When the check-ins are not many more than the keys, one read of all their ids beats many
      // `$in` queries: FerretDB tests every document of the collection against every key of an
      // `$in` (10,000 keys over 15,000 check-ins: 22 s in ten queries; see docs/benchmarks.md).
      const lookups = Math.ceil(keys.length / NODE_LOOKUP_BATCH);
      if (lookups > 1 && (await this.#checkIns.estimatedDocumentCount()) <= keys.length * CHECK_INS_READ_WHOLE_FACTOR) {
        const wanted = new Set(keys);
        for await (const doc of this.#checkIns.find({}, { projection: { _id: 1 } })) if (wanted.has(doc._id)) checkedIn++;
      } else {
        for (let start = 0; start < keys.length; start += NODE_LOOKUP_BATCH) {
          checkedIn += await this.#checkIns.countDocuments({ _id: { $in: keys.slice(start, start + NODE_LOOKUP_BATCH) } });
        }
      }
      return keys.length - checkedIn;
    });
  }

  /**
   * Which poll gets a task is decided by inserting the task's hand-out record: a unique `_id` lets
   * exactly one insert succeed, on MongoDB, on Cosmos DB (the record lives on the node's shard)
   * and on FerretDB alike. A guarded update (`status: 'queued'` -> `pending`) alone would do on
   * MongoDB and Cosmos DB, but FerretDB evaluates an update's filter and writes the document in
   * two steps, so two concurrent polls could both match. The winner then marks the task pending.
   */
  claimNextTask(node: NodeRef, now: Date): Promise<ClaimedTask | undefined> {
    // One token for every attempt of this claim: a hand-out record an attempt wrote (even one
    // whose answer was lost) is recognized by the next attempt as this claim's own.
    const claim = new ObjectId().toHexString();
    return this.#guard(() => this.#whileBusy(() => this.#claimOnce(node, now, claim)));
  }

  /**
   * Runs `operation` again, up to BUSY_ATTEMPTS in all, while it fails because the database was
   * busy: the operation must be safe to repeat after such a failure.
   */
  async #whileBusy<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (attempt >= BUSY_ATTEMPTS || !isBusyError(error)) throw error;
        await sleep(BUSY_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
      }
    }
  }

  /** One attempt of claimNextTask, whose hand-out records carry `claim`. */
  async #claimOnce(node: NodeRef, now: Date, claim: string): Promise<ClaimedTask | undefined> {
    const key = nodeKey(node);
    const claimable: Filter<TaskDocument> = {
      node: key,
      status: 'queued',
      windowStart: { $lte: now },
      windowEnd: { $gte: now },
    };
    // Tasks of jobs whose job document does not exist (being created, or left by a crash), and
    // of jobs that stopped or whose task waits for a concurrency slot.
    const skipped: ObjectId[] = [];
    for (;;) {
      // Reads only: an empty poll, the fleet's steady state, writes nothing.
      const filter = skipped.length === 0 ? claimable : { ...claimable, jobId: { $nin: skipped } };
      const candidates = await this.#tasks
        .find(filter, { projection: { _id: 0, jobId: 1 }, sort: CLAIM_ORDER, limit: CLAIM_CANDIDATES })
        .toArray();
      if (candidates.length === 0) return undefined;
      const jobs = await this.#jobs.find({ _id: { $in: candidates.map((task) => task.jobId) } }).toArray();
      const jobById = new Map(jobs.map((job) => [job._id.toHexString(), job]));
      for (const { jobId } of candidates) {
        if (skipped.some((id) => id.equals(jobId))) continue;
        const job = jobById.get(jobId.toHexString());
        if (!job) {
          skipped.push(jobId);
          continue;
        }
        let slot: SlotDocument | undefined;
        if (job.stopped) {
          skipped.push(jobId);
          continue;
        }
        if (job.concurrencyLimit !== undefined) {
          slot = await this.#takeSlot(job, job.concurrencyLimit, key, now);
          if (!slot) {
            skipped.push(jobId);
            continue;
          }
        }
        if (await this.#recordHandOut(node, jobId, now, claim)) {
          // Ours. With max_errors, the failures are counted now, after the record: a failure
          // written before this count stops the hand-out, one written after it comes after the
          // hand-out. So no task goes out after the failure that crosses the limit (rate-control.ts).
          if (job.errorLimit !== undefined) {
            let stopped: boolean;
            try {
              stopped = (await this.#stopIfFailed(job, now)).job.stopped !== undefined;
            } catch (error) {
              await this.#giveBack(node, jobId, claim);
              if (slot) await this.#releaseSlot(slot).catch(() => undefined);
              throw error;
            }
            if (stopped) {
              await this.#cancelOwnHandOut(node, jobId, claim, now);
              if (slot) await this.#releaseSlot(slot);
              skipped.push(jobId);
              continue;
            }
          }
          // `pending` too: a poll that lost the race may have finished this step for us.
          let matchedCount: number;
          try {
            ({ matchedCount } = await this.#tasks.updateOne(
              { node: key, jobId, status: { $in: ['queued', 'pending'] } },
              { $set: { status: 'pending', updatedAt: now, leaseExpiresAt: leaseAtHandOut(now, this.#leasePolicy) } },
            ));
          } catch (error) {
            // This poll answers an error, so the node never gets the task: give it back, so
            // that a later poll hands it out (a failed claim must not use a task up).
            await this.#giveBack(node, jobId, claim);
            if (slot) await this.#releaseSlot(slot).catch(() => undefined);
            throw error;
          }
          if (matchedCount === 1) return { jobId: jobId.toHexString(), task: taskOf(job) };
          // Cancelled since it was read: it is not handed out.
          if (slot) await this.#releaseSlot(slot);
        } else {
          if (slot) await this.#releaseSlot(slot);
          await this.#completeHandOut(node, jobId, now);
        }
        // The next candidate is the earliest one left.
      }
    }
  }

  /**
   * The first entry of each node is claimed together with the others' (#claimTogether): a few
   * commands for the whole batch instead of a few per node, since FerretDB answers each query
   * with a scan of the collection. What that step leaves (jobs with rate control or a stop, lost
   * races, a write that failed for some nodes) and every further entry of the same node are
   * claimed one by one, in order. Should the step fail as a whole, every entry answers its error.
   */
  async claimNextTasks(nodes: NodeRef[], now: Date): Promise<ClaimAnswer[]> {
    const answers: ClaimAnswer[] = new Array(nodes.length);
    const byNode = new Map<string, number[]>();
    nodes.forEach((node, index) => {
      const key = nodeKey(node);
      const entries = byNode.get(key);
      if (entries) entries.push(index);
      else byNode.set(key, [index]);
    });
    const firsts = [...byNode.values()].map((entries) => entries[0] as number);
    let decided: Map<number, ClaimAnswer>;
    try {
      decided = await this.#guard(() => this.#claimTogether(firsts.map((index) => nodes[index] as NodeRef), now, firsts));
    } catch (error) {
      // The step failed as a whole (it gave back what it took): so does every entry, at once, rather
      // than each waiting for the same unavailable database again.
      return nodes.map(() => ({ error }));
    }
    const queue: number[][] = [];
    for (const entries of byNode.values()) {
      const first = entries[0] as number;
      if (decided.has(first)) {
        answers[first] = decided.get(first);
        if (entries.length > 1) queue.push(entries.slice(1));
      } else {
        queue.push(entries);
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        for (const index of queue[next++] as number[]) {
          // Each entry on its own: a failed one hands nothing out and takes nothing from the others.
          answers[index] = await this.claimNextTask(nodes[index] as NodeRef, now).catch((error: unknown) => ({ error }));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CLAIMS_IN_FLIGHT, queue.length) }, worker));
    return answers;
  }

  /**
   * Claims the earliest due task of each of these distinct nodes at once, when it is a plain one
   * (its job stored, not stopped, without rate control): one read of the candidates, one of their
   * jobs, one insert of all hand-out records (each unique record still decides its task alone),
   * and one update per job marking its won tasks pending. Answers, by entry index, what it
   * decided: a task, or nothing due. An entry it leaves out is for claimNextTask: a node whose
   * record someone else holds, whose task is of another kind, or whose write failed (its task
   * given back first).
   */
  async #claimTogether(nodes: NodeRef[], now: Date, indexes: number[]): Promise<Map<number, ClaimAnswer>> {
    const decided = new Map<number, ClaimAnswer>();
    const keys = nodes.map(nodeKey);
    const firstOf = new Map<string, ObjectId>();
    const candidates = this.#tasks.find(
      { node: oneOrAny(keys), status: 'queued', windowStart: { $lte: now }, windowEnd: { $gte: now } },
      { projection: { _id: 0, node: 1, jobId: 1 }, sort: CLAIM_ORDER },
    );
    for await (const task of candidates) if (!firstOf.has(task.node)) firstOf.set(task.node, task.jobId);
    const jobIds = [...new Map([...firstOf.values()].map((id) => [id.toHexString(), id])).values()];
    const jobs = jobIds.length === 0 ? [] : await this.#jobs.find({ _id: { $in: jobIds } }).toArray();
    const jobById = new Map(jobs.map((job) => [job._id.toHexString(), job]));
    const claim = new ObjectId().toHexString();
    /** Entry positions (in `nodes`) whose plain task this call tries to take. */
    const tried: number[] = [];
    keys.forEach((key, position) => {
      const jobId = firstOf.get(key);
      if (!jobId) {
        decided.set(indexes[position] as number, undefined);
        return;
      }
      const job = jobById.get(jobId.toHexString());
      if (job && !job.stopped && job.concurrencyLimit === undefined && job.errorLimit === undefined) tried.push(position);
    });
    if (tried.length === 0) return decided;

    const recordOf = (position: number): HandOutDocument => {
      const jobId = firstOf.get(keys[position] as string) as ObjectId;
      return { _id: handOutId(nodes[position] as NodeRef, jobId), node: keys[position] as string, jobId, at: now, claim };
    };
    const records = tried.map(recordOf);
    const ours = await this.#insertHandOuts(records, claim);
    const won = tried.filter((_, i) => ours.has(i));

    const byJob = new Map<string, number[]>();
    for (const position of won) {
      const id = (firstOf.get(keys[position] as string) as ObjectId).toHexString();
      const positions = byJob.get(id);
      if (positions) positions.push(position);
      else byJob.set(id, [position]);
    }
    for (const [id, positions] of byJob) {
      const job = jobById.get(id) as JobDocument;
      const wonKeys = positions.map((position) => keys[position] as string);
      let pending: Set<string>;
      try {
        // `pending` too: a poll that met one of these records may have finished this step for us.
        const { matchedCount } = await this.#whileBusy(() =>
          this.#tasks.updateMany(
            { jobId: job._id, node: oneOrAny(wonKeys), status: { $in: ['queued', 'pending'] } },
            { $set: { status: 'pending', updatedAt: now, leaseExpiresAt: leaseAtHandOut(now, this.#leasePolicy) } },
          ),
        );
        // Ours by the record, so pending now, unless it ceased to be queued meanwhile (as when
        // claimNextTask's update matches nothing): only then is it read which, and those entries
        // are left to claimNextTask.
        pending =
          matchedCount === wonKeys.length
            ? new Set(wonKeys)
            : new Set(
                await this.#tasks
                  .find({ jobId: job._id, node: oneOrAny(wonKeys), status: 'pending' }, { projection: { _id: 0, node: 1 } })
                  .map((task) => task.node)
                  .toArray(),
              );
      } catch {
        // These polls get nothing from this step: give the tasks back so that they are claimable
        // again at once (their entries are tried again on their own).
        await this.#giveBackMany(job._id, wonKeys, claim);
        continue;
      }
      for (const position of positions) {
        if (pending.has(keys[position] as string)) decided.set(indexes[position] as number, { jobId: id, task: taskOf(job) });
      }
    }
    return decided;
  }

  /**
   * Inserts the hand-out records in one unordered command; answers which of them (by index)
   * this claim holds now: inserted, or found holding `claim` after an attempt whose answer was
   * lost. Should it fail, the records it may have written are removed before it throws.
   */
  async #insertHandOuts(records: HandOutDocument[], claim: string): Promise<Set<number>> {
    try {
      const answer = await this.#whileBusy(() => this.#db.command({ insert: HAND_OUTS_COLLECTION, documents: records, ordered: false }));
      const refused = new Set<number>();
      const duplicates: number[] = [];
      for (const writeError of (answer.writeErrors ?? []) as Array<{ index: number; code?: number }>) {
        refused.add(writeError.index);
        if (writeError.code === DUPLICATE_KEY) duplicates.push(writeError.index);
      }
      if (duplicates.length > 0) {
        const holders = await this.#handOuts
          .find({ _id: { $in: duplicates.map((i) => (records[i] as HandOutDocument)._id) }, claim }, { projection: { cancel: 1 } })
          .toArray();
        const held = new Set(holders.filter((holder) => holder.cancel !== true).map((holder) => holder._id));
        for (const i of duplicates) if (held.has((records[i] as HandOutDocument)._id)) refused.delete(i);
      }
      return new Set(records.map((_, i) => i).filter((i) => !refused.has(i)));
    } catch (error) {
      await this.#whileBusy(() => this.#handOuts.deleteMany({ _id: { $in: records.map((record) => record._id) }, claim })).catch(() => undefined);
      throw error;
    }
  }

  /** #giveBack for several nodes' tasks of one job whose records carry `claim`. */
  async #giveBackMany(jobId: ObjectId, keys: string[], claim: string): Promise<void> {
    try {
      await this.#whileBusy(() =>
        this.#tasks.updateMany({ jobId, node: { $in: keys }, status: 'pending' }, { $set: { status: 'queued' }, $unset: { leaseExpiresAt: '' } }),
      );
      await this.#whileBusy(() => this.#handOuts.deleteMany({ _id: { $in: keys.map((key) => `${jobId.toHexString()}:${key}`) }, claim }));
    } catch {
      // As #giveBack: the tasks left pending end by their delivery lease.
    }
  }

  earliestQueuedWindow(node: NodeRef, now: Date): Promise<Date | undefined> {
    return this.#guard(async () => {
      const [first] = await this.#tasks
        .find(
          { node: nodeKey(node), status: 'queued', windowEnd: { $gte: now } },
          { projection: { _id: 0, windowStart: 1 }, sort: CLAIM_ORDER, limit: 1 },
        )
        .toArray();
      return first?.windowStart;
    });
  }

  async *queuedWindows(now: Date): AsyncIterable<QueuedWindow> {
    const tasks = this.#tasks.find(
      { status: 'queued', windowEnd: { $gte: now } },
      { projection: { _id: 0, org: 1, name: 1, windowStart: 1, windowEnd: 1 } },
    );
    try {
      for await (const task of tasks) {
        yield { node: { org: task.org, name: task.name }, windowStart: task.windowStart, windowEnd: task.windowEnd };
      }
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async jobFeedCursor(now: Date): Promise<string> {
    return JSON.stringify({ since: now.getTime() - JOB_FEED_OVERLAP_MS, seen: [] } satisfies JobFeedCursor);
  }

  readJobFeed(cursorText: string, now: Date): Promise<JobFeedPage> {
    return this.#guard(async () => {
      const cursor = parseJobFeedCursor(cursorText);
      const since = Math.max(cursor.since, now.getTime() - JOB_FEED_OVERLAP_MS);
      const seen = new Set(cursor.seen);
      const recent = await this.#jobs
        .find({ storedAt: { $gte: new Date(since) } }, { projection: { _id: 1, windowStart: 1, windowEnd: 1, storedAt: 1 } })
        .toArray();
      const jobs: FedJob[] = [];
      const stillRecent: string[] = [];
      for (const job of recent) {
        const id = job._id.toHexString();
        stillRecent.push(id);
        if (!seen.has(id)) jobs.push({ id, windowStart: job.windowStart, windowEnd: job.windowEnd });
      }
      return { jobs, cursor: JSON.stringify({ since, seen: stillRecent } satisfies JobFeedCursor) };
    });
  }

  async *queuedNodesOfJob(jobId: string, now: Date): AsyncIterable<NodeRef> {
    if (!isJobId(jobId)) return;
    const tasks = this.#tasks.find(
      { jobId: ObjectId.createFromHexString(jobId), status: 'queued', windowEnd: { $gte: now } },
      { projection: { _id: 0, org: 1, name: 1 } },
    );
    try {
      for await (const task of tasks) yield { org: task.org, name: task.name };
    } catch (error) {
      throw toStoreError(error);
    }
  }

  reportStatus(node: NodeRef, report: StatusReport, now: Date): Promise<ReportOutcome> {
    return this.#guard(async (): Promise<ReportOutcome> => {
      if (!isJobId(report.jobId)) return { kind: 'not_targeted' };
      const jobId = ObjectId.createFromHexString(report.jobId);
      const key = nodeKey(node);
      for (;;) {
        const task = await this.#tasks.findOne(
          { node: key, jobId },
          { projection: { _id: 0, status: 1, windowEnd: 1, leaseExpiresAt: 1, stopRequested: 1 } },
        );
        if (!task) return { kind: 'not_targeted' };
        // A task that was never handed out may belong to a job still being created.
        if (task.status === 'queued' && !(await this.#jobs.findOne({ _id: jobId }, { projection: { _id: 1 } }))) {
          return { kind: 'not_targeted' };
        }
        const decision = decideReport(task, task.windowEnd, report, now);
        if (decision.kind !== 'updated') return decision;
        const guard: Filter<TaskDocument> = { node: key, jobId, status: task.status, leaseExpiresAt: task.leaseExpiresAt ?? null };
        if (task.status === 'queued') guard.windowEnd = { $gte: now };
        // Only a running report without a heartbeat needs the task's own timeout.
        const needsTimeout = report.status === 'running' && report.heartbeatIntervalMs === undefined;
        const timeout = needsTimeout
          ? (await this.#jobs.findOne({ _id: jobId }, { projection: { _id: 0, timeout: 1 } }))?.timeout
          : undefined;
        const changes: Partial<TaskDocument> = {
          status: report.status,
          updatedAt: now,
          leaseExpiresAt: leaseAfterReport(report, timeout, now, this.#leasePolicy),
        };
        if (report.result) changes.result = resultOf(report.result);
        const { matchedCount } = await this.#tasks.updateOne(guard, { $set: changes });
        if (matchedCount === 1) {
          if (report.status === 'failed') {
            const job = await this.#jobs.findOne({ _id: jobId });
            if (job && job.errorLimit !== undefined && !job.stopped) await this.#stopIfFailed(job, now);
          }
          return decision;
        }
        // The task changed since it was read (a claim, a cancel, another report): decide again.
      }
    });
  }

  cancelJob(id: string, now: Date, node?: NodeRef, cancelledBy?: string): Promise<CancelOutcome | undefined> {
    return this.#guard(async () => {
      const job = await this.#findJob(id);
      if (!job) return undefined;
      const scope: Filter<TaskDocument> = node ? { node: nodeKey(node), jobId: job._id } : { jobId: job._id };
      if (node && !(await this.#tasks.findOne(scope, { projection: { _id: 1 } }))) {
        return { cancelled: 0, stopping: 0, summary: await this.#countsOf(job, now), nodeTargeted: false };
      }
      // Before the tasks: a cancel that stops part-way still says who asked for it.
      if (cancelledBy !== undefined) await this.#jobs.updateOne({ _id: job._id }, { $set: { cancelledBy } });
      // Queued tasks through their hand-out records: a concurrent claim either took the record
      // first, and the task is handed out (and asked to stop here), or finds it cancelled.
      const { cancelled, claimed } = await this.#cancelQueued(job._id, now, node);
      let stopping = 0;
      if (claimed.length > 0) {
        // Being handed out right now. FerretDB writes an updated document back whole, so asking
        // to stop while the claim marks the task pending could undo either write: wait for the
        // claims to finish first (milliseconds; a stalled one at most CLAIM_SETTLE_MS).
        await this.#waitWhileQueued(job._id, claimed);
        const taken = await this.#tasks.updateMany(
          { jobId: job._id, node: { $in: claimed }, status: { $in: ['queued', 'pending'] }, stopRequested: { $ne: true } },
          { $set: { stopRequested: true } },
        );
        stopping += taken.modifiedCount;
      }
      const handedOut = await this.#tasks.updateMany(
        { ...scope, status: { $in: ['pending', 'running'] }, leaseExpiresAt: { $gte: now }, stopRequested: { $ne: true } },
        { $set: { stopRequested: true } },
      );
      stopping += handedOut.modifiedCount;
      return { cancelled, stopping, summary: await this.#countsOf(job, now), nodeTargeted: true };
    });
  }

  recordCheckIns(checkIns: NodeCheckIn[]): Promise<void> {
    return this.#guard(async () => {
      if (checkIns.length === 0) return;
      const upserts = () =>
        this.#checkIns.bulkWrite(
          checkIns.map(({ node, at }) => ({
            updateOne: {
              filter: { _id: nodeKey(node) },
              // $max: batches from several server processes may land in any order.
              update: { $max: { lastCheckIn: at }, $setOnInsert: { org: node.org, name: node.name } },
              upsert: true,
            },
          })),
          { ordered: false },
        );
      await upsertNodeDocuments(upserts);
    });
  }

  listNodes(query: NodeListQuery, now: Date): Promise<Page<NodeOverview>> {
    return this.#guard(async () => {
      const after: NodePair = query.cursor === undefined ? ['', ''] : parseNodeCursor(query.cursor);
      const nodes = await this.#listedNodePairs(query, now, after, query.limit + 1);
      const page: Page<NodeOverview> = { items: [] };
      if (nodes.length > query.limit) {
        nodes.length = query.limit;
        page.nextCursor = nodeCursorOf(nodes[nodes.length - 1] as NodePair);
      }
      const keys = nodes.map(([org, name]) => nodeKey({ org, name }));
      const checkIns = new Map<string, CheckInDocument>();
      const projection = { _id: 1, lastCheckIn: 1, facts: 1, factsAt: 1 };
      for await (const doc of this.#checkIns.find({ _id: { $in: keys } }, { projection })) checkIns.set(doc._id, doc);
      const counts = new Map(keys.map((key) => [key, emptyStatusCounts()]));
      const tasks = this.#tasks.find(
        { node: { $in: keys }, forgottenAt: null },
        { projection: { _id: 0, node: 1, status: 1, windowEnd: 1, leaseExpiresAt: 1, stopRequested: 1 }, maxTimeMS: LIST_MAX_TIME_MS },
      );
      for await (const task of tasks) {
        const nodeCounts = counts.get(task.node);
        if (nodeCounts) nodeCounts[effectiveStatus(task, task.windowEnd, now)]++;
      }
      page.items = nodes.map(([org, name], index) => {
        const key = keys[index] as string;
        const overview: NodeOverview = { node: { org, name }, tasks: counts.get(key) ?? emptyStatusCounts() };
        const checkIn = checkIns.get(key);
        if (checkIn) overview.lastCheckIn = checkIn.lastCheckIn;
        if (checkIn?.facts !== undefined) overview.facts = storedFactsOf(checkIn.facts, checkIn.factsAt as Date);
        return overview;
      });
      return page;
    });
  }

  forgetNode(node: NodeRef, now: Date, idleSince?: Date): Promise<ForgetOutcome> {
    return this.#guard(async (): Promise<ForgetOutcome> => {
      const key = nodeKey(node);
      const checkIn = await this.#checkIns.findOne({ _id: key });
      const tasks = await this.#tasks
        .find(
          { node: key, forgottenAt: null },
          { projection: { _id: 1, status: 1, windowEnd: 1, leaseExpiresAt: 1, stopRequested: 1, updatedAt: 1 } },
        )
        .toArray();
      const counts = emptyStatusCounts();
      let lastTaskChange: Date | undefined;
      for (const task of tasks) {
        counts[effectiveStatus(task, task.windowEnd, now)]++;
        if (lastTaskChange === undefined || task.updatedAt > lastTaskChange) lastTaskChange = task.updatedAt;
      }
      const decision = decideForget(
        { tasks: counts, ...(checkIn ? { lastCheckIn: checkIn.lastCheckIn } : {}), ...(lastTaskChange ? { lastTaskChange } : {}) },
        idleSince,
      );
      if (decision.kind !== 'forget') return decision;
      // No transaction: only the tasks read (all finished, which they stay) are marked, so a task
      // created meanwhile is not, and the node stays listed for it.
      let finishedTasks = 0;
      for (let start = 0; start < tasks.length; start += NODE_LOOKUP_BATCH) {
        const ids = tasks.slice(start, start + NODE_LOOKUP_BATCH).map((task) => task._id);
        const marked = await this.#tasks.updateMany({ _id: { $in: ids }, node: key, forgottenAt: null }, { $set: { forgottenAt: now } });
        finishedTasks += marked.modifiedCount;
      }
      // Only the check-in read, and the facts on it: a later one (the node polled or reported
      // facts meanwhile) stays, and the node with it.
      if (checkIn) await this.#checkIns.deleteOne({ _id: key, lastCheckIn: { $lte: checkIn.lastCheckIn } });
      const keyKept = (await this.#nodeKeys.countDocuments({ _id: key }, { limit: 1 })) > 0;
      return { kind: 'forgotten', finishedTasks, ...(checkIn ? { lastCheckIn: checkIn.lastCheckIn } : {}), keyKept };
    });
  }

  recordNodeFacts(reports: NodeFactsReport[]): Promise<void> {
    return this.#guard(async () => {
      if (reports.length === 0) return;
      const upserts = () =>
        this.#checkIns.bulkWrite(
          reports.map(({ node, facts, at }) => ({
            updateOne: {
              filter: { _id: nodeKey(node) },
              update: {
                $max: { lastCheckIn: at },
                $set: {
                  facts: factsText(facts),
                  factsAt: at,
                  os: facts.os ?? null,
                  osVersion: facts.osVersion ?? null,
                  platform: facts.platform ?? null,
                  arch: facts.arch ?? null,
                  tags: facts.tags,
                  attributePairs: attributePairs(facts.attributes),
                },
                $setOnInsert: { org: node.org, name: node.name },
              },
              upsert: true,
            },
          })),
          { ordered: false },
        );
      await upsertNodeDocuments(upserts);
    });
  }

  selectNodes(selector: NodeSelector, query: NodeSelectionQuery, now: Date): Promise<Page<NodeRef>> {
    return this.#guard(async () => {
      const after: NodePair = query.cursor === undefined ? ['', ''] : parseNodeCursor(query.cursor);
      const nodes = await this.#selectedNodes(selector, now, after, query.limit + 1);
      const page: Page<NodeRef> = { items: [] };
      if (nodes.length > query.limit) {
        nodes.length = query.limit;
        page.nextCursor = nodeCursorOf(nodes[nodes.length - 1] as NodePair);
      }
      page.items = nodes.map(([org, name]) => ({ org, name }));
      return page;
    });
  }

  countNodes(selector: NodeSelector, now: Date): Promise<number> {
    return this.#guard(() => this.#checkIns.countDocuments(selectionFilter(selector, now)));
  }

  async #selectedNodes(selector: NodeSelector, now: Date, after: NodePair, limit: number): Promise<NodePair[]> {
    const filter = { $and: [afterNode<CheckInDocument>(after), selectionFilter(selector, now)] };
    return this.#checkIns
      .find(filter, { projection: { _id: 0, org: 1, name: 1 }, sort: { org: 1, name: 1 }, limit })
      .map((doc): NodePair => [doc.org, doc.name])
      .toArray();
  }

  getNodeKey(node: NodeRef): Promise<NodeKey | undefined> {
    return this.#guard(async () => {
      const doc = await this.#nodeKeys.findOne({ _id: nodeKey(node) });
      return doc ? nodeKeyOf(doc) : undefined;
    });
  }

  enrollNodeKey(key: NodeKey): Promise<EnrollOutcome> {
    return this.#guard(async (): Promise<EnrollOutcome> => {
      try {
        // The unique `_id` lets exactly one of two concurrent enrollments insert.
        await this.#nodeKeys.insertOne(nodeKeyDocument(key));
        return { kind: 'enrolled' };
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
      const stored = await this.#nodeKeys.findOne({ _id: nodeKey(key.node) }, { projection: { publicKey: 1 } });
      return stored?.publicKey === key.publicKey ? { kind: 'unchanged' } : { kind: 'conflict' };
    });
  }

  setNodeKey(key: NodeKey): Promise<void> {
    return this.#guard(async () => {
      const document = nodeKeyDocument(key);
      await this.#nodeKeys.replaceOne({ _id: document._id }, document, { upsert: true }).catch(async (error: unknown) => {
        // Two upserts of a new node at once: one insert loses; the document exists now.
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
        await this.#nodeKeys.replaceOne({ _id: document._id }, document);
      });
    });
  }

  resetNodeKey(node: NodeRef): Promise<boolean> {
    return this.#guard(async () => (await this.#nodeKeys.deleteOne({ _id: nodeKey(node) })).deletedCount === 1);
  }

  checkHealth(): Promise<void> {
    return this.#guard(async () => {
      await this.#db.command({ ping: 1 });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#replacing;
    await this.#client.close();
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      this.#unavailableSince = undefined;
      return result;
    } catch (error) {
      const storeError = toStoreError(error);
      if (storeError instanceof StoreUnavailableError) this.#noteUnavailable();
      throw storeError;
    }
  }

  /**
   * A driver client can stay unusable after the database came back: with mongodb 6.9, after the
   * database was frozen and then restarted, one client of several kept its server "Unknown" with
   * the last pool error ("connection N to host closed") and failed every operation's server
   * selection after 5 s, for as long as the process ran, while fresh clients connected at once.
   * The cause found: the driver's monitor started a check on its connection in the same turn of
   * the event loop in which the database's FIN had destroyed that connection's socket (a retried
   * read asked for the check), and the check waits for ever for a 'drain' of the destroyed socket;
   * no check runs again (details in client-options.ts). The client options make that unlikely; this
   * is the backstop for it and for any other state a client never leaves: when every operation has
   * failed for REPLACE_CLIENT_AFTER_MS, a fresh client is tried; if it reaches the database, it
   * takes over and the old one is closed. While the database is really away the attempt fails like
   * everything else, at most once per interval. test/mongodb-monitor-fault-injection.test.ts gets
   * the monitor stuck on purpose and fails without this.
   */
  #noteUnavailable(): void {
    const now = Date.now();
    this.#unavailableSince ??= now;
    if (this.#closed || this.#replacing) return;
    if (now - this.#unavailableSince < REPLACE_CLIENT_AFTER_MS || now - this.#lastReplacementAt < REPLACE_CLIENT_AFTER_MS) return;
    this.#lastReplacementAt = now;
    this.#replacing = this.#replaceClient().finally(() => {
      this.#replacing = undefined;
    });
  }

  async #replaceClient(): Promise<void> {
    let fresh: MongoClient;
    try {
      fresh = await this.#reconnect();
    } catch {
      return;
    }
    if (this.#closed) {
      await fresh.close().catch(() => undefined);
      return;
    }
    const stale = this.#client;
    this.#use(fresh);
    this.#unavailableSince = undefined;
    // Its operations still in flight fail as unavailable (503); new ones use the fresh client.
    void stale.close(true).catch(() => undefined);
    this.#onClientReplaced?.();
  }

  /**
   * The first `limit` distinct targeted nodes after `after`, in (org, name) order. Tasks are read
   * in that order in batches and deduplicated here: a node targeted by many jobs costs more rows,
   * never more queries than rows/batch. (One seek per node would be as cheap on MongoDB, but a
   * database that cannot seek along the index, FerretDB, scans the collection once per query.)
   */
  /** The nodes of a listing page and the one after it, in (org, name) order, every filter applied. */
  async #listedNodePairs(query: NodeListQuery, now: Date, after: NodePair, limit: number): Promise<NodePair[]> {
    // A selector picks among checked-in nodes only: none of them was never seen.
    if (query.selector && query.neverSeen) return [];
    const text = query.nameContains === undefined ? undefined : { $regex: escapeRegExp(query.nameContains), $options: 'i' };
    const checkInFilters: Array<Filter<CheckInDocument>> = [];
    if (query.selector) checkInFilters.push(selectionFilter(query.selector, now) as Filter<CheckInDocument>);
    if (text) checkInFilters.push({ _id: text });
    const taskFilters: Array<Filter<TaskDocument>> = [];
    if (text) taskFilters.push({ node: text });
    if (query.unfinished) taskFilters.push(unfinishedTaskFilter(now));
    if (query.selector) {
      return this.#checkedInNodesAfter(after, limit, checkInFilters, query.unfinished ? (nodes) => this.#withUnfinishedTask(nodes, now) : undefined);
    }
    // A node with an unfinished task is targeted by its job; a never-seen node is known only so.
    if (query.neverSeen || query.unfinished) {
      return this.#targetedNodesAfter(after, limit, taskFilters, query.neverSeen ? (nodes) => this.#neverCheckedIn(nodes) : undefined);
    }
    const [targeted, checkedIn] = await Promise.all([
      this.#targetedNodesAfter(after, limit, taskFilters),
      this.#checkedInNodesAfter(after, limit, checkInFilters),
    ]);
    return mergeSortedNodes(targeted, checkedIn, limit);
  }

  /**
   * Nodes that tasks target, after `after`, from tasks matching `filters`, in batches until
   * `limit` nodes pass `keep` (a check against other collections) or the tasks run out.
   */
  async #targetedNodesAfter(
    after: NodePair,
    limit: number,
    filters: Array<Filter<TaskDocument>> = [],
    keep?: (nodes: NodePair[]) => Promise<NodePair[]>,
  ): Promise<NodePair[]> {
    const nodes: NodePair[] = [];
    let last = after;
    const batchSize = Math.max(limit, TARGETED_NODES_BATCH);
    while (nodes.length < limit) {
      const listed: Filter<TaskDocument> = { forgottenAt: null, ...afterNode<TaskDocument>(last) };
      const filter = filters.length === 0 ? listed : { $and: [listed, ...filters] };
      const batch = await this.#tasks
        .find(filter, { projection: { _id: 0, org: 1, name: 1 }, sort: LISTED_ORDER, limit: batchSize, maxTimeMS: LIST_MAX_TIME_MS })
        .toArray();
      const distinct: NodePair[] = [];
      for (const task of batch) {
        // A batch starts after the last node of the one before, so a node repeats within a batch only.
        const previous = distinct[distinct.length - 1];
        if (previous && previous[0] === task.org && previous[1] === task.name) continue;
        distinct.push([task.org, task.name]);
      }
      for (const node of keep ? await keep(distinct) : distinct) {
        if (nodes.length === limit) break;
        nodes.push(node);
      }
      if (batch.length < batchSize) break;
      last = distinct[distinct.length - 1] ?? last;
    }
    return nodes;
  }

  /** As #targetedNodesAfter, over the check-ins. */
  async #checkedInNodesAfter(
    after: NodePair,
    limit: number,
    filters: Array<Filter<CheckInDocument>> = [],
    keep?: (nodes: NodePair[]) => Promise<NodePair[]>,
  ): Promise<NodePair[]> {
    const nodes: NodePair[] = [];
    let last = after;
    const batchSize = keep ? Math.max(limit, TARGETED_NODES_BATCH) : limit;
    while (nodes.length < limit) {
      const filter = filters.length === 0 ? afterNode<CheckInDocument>(last) : { $and: [afterNode<CheckInDocument>(last), ...filters] };
      const batch = await this.#checkIns
        .find(filter, { projection: { _id: 0, org: 1, name: 1 }, sort: { org: 1, name: 1 }, limit: batchSize, maxTimeMS: LIST_MAX_TIME_MS })
        .map((doc): NodePair => [doc.org, doc.name])
        .toArray();
      for (const node of keep ? await keep(batch) : batch) {
        if (nodes.length === limit) break;
        nodes.push(node);
      }
      if (batch.length < batchSize) break;
      last = batch[batch.length - 1] ?? last;
    }
    return nodes;
  }

  /** Those of the nodes with an unfinished task now. */
  async #withUnfinishedTask(nodes: NodePair[], now: Date): Promise<NodePair[]> {
    if (nodes.length === 0) return [];
    const keys = nodes.map(([org, name]) => nodeKey({ org, name }));
    const found = new Set<string>();
    const tasks = this.#tasks.find({ $and: [{ node: { $in: keys } }, unfinishedTaskFilter(now)] }, { projection: { _id: 0, node: 1 } });
    for await (const task of tasks) found.add(task.node);
    return nodes.filter((_node, index) => found.has(keys[index] as string));
  }

  /** Those of the nodes that never checked in. */
  async #neverCheckedIn(nodes: NodePair[]): Promise<NodePair[]> {
    if (nodes.length === 0) return [];
    const keys = nodes.map(([org, name]) => nodeKey({ org, name }));
    const seen = new Set<string>();
    for await (const doc of this.#checkIns.find({ _id: { $in: keys } }, { projection: { _id: 1 } })) seen.add(doc._id);
    return nodes.filter((_node, index) => !seen.has(keys[index] as string));
  }

  /**
   * Whether the hand-out record now holds `claim`: written by this call, or by an earlier attempt
   * of the same claim (its token); false when another poll or a cancel holds it.
   */
  async #recordHandOut(node: NodeRef, jobId: ObjectId, now: Date, claim: string): Promise<boolean> {
    const key = nodeKey(node);
    try {
      await this.#handOuts.insertOne({ _id: handOutId(node, jobId), node: key, jobId, at: now, claim });
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) {
        const holder = await this.#handOuts.findOne({ _id: handOutId(node, jobId) }, { projection: { claim: 1, cancel: 1 } });
        return holder?.claim === claim && holder.cancel !== true;
      }
      // The insert may have been written before the error: remove it, or the task is used up.
      await this.#whileBusy(() => this.#handOuts.deleteOne({ _id: handOutId(node, jobId), claim })).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Undoes a hand-out this poll recorded but could not complete: the task is queued again and the
   * record removed, best effort. Should the database refuse this too, the task stays pending
   * without having reached its node until the lease on undelivered tasks ends it (timed_out).
   */
  async #giveBack(node: NodeRef, jobId: ObjectId, claim: string): Promise<void> {
    const key = nodeKey(node);
    try {
      // Each step retried while the database is busy, which is likely what failed the claim.
      await this.#whileBusy(() =>
        this.#tasks.updateOne({ node: key, jobId, status: 'pending' }, { $set: { status: 'queued' }, $unset: { leaseExpiresAt: '' } }),
      );
      await this.#whileBusy(() => this.#handOuts.deleteOne({ _id: handOutId(node, jobId), claim }));
    } catch {
      // The error that made this poll fail is the one answered.
    }
  }

  /**
   * Cancels the job's queued tasks (or `node`'s) whose window has not ended, each through its
   * hand-out record, as claims take them: this call cancels exactly the tasks whose record it
   * inserted, and answers the nodes whose record a claim holds (handed out, or being handed out).
   * FerretDB applies a filtered update in two steps, so "queued -> cancelled" as one updateMany
   * could land on a task a claim marked pending a moment before; the unique record cannot.
   */
  async #cancelQueued(jobId: ObjectId, now: Date, node?: NodeRef): Promise<{ cancelled: number; claimed: string[] }> {
    const queued = await this.#tasks
      .find(
        { jobId, ...(node ? { node: nodeKey(node) } : {}), status: 'queued', windowEnd: { $gte: now } },
        { projection: { _id: 0, node: 1 } },
      )
      .map((task) => task.node)
      .toArray();
    let cancelled = 0;
    const claimed: string[] = [];
    for (let start = 0; start < queued.length; start += TASK_BATCH_SIZE) {
      const batch = queued.slice(start, start + TASK_BATCH_SIZE);
      const records: HandOutDocument[] = batch.map((key) => ({ _id: `${jobId.toHexString()}:${key}`, node: key, jobId, at: now, cancel: true }));
      const answer = await this.#db.command({ insert: HAND_OUTS_COLLECTION, documents: records, ordered: false });
      const taken = new Set<number>();
      for (const writeError of (answer.writeErrors ?? []) as Array<{ index: number; code?: number; errmsg?: string }>) {
        if (writeError.code !== DUPLICATE_KEY) throw new Error(`cannot record a cancel: ${writeError.errmsg} (code ${writeError.code})`);
        taken.add(writeError.index);
      }
      const ours = batch.filter((_, index) => !taken.has(index));
      for (const [index, key] of batch.entries()) if (taken.has(index)) claimed.push(key);
      if (ours.length === 0) continue;
      // Ours, all of them: a poll that meets one of these records may write the same `cancelled`
      // first (#completeHandOut), so the update's own count can fall short.
      await this.#tasks.updateMany({ jobId, node: { $in: ours }, status: 'queued' }, { $set: { status: 'cancelled', updatedAt: now } });
      cancelled += ours.length;
    }
    // A record that another cancel holds is that cancel's task, not a claim's.
    if (claimed.length > 0) {
      const cancels = await this.#handOuts
        .find({ _id: { $in: claimed.map((key) => `${jobId.toHexString()}:${key}`) }, cancel: true }, { projection: { node: 1 } })
        .map((record) => record.node)
        .toArray();
      const byCancel = new Set(cancels);
      return { cancelled, claimed: claimed.filter((key) => !byCancel.has(key)) };
    }
    return { cancelled, claimed };
  }

  /** Waits until none of these tasks of the job is queued any more, for at most CLAIM_SETTLE_MS. */
  async #waitWhileQueued(jobId: ObjectId, nodes: string[]): Promise<void> {
    const deadline = Date.now() + CLAIM_SETTLE_MS;
    let waiting = nodes;
    for (;;) {
      waiting = await this.#tasks
        .find({ jobId, node: { $in: waiting }, status: 'queued' }, { projection: { _id: 0, node: 1 } })
        .map((task) => task.node)
        .toArray();
      if (waiting.length === 0 || Date.now() > deadline) return;
      await sleep(20);
    }
  }

  /**
   * A claim that holds the task's record but found the job stopped: it records the cancel on the
   * record first, then cancels the task, so that a poll completing the record (#completeHandOut)
   * reads which it is.
   */
  async #cancelOwnHandOut(node: NodeRef, jobId: ObjectId, claim: string, now: Date): Promise<void> {
    await this.#handOuts.updateOne({ _id: handOutId(node, jobId), claim }, { $set: { cancel: true } });
    await this.#tasks.updateOne(
      { node: nodeKey(node), jobId, status: { $in: ['queued', 'pending'] } },
      { $set: { status: 'cancelled', updatedAt: now }, $unset: { leaseExpiresAt: '' } },
    );
  }

  /**
   * The task's record was written by someone else. Should its writer have stopped (crashed, lost
   * the database) before writing the task, write it now as the record says: a claim's task is
   * pending, with the lease its hand-out gave it, so that a hand-out no node received ends visibly
   * as timed_out rather than staying queued; a cancel's task is cancelled. The record is read
   * again after a `pending` write: a claim that turned its record into a cancel meanwhile wrote
   * `cancelled` before or after ours (FerretDB may apply both), and the cancel must stand.
   */
  async #completeHandOut(node: NodeRef, jobId: ObjectId, now: Date): Promise<void> {
    const key = nodeKey(node);
    const handOut = await this.#handOuts.findOne({ _id: handOutId(node, jobId) });
    if (!handOut) return;
    const cancelTask = () =>
      this.#tasks.updateOne(
        { node: key, jobId, status: { $in: ['queued', 'pending'] } },
        { $set: { status: 'cancelled', updatedAt: now }, $unset: { leaseExpiresAt: '' } },
      );
    if (handOut.cancel) {
      await cancelTask();
      return;
    }
    const handedOutAt = handOut.at;
    const { modifiedCount } = await this.#tasks.updateOne(
      { node: key, jobId, status: 'queued' },
      { $set: { status: 'pending', updatedAt: handedOutAt, leaseExpiresAt: leaseAtHandOut(handedOutAt, this.#leasePolicy) } },
    );
    if (modifiedCount === 1 && (await this.#handOuts.findOne({ _id: handOutId(node, jobId) }))?.cancel) await cancelTask();
  }

  /**
   * The plain `insert` command, unordered, in batches: `insertMany` would wrap a lost connection
   * in a bulk write error that no longer says the database went away.
   */
  async #insertTasks(tasks: TaskDocument[]): Promise<void> {
    let next = 0;
    const insertBatches = async () => {
      while (next < tasks.length) {
        const batch = tasks.slice(next, next + TASK_BATCH_SIZE);
        next += batch.length;
        const answer = await this.#db.command({ insert: TASKS_COLLECTION, documents: batch, ordered: false });
        const writeErrors = (answer.writeErrors ?? []) as Array<{ code?: number; errmsg?: string }>;
        if (writeErrors.length > 0) {
          const [first] = writeErrors;
          throw new Error(`${writeErrors.length} tasks were not stored, the first: ${first?.errmsg} (code ${first?.code})`);
        }
      }
    };
    await Promise.all(Array.from({ length: TASK_BATCHES_IN_FLIGHT }, insertBatches));
  }

  async #findJob(id: string): Promise<JobDocument | null> {
    if (!isJobId(id)) return null;
    return this.#jobs.findOne({ _id: ObjectId.createFromHexString(id) });
  }

  /**
   * Counts by stored status, then those of the handed-out ones whose lease has ended, and of
   * those the ones asked to stop: three small aggregates that FerretDB runs as well as MongoDB.
   */
  async #countsOf(job: JobDocument, now: Date): Promise<StatusCounts> {
    const countBy = async (match: Filter<TaskDocument>) => {
      const counts = new Map<TaskStatus, number>();
      const groups = this.#tasks.aggregate<{ _id: TaskStatus; count: number }>([
        { $match: match },
        { $group: { _id: '$status', count: { $sum: 1 } } },
      ]);
      for await (const group of groups) counts.set(group._id, group.count);
      return counts;
    };
    const ended: Filter<TaskDocument> = { jobId: job._id, status: { $in: ['pending', 'running'] }, leaseExpiresAt: { $lt: now } };
    const [all, leaseEnded, stopped] = await Promise.all([
      countBy({ jobId: job._id }),
      countBy(ended),
      countBy({ ...ended, stopRequested: true }),
    ]);
    const groups: StoredCount[] = [];
    for (const [status, count] of all) {
      const endedCount = leaseEnded.get(status) ?? 0;
      const stoppedCount = stopped.get(status) ?? 0;
      groups.push(
        { status, leaseEnded: false, stopRequested: false, count: count - endedCount },
        { status, leaseEnded: true, stopRequested: false, count: endedCount - stoppedCount },
        { status, leaseEnded: true, stopRequested: true, count: stoppedCount },
      );
    }
    return effectiveCounts(groups, job.windowEnd, now);
  }

  /** Tasks handed out before leases existed get one now, so that none can stay handed out for ever. */
  async #leaseUnleasedTasks(now: Date): Promise<void> {
    for (const status of ['pending', 'running'] as const) {
      await this.#tasks.updateMany(
        { status, leaseExpiresAt: { $exists: false } },
        { $set: { leaseExpiresAt: leaseForUnleasedTask(status, now, this.#leasePolicy) } },
      );
    }
  }

  async #summaryOf(found: JobDocument, now: Date): Promise<JobSummary> {
    const { job, counts } = await this.#stopIfFailed(found, now);
    return {
      id: job._id.toHexString(),
      task: taskOf(job),
      createdAt: job.createdAt,
      nodeCount: job.nodeCount,
      summary: counts,
      ...attributesOf(job),
      ...targetsOf(job),
      ...attributionOf(job),
    };
  }

  /**
   * A job with max_errors whose failures exceed it at `now` stops: the first call to notice
   * records why (a concurrent one may record the same a moment later; the last write stays) and
   * cancels its queued tasks. Answers the job as it now is, with its counts.
   */
  async #stopIfFailed(
    job: JobDocument,
    now: Date,
    known?: StatusCounts,
  ): Promise<{ job: JobDocument; counts: StatusCounts }> {
    if (job.stopped || job.errorLimit === undefined) return { job, counts: known ?? (await this.#countsOf(job, now)) };
    const counts = known ?? (await this.#countsOf(job, now));
    if (job.stopped || !failuresExceed(failuresOf(counts), job.errorLimit)) return { job, counts };
    const stopped: JobStop = {
      reason: stopReason(failuresOf(counts), job.maxErrors as RateLimit, job.errorLimit as number),
      at: now,
    };
    await this.#jobs.updateOne({ _id: job._id, stopped: { $exists: false } }, { $set: { stopped } });
    // Tasks a claim holds the record of are left to it: it counts after its record, sees the
    // stop, and cancels its task itself.
    await this.#cancelQueued(job._id, now);
    const current = (await this.#jobs.findOne({ _id: job._id }, { projection: { spec: 0 } })) ?? { ...job, stopped };
    if (job.spec !== undefined) current.spec = job.spec;
    return { job: current, counts: await this.#countsOf(current, now) };
  }

  /**
   * Takes one of the job's `limit` concurrency slots for `holder`'s task, or answers undefined
   * when all are held. Exact without transactions: slot `k` is a series of documents
   * `<job>:<k>:<generation>`, and taking it is inserting its next generation, which one insert
   * only can do. A generation is taken only when the one before it is free (rate-control.ts:
   * its holder's task finished, or its lease ended more than the margin ago, or it was released);
   * generations are never deleted, so a slow process cannot take one that another already took.
   * Before reading slots, one count of the job's live tasks turns a full job away cheaply.
   */
  async #takeSlot(job: JobDocument, limit: number, holder: string, now: Date): Promise<SlotDocument | undefined> {
    const live = await this.#tasks.countDocuments({
      jobId: job._id,
      status: { $in: ['pending', 'running'] },
      leaseExpiresAt: { $gte: new Date(now.getTime() - SLOT_RECLAIM_MARGIN_MS) },
    });
    if (live >= limit) return undefined;
    for (let attempt = 0; attempt < SLOT_ATTEMPTS; attempt++) {
      const current = new Map<number, SlotDocument>();
      for await (const slot of this.#slots.find({ jobId: job._id, superseded: { $ne: true } })) {
        const seen = current.get(slot.slot);
        if (!seen || seen.generation < slot.generation) current.set(slot.slot, slot);
      }
      const holders = [...current.values()].filter((slot) => !slot.released).map((slot) => slot.node);
      const tasks = new Map<string, TaskDocument>();
      if (holders.length > 0) {
        const found = this.#tasks.find(
          { jobId: job._id, node: { $in: holders } },
          { projection: { _id: 0, node: 1, status: 1, leaseExpiresAt: 1 } },
        );
        for await (const task of found) tasks.set(task.node, task);
      }
      const free: Array<{ slot: number; generation: number; previous?: SlotDocument }> = [];
      for (let slot = 0; slot < limit; slot++) {
        const taken = current.get(slot);
        if (!taken) free.push({ slot, generation: 0 });
        else if (taken.released || slotIsFree(tasks.get(taken.node), taken.at, now, deliveryGraceOf(this.#leasePolicy))) {
          free.push({ slot, generation: taken.generation + 1, previous: taken });
        }
      }
      if (free.length === 0) return undefined;
      // A random free slot: concurrent polls then rarely race for the same one.
      const choice = free[Math.floor(Math.random() * free.length)] as (typeof free)[number];
      const document: SlotDocument = {
        _id: `${job._id.toHexString()}:${choice.slot}:${choice.generation}`,
        jobId: job._id,
        slot: choice.slot,
        generation: choice.generation,
        node: holder,
        at: now,
      };
      try {
        await this.#slots.insertOne(document);
      } catch (error) {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) continue;
        throw error;
      }
      // Only to keep the next reads small: a reader that still sees it takes the latest generation.
      if (choice.previous) await this.#slots.updateOne({ _id: choice.previous._id }, { $set: { superseded: true } });
      return document;
    }
    return undefined;
  }

  /** The hand-out this slot was taken for did not happen: the slot is free again. */
  async #releaseSlot(slot: SlotDocument): Promise<void> {
    await this.#slots.updateOne({ _id: slot._id }, { $set: { released: true } });
  }
}

function attributesOf(job: JobDocument): JobAttributes {
  const attributes: JobAttributes = {};
  if (job.name !== undefined) attributes.name = job.name;
  if (job.maxConcurrency !== undefined) attributes.maxConcurrency = job.maxConcurrency;
  if (job.maxErrors !== undefined) attributes.maxErrors = job.maxErrors;
  if (job.stopped) attributes.stopped = { reason: job.stopped.reason, at: job.stopped.at };
  if (job.rerunOf !== undefined) attributes.rerunOf = job.rerunOf;
  return attributes;
}

function attributionOf(job: Pick<JobDocument, 'createdBy' | 'cancelledBy'>): JobAttribution {
  const attribution: JobAttribution = {};
  if (job.createdBy !== undefined) attribution.createdBy = job.createdBy;
  if (job.cancelledBy !== undefined) attribution.cancelledBy = job.cancelledBy;
  return attribution;
}

/** Stored counts by status, split by the given groups of ended leases, as effectiveCounts takes them. */
function withEndedLeases(byStatus: StatusCounts, ended: StoredCount[]): StoredCount[] {
  const groups: StoredCount[] = [];
  for (const [status, count] of Object.entries(byStatus) as Array<[TaskStatus, number]>) {
    const endedCount = ended.filter((group) => group.status === status).reduce((sum, group) => sum + group.count, 0);
    groups.push({ status, leaseEnded: false, stopRequested: false, count: count - endedCount });
  }
  return [...groups, ...ended];
}

/** The stored condition as a MongoDB filter. */
function filterOf(condition: StoredCondition, now: Date): Filter<TaskDocument> {
  const filter: Filter<TaskDocument> = { status: condition.status };
  if (condition.lease !== undefined) filter.leaseExpiresAt = condition.lease === 'live' ? { $gte: now } : { $lt: now };
  if (condition.stopRequested !== undefined) filter.stopRequested = condition.stopRequested ? true : { $ne: true };
  return filter;
}

/**
 * A filter on one value or any of several: FerretDB runs an equality in its backend's SQL but an
 * `$in` only after reading every document of the collection, so a single value stays an equality.
 */
function oneOrAny(values: string[]): string | { $in: string[] } {
  return values.length === 1 ? (values[0] as string) : { $in: values };
}

function handOutId(node: NodeRef, jobId: ObjectId): string {
  return `${jobId.toHexString()}:${nodeKey(node)}`;
}

/** A node as the tasks collection keys it; names never contain `/`. */
function nodeKey(node: NodeRef): string {
  return `${node.org}/${node.name}`;
}

function targetsOf(job: JobDocument): { targets?: NodeSelector } {
  return job.targets === undefined ? {} : { targets: selectorOf(job.targets) };
}

/** The selector as a filter on the check-ins collection (see Store.selectNodes). */
function selectionFilter(selector: NodeSelector, now: Date): Filter<CheckInDocument> {
  const conditions: Filter<CheckInDocument>[] = [];
  if (selector.org !== undefined) conditions.push({ org: selector.org });
  if (selector.namePattern !== undefined) conditions.push({ name: { $regex: namePatternRegExp(selector.namePattern) } });
  const since = seenSince(selector, now);
  if (since !== undefined) conditions.push({ lastCheckIn: { $gte: since } });
  if (selector.os !== undefined) conditions.push({ $or: [{ os: selector.os }, { platform: selector.os }] });
  if (selector.osVersion !== undefined) conditions.push({ osVersion: selector.osVersion });
  if (selector.arch !== undefined) conditions.push({ arch: selector.arch });
  if (selector.tagsAll.length > 0) conditions.push({ tags: { $all: selector.tagsAll } });
  if (selector.tagsAny.length > 0) conditions.push({ tags: { $in: selector.tagsAny } });
  const pairs = attributePairs(selector.attributes);
  if (pairs.length > 0) conditions.push({ attributePairs: { $all: pairs } });
  return conditions.length === 0 ? {} : { $and: conditions };
}

function nodeKeyDocument(key: NodeKey): NodeKeyDocument {
  return {
    _id: nodeKey(key.node),
    org: key.node.org,
    name: key.node.name,
    publicKey: key.publicKey,
    source: key.source,
    createdAt: key.createdAt,
  };
}

function nodeKeyOf(doc: NodeKeyDocument): NodeKey {
  return { node: { org: doc.org, name: doc.name }, publicKey: doc.publicKey, source: doc.source, createdAt: doc.createdAt };
}

function taskOf(job: JobDocument): TaskDefinition {
  const task: TaskDefinition = {
    windowStart: job.windowStart,
    windowEnd: job.windowEnd,
    provider: job.provider,
    spec: JSON.parse(job.spec) as unknown,
  };
  if (job.timeout !== undefined) task.timeout = job.timeout;
  return task;
}

/** A result with exactly its fields: the driver would write an undefined one as null. */
function resultOf(result: TaskResult): TaskResult {
  const copy: TaskResult = { exitCode: result.exitCode, reason: result.reason };
  if (result.output !== undefined && result.output !== null) copy.output = result.output;
  return copy;
}

/** Nodes after `[org, name]` in (org, name) order. */
function afterNode<T extends { org: string; name: string }>([org, name]: NodePair): Filter<T> {
  return { $or: [{ org: { $gt: org } }, { org, name: { $gt: name } }] } as Filter<T>;
}

/** UNFINISHED_STORED_STATES as a filter on tasks, each with its own window. */
function unfinishedTaskFilter(now: Date): Filter<TaskDocument> {
  return {
    $or: UNFINISHED_STORED_STATES.map((state) => ({
      status: state.status,
      ...(state.windowOpen ? { windowEnd: { $gte: now } } : {}),
      // `null` matches an absent lease too: a handed-out task without one never ends by it.
      ...(state.leaseNotEnded ? { $or: [{ leaseExpiresAt: null }, { leaseExpiresAt: { $gte: now } }] } : {}),
    })),
  } as Filter<TaskDocument>;
}

/** The text as a regular expression matching it literally. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function parseIndexCursor(cursor: string): number {
  if (!/^\d{1,9}$/.test(cursor)) throw new InvalidCursorError();
  return Number(cursor);
}

function parseJobFeedCursor(text: string): JobFeedCursor {
  try {
    const cursor = JSON.parse(text) as Partial<JobFeedCursor>;
    if (typeof cursor.since === 'number' && Array.isArray(cursor.seen) && cursor.seen.every((id) => typeof id === 'string')) {
      return { since: cursor.since, seen: cursor.seen };
    }
  } catch {
    // Answered below.
  }
  throw new InvalidCursorError();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a batch of upserts of per-node documents. Two processes upserting the same new node race to
 * insert it and one loses with a duplicate key; the document exists then, so the same batch applies
 * cleanly as updates the second time.
 */
async function upsertNodeDocuments(upserts: () => Promise<unknown>): Promise<void> {
  try {
    await upserts();
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    await upserts();
  }
}
