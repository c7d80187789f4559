// The one interface every storage driver implements: domain operations only. No connection,
// transaction or query language appears here, and each operation is a single atomic step, so
// that a driver without multi-document transactions (Cosmos DB's MongoDB API) fits unchanged.

import type { JobOptions, NewJob, NodeRef, TaskDefinition } from '../wire/job-request.js';
import type { NodeFacts } from '../wire/node-facts.js';
import type { NodeSelector } from '../wire/node-selector.js';
import type { StatusReport, TaskResult } from '../wire/status-report.js';
import type { StatusCounts, TaskStatus } from '../wire/task-status.js';

/** Who acted on a job: names of admin keys. Absent when unknown (e.g. jobs stored before names). */
export interface JobAttribution {
  /** The admin key that created the job (`NewJob.createdBy`). */
  createdBy?: string;
  /** The admin key of the latest cancel of the job. */
  cancelledBy?: string;
}

/** Why and when a job stopped handing out tasks: its failures exceeded `max_errors`. */
export interface JobStop {
  reason: string;
  at: Date;
}

/** What every job answer carries beside its task, when set. */
export interface JobAttributes extends JobOptions {
  stopped?: JobStop;
  rerunOf?: string;
}

export interface Job extends JobAttributes, JobAttribution {
  id: string;
  task: TaskDefinition;
  nodes: NodeRef[];
  createdAt: Date;
  /** The selector the job was created with, if any (its nodes were resolved from it once). */
  targets?: NodeSelector;
}

export interface JobWithSummary {
  job: Job;
  summary: StatusCounts;
}

export interface JobSummary extends JobAttributes, JobAttribution {
  id: string;
  task: TaskDefinition;
  createdAt: Date;
  nodeCount: number;
  summary: StatusCounts;
  targets?: NodeSelector;
}

/**
 * A job's task as jobs are listed: the spec only when its JSON text is at most
 * LISTED_SPEC_MAX_BYTES (src/wire/spec-limits.ts); a larger one is left out and `specOmitted` set,
 * so that a page of jobs never carries (nor reads from the database) megabytes of specs.
 */
export type ListedTask = Omit<TaskDefinition, 'spec'> & ({ spec: unknown; specOmitted?: never } | { specOmitted: true });

/** A job as jobs are listed: no node list, which can be 100,000 long, and only a small spec. */
export interface JobListEntry extends JobAttributes, JobAttribution {
  id: string;
  task: ListedTask;
  createdAt: Date;
  nodeCount: number;
  summary: StatusCounts;
  targets?: NodeSelector;
}

export interface NodeTaskStatus {
  jobId: string;
  node: NodeRef;
  status: TaskStatus;
  lastUpdated: Date;
  result?: TaskResult;
}

export interface Page<T> {
  items: T[];
  /** Present when there is more: pass it back as `cursor` for the next page. */
  nextCursor?: string;
}

export interface TaskStatusQuery {
  status?: TaskStatus;
  /**
   * Only nodes whose `org/name` contains this text, ignoring ASCII case (the page's name search).
   * Matched literally: `%`, `_`, `.` or `*` are not wildcards.
   */
  nodeContains?: string;
  /** Absent: every status of the job, as the seed answered. */
  limit?: number;
  cursor?: string;
}

export interface JobListQuery {
  limit: number;
  cursor?: string;
  /**
   * `active`: some task is queued, pending or running at `now`; `finished`: none is. Decided from
   * each job's counts, so a filtered page may examine more jobs than it answers; it examines at
   * most JOB_STATE_SCAN_LIMIT and then ends early, with a `nextCursor` to go on from.
   */
  state?: 'active' | 'finished';
  /** Exactly this provider. */
  provider?: string;
  /** Jobs whose name contains this text, ignoring case, literally. */
  nameContains?: string;
}

/** The most jobs one filtered job-list page examines. */
export const JOB_STATE_SCAN_LIMIT = 2_000;

/** One node's latest poll, as the server gathered it in memory between two flushes. */
export interface NodeCheckIn {
  node: NodeRef;
  at: Date;
}

export interface NodeListQuery {
  limit: number;
  /**
   * `org/name`: the listing continues with the nodes after it in (org, name) order, whether or
   * not such a node exists. A page's `nextCursor` is its last node's `org/name`. Anything that is
   * not two valid node parts joined by `/` throws InvalidCursorError.
   */
  cursor?: string;
  /** Only the nodes this selector picks (see `selectNodes`): nodes that polled or reported facts. */
  selector?: NodeSelector;
  /** Only nodes whose `org/name` contains this text, ignoring ASCII case, matched literally. */
  nameContains?: string;
  /** Only nodes that never polled nor reported facts (known only because a job targets them). */
  neverSeen?: boolean;
  /**
   * Only nodes with an unfinished task at `now` (`hasUnfinishedTask` in task-expiry.ts): queued
   * with its window still open, or pending or running with a lease that has not ended.
   */
  unfinished?: boolean;
}

/** One node's report of its facts. */
export interface NodeFactsReport {
  node: NodeRef;
  facts: NodeFacts;
  at: Date;
}

/** A node's facts as last reported, and when. */
export interface StoredNodeFacts extends NodeFacts {
  reportedAt: Date;
}

export interface NodeSelectionQuery {
  limit: number;
  /** As in NodeListQuery: `org/name` of the last node of the previous page. */
  cursor?: string;
}

/** A node as operators see it: when it last polled, and how its tasks stand. */
export interface NodeOverview {
  node: NodeRef;
  /** Absent when the node was targeted but has never polled (as far as flushed check-ins say). */
  lastCheckIn?: Date;
  /** Its tasks across every job, by status at `now` (queued tasks past their window count as expired). */
  tasks: StatusCounts;
  /** Absent when the node never reported facts (the original Go client does not). */
  facts?: StoredNodeFacts;
}

/** A queued task's node and window: what the due index of a server process keeps, per node. */
export interface QueuedWindow {
  node: NodeRef;
  windowStart: Date;
  windowEnd: Date;
}

/** A job as the job feed announces it: enough to find which of its nodes have work due. */
export interface FedJob {
  id: string;
  windowStart: Date;
  windowEnd: Date;
}

export interface JobFeedPage {
  /** Jobs stored since the cursor was made, each announced once per cursor chain. */
  jobs: FedJob[];
  /** Pass it to the next `readJobFeed`. Opaque; only the driver that made it reads it. */
  cursor: string;
}

export interface ClaimedTask {
  jobId: string;
  task: TaskDefinition;
}

/** An entry of `claimNextTasks` that failed, and handed nothing out. */
export interface ClaimFailure {
  error: unknown;
}

/** What `claimNextTasks` answers for one node: its task, nothing, or why that entry failed. */
export type ClaimAnswer = ClaimedTask | undefined | ClaimFailure;

export function isClaimFailure(answer: ClaimAnswer): answer is ClaimFailure {
  return answer !== undefined && 'error' in answer;
}

export type ReportOutcome =
  /** `stopRequested`: an administrator asked to stop this task; the node is told so in the answer. */
  | { kind: 'updated'; stopRequested: boolean }
  | { kind: 'not_targeted' }
  | { kind: 'final'; status: TaskStatus }
  /** A `cancelled` report for a task whose stop nobody requested. */
  | { kind: 'cancel_not_requested' };

export interface CancelOutcome {
  /** Tasks that were still queued and are now cancelled. */
  cancelled: number;
  /** Handed-out tasks (pending or running at `now`) that this call asked to stop. */
  stopping: number;
  summary: StatusCounts;
  /** False when a node was named and the job does not target it: nothing changed. */
  nodeTargeted: boolean;
}

/**
 * A node's own public key, which the server verifies the node's signed requests with (node-keys
 * mode). At most one per `org/name`.
 */
export interface NodeKey {
  node: NodeRef;
  /**
   * The RSA public key as SPKI PEM, normalized by the caller (`normalizePublicKeyPem`): two
   * equal keys have equal text, so drivers compare keys as text.
   */
  publicKey: string;
  /** How it came: the node enrolled it with the enrollment secret, or an administrator set it. */
  source: NodeKeySource;
  createdAt: Date;
}

export type NodeKeySource = 'enrollment' | 'admin';

export type ForgetOutcome =
  /**
   * `finishedTasks`: the node's tasks that no longer count in the node list (their jobs keep
   * them); `lastCheckIn`: the check-in removed, if it had one; `keyKept`: it has a key, which
   * forgetting leaves in place (`resetNodeKey` removes it).
   */
  | { kind: 'forgotten'; finishedTasks: number; lastCheckIn?: Date; keyKept: boolean }
  /** The node list does not show it: nothing changed. */
  | { kind: 'unknown' }
  /** It has tasks queued, pending or running at `now`: nothing changed. */
  | { kind: 'busy'; unfinished: number }
  /** Pruning: it polled, or one of its tasks was created or changed, at or after `idleSince`: nothing changed. */
  | { kind: 'active' };

export type EnrollOutcome =
  /** No key was stored for the node: this one is now. */
  | { kind: 'enrolled' }
  /** The very same key was already stored: nothing changed. */
  | { kind: 'unchanged' }
  /** Another key is stored for the node: nothing changed (an administrator must reset it first). */
  | { kind: 'conflict' };

export interface Store {
  /** Stores the job and one `queued` task per node, all or nothing; answers the new job's id. */
  createJob(job: NewJob, now: Date): Promise<string>;
  /** The job with its nodes and per-status counts; undefined for an unknown or malformed id. */
  getJob(id: string, now: Date): Promise<JobWithSummary | undefined>;
  /** The job's task and per-status counts without its nodes: cheap for a job of any size. */
  getJobSummary(id: string, now: Date): Promise<JobSummary | undefined>;
  /** Statuses of the job's tasks in the order of its nodes; undefined for an unknown job. */
  listTaskStatuses(jobId: string, query: TaskStatusQuery, now: Date): Promise<Page<NodeTaskStatus> | undefined>;
  /**
   * Jobs, newest first. The database work is bounded by the page, not by the jobs on it: the
   * counts of every job of a page come from one query (never one query per job), and specs larger
   * than LISTED_SPEC_MAX_BYTES are not read.
   */
  listJobs(query: JobListQuery, now: Date): Promise<Page<JobListEntry>>;
  /**
   * How many of the job's targeted nodes have no check-in (see recordCheckIns; recordNodeFacts
   * writes one too, forgetNode removes it, so a forgotten node counts again); undefined for an
   * unknown job. Only the job's tasks still queued or cancelled count: a handed-out task's node
   * polled. The answer reflects the check-ins as they are now, not as they were when the job was
   * created. A summary reads it on every refresh. SQLite keeps the answer on each task (migration
   * 9) and counts an index of the tasks that count; MongoDB looks the nodes up, 1,000 a query, or
   * reads every check-in's id once when they are not many more than the nodes (see its driver for
   * why it keeps no such flag).
   */
  countNeverCheckedIn(jobId: string): Promise<number | undefined>;
  /**
   * Hands out the node's queued task whose window contains `now` with the earliest window start,
   * marking it `pending` with a lease of `leaseAtHandOut(now, policy)` (task-lease.ts). A task is
   * handed out at most once, whatever the concurrency. An empty poll must not write.
   *
   * Rate control (rate-control.ts): a task of a job with `maxConcurrency` is handed out only while
   * fewer of the job's tasks than its limit are pending or running, exactly, whatever the number
   * of server processes; a task waiting for a slot stays queued, and the node gets its next task
   * or none, without a write. A job with `maxErrors` whose failures exceed it hands nothing more
   * out: the poll that notices records `stopped` and cancels its queued tasks (as does the report
   * or read that notices first). Exactly: no task is handed out after the failure report that
   * crosses the limit (that report writes the stop in the same atomic step, or every hand-out
   * decides after an atomic step of its own that orders it before or after that report).
   */
  claimNextTask(node: NodeRef, now: Date): Promise<ClaimedTask | undefined>;
  /**
   * `claimNextTask` for each node, in order, answering one entry per node (the same node may come
   * twice: each entry takes the next task). A driver may do the batch in one step: the embedded
   * store claims it in one transaction, so that 10,000 nodes woken by one job cost one disk sync,
   * not 10,000. Every entry keeps `claimNextTask`'s guarantees.
   *
   * A driver that claims entry by entry answers an entry that failed (the database unavailable
   * for it) as a `ClaimFailure`, having handed nothing out for it, and the others as they went:
   * one failure never takes away a task another entry was handed, which its caller then could
   * not deliver. A driver that claims the batch atomically may reject the whole call instead,
   * having handed nothing out.
   */
  claimNextTasks(nodes: NodeRef[], now: Date): Promise<ClaimAnswer[]>;
  /**
   * The earliest window start among the node's queued tasks whose window has not ended at `now`
   * (it may lie in the past: a task due but not claimable now), or undefined when it has none.
   * Tasks of a job still being created may count: answering too early is allowed, too late never.
   * Reads only.
   */
  earliestQueuedWindow(node: NodeRef, now: Date): Promise<Date | undefined>;
  /**
   * Every queued task whose window has not ended at `now`, streamed (the caller keeps what it
   * needs, one entry per node): how a server process learns, at start-up, which nodes have work
   * due and from when. Order is unspecified; tasks of a job still being created may be included.
   */
  queuedWindows(now: Date): AsyncIterable<QueuedWindow>;
  /**
   * The job feed: how a server process learns of jobs created by other processes sharing the
   * database, without change streams (Cosmos DB's RU-based API and FerretDB have none). A cursor
   * made by `jobFeedCursor` stands at the store's present: the first `readJobFeed` with it answers
   * the jobs stored after that call began (and may answer a few stored shortly before: a reader
   * must accept a job twice across two cursors, never miss one). Each read costs the number of
   * jobs it answers (plus, on MongoDB, the headers of the jobs of the last 30 s: see its driver), never the fleet.
   * A job appears once its job document is stored, so never before its tasks.
   */
  jobFeedCursor(now: Date): Promise<string>;
  readJobFeed(cursor: string, now: Date): Promise<JobFeedPage>;
  /** The nodes of the job whose task is queued with a window not ended at `now`, streamed. */
  queuedNodesOfJob(jobId: string, now: Date): AsyncIterable<NodeRef>;
  /**
   * Records a node's report on one of its tasks, with the lease `leaseAfterReport` gives, unless
   * the task was never targeted, or is final at `now` (task-expiry.ts). Two exceptions to "final":
   * a task that ended by its lease (`timed_out`, or `cancelled` after a stop request) takes a late
   * `success` or `failed` (the node's own word wins; a late `running` or `pending` does not reopen
   * it), and a `cancelled` report is taken only for a task whose stop was requested
   * (`cancel_not_requested` otherwise, whatever its status).
   */
  reportStatus(node: NodeRef, report: StatusReport, now: Date): Promise<ReportOutcome>;
  /**
   * Cancels the job's tasks that no node has picked up yet, and asks the nodes of its handed-out
   * tasks (pending or running at `now`) to stop them: the answer to their next report says so,
   * and a stop-requested task whose lease then ends reads `cancelled`. With `node`, only that
   * node's task. Undefined for an unknown job. With `cancelledBy` (an admin key's name), the job
   * records it as its `cancelledBy`: the latest cancel's name wins. Against concurrent claims (and
   * likewise a `maxErrors` stop), each task ends either handed out (and asked to stop) or
   * cancelled, never both: `cancelled` + `stopping` counts each task once.
   */
  cancelJob(id: string, now: Date, node?: NodeRef, cancelledBy?: string): Promise<CancelOutcome | undefined>;
  /**
   * Remembers when nodes last polled. Called with a batch gathered in memory (one entry per node,
   * a few seconds' worth), never once per poll. Keeps the later of the stored and the given time
   * for each node, so batches from several server processes may arrive in any order. Nodes that
   * no job targets are recorded too. One atomic step per batch is not required: each node's
   * update stands alone.
   */
  recordCheckIns(checkIns: NodeCheckIn[]): Promise<void>;
  /**
   * Every node known to the store, that is targeted by any job or recorded by `recordCheckIns`,
   * ordered by org then name (byte order; names are ASCII), one page at a time, each with its last
   * check-in and its task counts. A page costs its own length, not the fleet's size, however many
   * forgotten tasks there are. Tasks forgotten by `forgetNode` neither make a node known nor count.
   * The query's filters all hold for every node answered (`neverSeen` with a `selector` answers
   * none). A filtered page may read past non-matching nodes, up to the whole fleet for a rare match.
   */
  listNodes(query: NodeListQuery, now: Date): Promise<Page<NodeOverview>>;
  /**
   * Forgets a node, as `decideForget` (node-forgetting.ts) decides from its tasks not yet
   * forgotten, their latest change and its check-in: its tasks, all finished at `now`, are marked
   * forgotten (they stay in their jobs, unchanged, and job reads still name the node), and its
   * check-in is removed, and its facts with it (`recordNodeFacts`). Its key stays. A task created or handed out meanwhile is never marked, so
   * a node never leaves the list with an unfinished task, on every driver: the node is listed again
   * as soon as a new job targets it or it polls again (the check-in removed is only the one read:
   * a later one stays). With `idleSince` (pruning), only a node idle since then is forgotten.
   */
  forgetNode(node: NodeRef, now: Date, idleSince?: Date): Promise<ForgetOutcome>;
  /**
   * Stores each node's facts, replacing what it reported before (a report carries the full set;
   * the last one written wins). A report counts as a check-in at its time, as `recordCheckIns`
   * would record it (the later time is kept), so a node that reported facts is a known node.
   */
  recordNodeFacts(reports: NodeFactsReport[]): Promise<void>;
  /**
   * The nodes a selector picks, in (org, name) order, a page at a time. It picks among the nodes
   * that polled or reported facts (`recordCheckIns`, `recordNodeFacts`); a node only targeted by
   * jobs is not a candidate. Every criterion given must hold:
   * - `org` equal; `namePattern` a glob over the name (`*` any run, `?` one character, case-sensitive);
   * - `tagsAll`: every tag reported; `tagsAny`: at least one of them reported;
   * - `attributes`: each key reported with exactly that value;
   * - `os` equal to the reported `os` or `platform`; `osVersion`, `arch` equal to the reported ones;
   * - `seenWithin`: the last check-in at or after `now` minus the duration.
   * A node that never reported facts matches no fact criterion (tags, attributes, os, version, arch).
   * Comparisons are exact (case-sensitive). Resolving over 100,000 nodes must stay well under a second
   * on the embedded store: drivers answer from indexes or one scan, never a query per node.
   */
  selectNodes(selector: NodeSelector, query: NodeSelectionQuery, now: Date): Promise<Page<NodeRef>>;
  /** How many nodes `selectNodes` would answer over all its pages. */
  countNodes(selector: NodeSelector, now: Date): Promise<number>;
  /** The node's stored key; undefined when it has none. A read only. */
  getNodeKey(node: NodeRef): Promise<NodeKey | undefined>;
  /**
   * Stores the key when the node has none: the first key enrolled for an `org/name` wins, decided
   * by one atomic insert on the node's unique key, so that of two concurrent enrollments with
   * different keys exactly one is `enrolled` and the other a `conflict`, on every driver. The same
   * key again is `unchanged`, whoever stored it first.
   */
  enrollNodeKey(key: NodeKey): Promise<EnrollOutcome>;
  /** An administrator's registration: stores the key, replacing any key the node had. */
  setNodeKey(key: NodeKey): Promise<void>;
  /** Removes the node's key, so that it may enroll again; false when it had none. */
  resetNodeKey(node: NodeRef): Promise<boolean>;
  /** Throws when the store cannot serve requests. */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a driver for a cursor it did not make. */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

/**
 * Thrown by a driver when its database cannot be reached or did not answer in time. The server
 * answers 503 with a JSON message and keeps running; the driver recovers when the database returns.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
