import type { FastifyInstance } from 'fastify';
import { InvalidCursorError, type Job, type JobListQuery, type Store, type TaskStatusQuery } from '../../store/store.js';
import { MAX_JOB_NAME_LENGTH } from '../../wire/job-options.js';
import { rerunOf } from '../job-rerun.js';
import { isJobId } from '../../wire/job-id.js';
import { parseJobRequest, type NodeRef } from '../../wire/job-request.js';
import { isValidNodePart, isValidProviderName } from '../../wire/names.js';
import { TASK_STATUSES, isTaskStatus } from '../../wire/task-status.js';
import type { BearerCheck } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { resolveJobTargets } from '../job-targets.js';
import type { ServerMetrics } from '../metrics.js';
import type { TaskDelivery } from '../task-delivery.js';
import { optionalCursor, readLimit } from '../page-query.js';
import { jobJson, jobListEntryJson, jobSummaryJson, nodeStatusJson } from '../wire-json.js';

export interface AdminJobRoutesOptions {
  store: Store;
  metrics: ServerMetrics;
  requireAdmin: BearerCheck;
  maxJobNodes: number;
  jobBodyLimitBytes: number;
  /** Writes the node check-ins gathered in memory, before a read that counts them. */
  flushCheckIns?: () => Promise<void>;
  /** Told of every job stored here, before its 200: its nodes' polls find it at once. */
  delivery: TaskDelivery;
}

const DEFAULT_JOB_LIST_LIMIT = 50;
const DEFAULT_STATUS_PAGE_LIMIT = 100;
/** Long enough for any `org/name`. */
const MAX_NODE_SEARCH_LENGTH = 511;
const JOB_NOT_FOUND = 'job not found';

interface JobListQueryString {
  limit?: string;
  cursor?: string;
  state?: string;
  provider?: string;
  name?: string;
}

interface JobParams {
  job_id: string;
}

interface StatusesQuery {
  fetchStatuses?: string;
  status?: string;
  limit?: string;
  cursor?: string;
  node?: string;
}

export async function adminJobRoutes(app: FastifyInstance, options: AdminJobRoutesOptions): Promise<void> {
  const { store, metrics } = options;
  app.addHook('onRequest', options.requireAdmin);

  app.post('/admin/jobs', { bodyLimit: options.jobBodyLimitBytes }, async (request) => {
    const now = new Date();
    const parsed = parseJobRequest(request.body, now, { maxNodes: options.maxJobNodes });
    if (!parsed.ok) throw badRequest(parsed.message);
    // A selector picks among stored check-ins: write this process's due ones first, as the preview
    // (POST /admin/nodes/resolve) does, so that a node that just polled is picked by both.
    if (parsed.value.targets) await options.flushCheckIns?.();
    const resolved = await resolveJobTargets(store, parsed.value, options.maxJobNodes, now);
    const job = request.adminName ? { ...resolved, createdBy: request.adminName } : resolved;
    const id = await store.createJob(job, now);
    request.auditDetail = { job_id: id };
    options.delivery.noteJob(id, job, now);
    metrics.jobsCreated.inc();
    metrics.tasksCreated.inc(job.nodes.length);
    request.log.info({ job_id: id, nodes: job.nodes.length, provider: job.task.provider, created_by: request.adminName }, 'job created');
    return { id, node_count: job.nodes.length };
  });

  app.get<{ Querystring: JobListQueryString }>('/admin/jobs', async (request) => {
    const { query } = request;
    const limit = readLimit(query.limit) ?? DEFAULT_JOB_LIST_LIMIT;
    const cursor = optionalCursor(query.cursor);
    // A job list's cursor is the id of the last job of the previous page.
    if (cursor.cursor !== undefined && !isJobId(cursor.cursor)) throw badRequest('invalid cursor');
    const listQuery: JobListQuery = { limit, ...cursor };
    if (query.state !== undefined) {
      if (query.state !== 'active' && query.state !== 'finished') throw badRequest('state must be active or finished');
      listQuery.state = query.state;
    }
    if (query.provider !== undefined) {
      if (!isValidProviderName(query.provider)) throw badRequest('provider must be a provider name, as jobs are created with');
      listQuery.provider = query.provider;
    }
    if (query.name !== undefined && query.name !== '') {
      if ([...query.name].length > MAX_JOB_NAME_LENGTH) throw badRequest(`name must be at most ${MAX_JOB_NAME_LENGTH} characters`);
      listQuery.nameContains = query.name;
    }
    let page;
    try {
      page = await store.listJobs(listQuery, new Date());
    } catch (error) {
      if (error instanceof InvalidCursorError) throw notFound('no job has the id this cursor names');
      throw error;
    }
    return { jobs: page.items.map(jobListEntryJson), next_cursor: page.nextCursor ?? null };
  });

  app.post<{ Params: JobParams }>('/admin/jobs/:job_id/rerun', async (request) => {
    const { job_id: jobId } = request.params;
    const now = new Date();
    const original = isJobId(jobId) ? await store.getJobSummary(jobId, now) : undefined;
    if (!original) throw notFound(JOB_NOT_FOUND);
    const job = await rerunOf(store, original, request.body, now);
    // The new job is the rerunning admin's, not the original's creator's.
    if (request.adminName) job.createdBy = request.adminName;
    const id = await store.createJob(job, now);
    request.auditDetail = { job_id: id, rerun_of: jobId };
    options.delivery.noteJob(id, job, now);
    metrics.jobsCreated.inc();
    metrics.tasksCreated.inc(job.nodes.length);
    request.log.info({ job_id: id, rerun_of: jobId, nodes: job.nodes.length, created_by: request.adminName }, 'job re-run');
    return { id };
  });

  app.get<{ Params: JobParams; Querystring: StatusesQuery }>('/admin/jobs/:job_id', async (request) => {
    const { job_id: jobId } = request.params;
    if (!isJobId(jobId)) throw notFound(JOB_NOT_FOUND);
    const now = new Date();
    const { query } = request;
    // Checked before any read, so a bad query never costs a 100,000-node fetch; checked even
    // without fetchStatuses, so that a malformed filter is never silently ignored.
    const filters = readStatusQuery(query);
    const statusQuery = query.fetchStatuses === 'true' ? filters : undefined;
    // A paged read is for jobs too large to answer whole: its job leaves out the node list
    // (node_count stands in for it), which for 100,000 nodes would dwarf the page itself.
    const paged = statusQuery !== undefined && (statusQuery.limit !== undefined || statusQuery.cursor !== undefined);
    // Every status, unfiltered, names every node in the job's order: the node list is taken from
    // them rather than read a second time.
    const everyStatus =
      statusQuery !== undefined && !paged && statusQuery.status === undefined && statusQuery.nodeContains === undefined;
    if (!paged && !everyStatus) {
      const found = await store.getJob(jobId, now);
      if (!found) throw notFound(JOB_NOT_FOUND);
      const answer: Record<string, unknown> = { job: jobJson(found.job), summary: found.summary };
      if (statusQuery) answer.statuses = (await statusesOf(jobId, statusQuery, now)).items.map(nodeStatusJson);
      return answer;
    }
    const found = await store.getJobSummary(jobId, now);
    if (!found) throw notFound(JOB_NOT_FOUND);
    const page = await statusesOf(jobId, statusQuery, now);
    if (everyStatus) {
      // Everything the summary read found (name, rate limits, stop, rerun_of, targets...), with the
      // node list in place of its count.
      const job: Job = { ...found, nodes: page.items.map((status) => status.node) };
      return { job: jobJson(job), summary: found.summary, statuses: page.items.map(nodeStatusJson) };
    }
    const { summary, ...job } = jobSummaryJson(found);
    return { job, summary, statuses: page.items.map(nodeStatusJson), next_cursor: page.nextCursor ?? null };
  });

  app.get<{ Params: JobParams }>('/admin/jobs/:job_id/summary', async (request) => {
    const { job_id: jobId } = request.params;
    const found = isJobId(jobId) ? await store.getJobSummary(jobId, new Date()) : undefined;
    if (!found) throw notFound(JOB_NOT_FOUND);
    // Check-ins gathered in memory first, as for the node list, so this process's polls count.
    await options.flushCheckIns?.();
    const neverCheckedIn = (await store.countNeverCheckedIn(jobId)) ?? 0;
    return { ...jobSummaryJson(found), never_checked_in: neverCheckedIn };
  });

  // The node table of a job without its node list: what a page or a CLI follows for a 100,000-node job.
  app.get<{ Params: JobParams; Querystring: StatusesQuery }>('/admin/jobs/:job_id/statuses', async (request) => {
    const { job_id: jobId } = request.params;
    if (!isJobId(jobId)) throw notFound(JOB_NOT_FOUND);
    const statusQuery = readStatusQuery(request.query);
    statusQuery.limit ??= DEFAULT_STATUS_PAGE_LIMIT;
    const page = await store.listTaskStatuses(jobId, statusQuery, new Date());
    if (!page) throw notFound(JOB_NOT_FOUND);
    return { statuses: page.items.map(nodeStatusJson), next_cursor: page.nextCursor ?? null };
  });

  app.post<{ Params: JobParams; Querystring: { node?: string } }>('/admin/jobs/:job_id/cancel', async (request) => {
    const { job_id: jobId } = request.params;
    const node = request.query.node === undefined ? undefined : readNodeName(request.query.node);
    const outcome = isJobId(jobId) ? await store.cancelJob(jobId, new Date(), node, request.adminName) : undefined;
    if (!outcome) throw notFound(JOB_NOT_FOUND);
    if (!outcome.nodeTargeted) throw notFound(`job ${jobId} does not target node ${request.query.node}`);
    metrics.tasksCancelled.inc(outcome.cancelled);
    request.log.info(
      { job_id: jobId, node: request.query.node, cancelled: outcome.cancelled, stopping: outcome.stopping, cancelled_by: request.adminName },
      'job cancelled',
    );
    return { id: jobId, cancelled: outcome.cancelled, stopping: outcome.stopping, summary: outcome.summary };
  });

  async function statusesOf(jobId: string, query: TaskStatusQuery, now: Date) {
    const page = await store.listTaskStatuses(jobId, query, now);
    if (!page) throw notFound(JOB_NOT_FOUND);
    return page;
  }
}

/** `org/name`, as `node_name` is written in statuses. */
function readNodeName(text: string): NodeRef {
  const [org, name, ...rest] = text.split('/');
  if (org === undefined || name === undefined || rest.length > 0 || !isValidNodePart(org) || !isValidNodePart(name)) {
    throw badRequest('node must be "org/name": each part 1 to 255 letters, digits, ".", "_", "-", ":" or "@"');
  }
  return { org, name };
}

function readStatusQuery(query: StatusesQuery) {
  const statusQuery: TaskStatusQuery = {};
  if (query.status !== undefined) {
    if (!isTaskStatus(query.status)) throw badRequest(`status must be one of (${TASK_STATUSES.join(',')})`);
    statusQuery.status = query.status;
  }
  if (query.node !== undefined && query.node !== '') {
    if (query.node.length > MAX_NODE_SEARCH_LENGTH) throw badRequest(`node must be at most ${MAX_NODE_SEARCH_LENGTH} characters`);
    statusQuery.nodeContains = query.node;
  }
  const limit = readLimit(query.limit);
  if (limit !== undefined) statusQuery.limit = limit;
  const cursor = optionalCursor(query.cursor);
  // A status page's cursor is the position of its last node in the job.
  if (cursor.cursor !== undefined && !/^[0-9]{1,9}$/.test(cursor.cursor)) throw badRequest('invalid cursor');
  Object.assign(statusQuery, cursor);
  return statusQuery;
}
