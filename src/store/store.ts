// The one interface every storage driver implements: domain operations only. No connection,
// transaction or query language appears here, and each operation is a single atomic step, so
// that a driver without multi-document transactions (Cosmos DB's MongoDB API) fits unchanged.

import type { NewJob, NodeRef, TaskDefinition } from '../wire/job-request.js';
import type { StatusReport, TaskResult } from '../wire/status-report.js';
import type { StatusCounts, TaskStatus } from '../wire/task-status.js';

export interface Job {
  id: string;
  task: TaskDefinition;
  nodes: NodeRef[];
  createdAt: Date;
}

export interface JobWithSummary {
  job: Job;
  summary: StatusCounts;
}

export interface JobSummary {
  id: string;
  task: TaskDefinition;
  createdAt: Date;
  nodeCount: number;
  summary: StatusCounts;
}

/** A job as jobs are listed: no node list, which can be 100,000 long. */
export type JobListEntry = JobSummary;

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
  /** Absent: every status of the job, as the seed answered. */
  limit?: number;
  cursor?: string;
}

export interface JobListQuery {
  limit: number;
  cursor?: string;
}

export interface ClaimedTask {
  jobId: string;
  task: TaskDefinition;
}

export type ReportOutcome =
  | { kind: 'updated' }
  | { kind: 'not_targeted' }
  | { kind: 'final'; status: TaskStatus };

export interface CancelOutcome {
  /** Tasks that were still queued and are now cancelled. */
  cancelled: number;
  summary: StatusCounts;
}

export interface Store {
  /** Stores the job and one `queued` task per node, all or nothing; answers the new job's id. */
  createJob(job: NewJob, now: Date): Promise<string>;
  /** The job with its nodes and per-status counts; undefined for an unknown or malformed id. */
  getJob(id: string, now: Date): Promise<JobWithSummary | undefined>;
  /** The job's task and per-status counts without its nodes: cheap for a job of any size. */
  getJobSummary(id: string, now: Date): Promise<JobSummary | undefined>;
  /** Statuses of the job's tasks in the order of its nodes; undefined for an unknown job. */
  listTaskStatuses(jobId: string, query: TaskStatusQuery, now: Date): Promise<Page<NodeTaskStatus> | undefined>;
  /** Jobs, newest first. */
  listJobs(query: JobListQuery, now: Date): Promise<Page<JobListEntry>>;
  /**
   * Hands out the node's queued task whose window contains `now` with the earliest window start,
   * marking it `pending`. A task is handed out at most once, whatever the concurrency. An empty
   * poll must not write.
   */
  claimNextTask(node: NodeRef, now: Date): Promise<ClaimedTask | undefined>;
  /** Records a node's report on one of its tasks, unless the task is final or was never targeted. */
  reportStatus(node: NodeRef, report: StatusReport, now: Date): Promise<ReportOutcome>;
  /** Cancels the job's tasks that no node has picked up yet; undefined for an unknown job. */
  cancelJob(id: string, now: Date): Promise<CancelOutcome | undefined>;
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
