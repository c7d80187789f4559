// Domain objects as the contract writes them on the wire: snake_case, RFC 3339 times in UTC.

import type {
  ClaimedTask,
  ForgetOutcome,
  JobAttributes,
  JobAttribution,
  JobListEntry,
  JobSummary,
  Job,
  ListedTask,
  NodeOverview,
  NodeTaskStatus,
} from '../store/store.js';
import type { NodeRef, TaskDefinition } from '../wire/job-request.js';
import { nodeFactsJson } from '../wire/node-facts.js';
import { nodeSelectorJson, type NodeSelector } from '../wire/node-selector.js';
import { formatRfc3339 } from '../wire/rfc3339.js';
import type { TaskResult } from '../wire/status-report.js';
import type { TaskJson } from '../wire/task-json.js';

export function taskJson(task: TaskDefinition): TaskJson {
  const json: TaskJson = {
    window_start: formatRfc3339(task.windowStart),
    window_end: formatRfc3339(task.windowEnd),
    provider: task.provider,
    spec: task.spec,
  };
  if (task.timeout !== undefined) json.timeout = task.timeout;
  return json;
}

export interface JobAttributesJson {
  name?: string;
  max_concurrency?: number | string;
  max_errors?: number | string;
  stopped?: { reason: string; at: string };
  rerun_of?: string;
}

/** The optional job fields, each only when set. */
export function jobAttributesJson(job: JobAttributes): JobAttributesJson {
  const json: JobAttributesJson = {};
  if (job.name !== undefined) json.name = job.name;
  if (job.maxConcurrency !== undefined) json.max_concurrency = job.maxConcurrency;
  if (job.maxErrors !== undefined) json.max_errors = job.maxErrors;
  if (job.stopped) json.stopped = { reason: job.stopped.reason, at: formatRfc3339(job.stopped.at) };
  if (job.rerunOf !== undefined) json.rerun_of = job.rerunOf;
  return json;
}

/** A task as jobs are listed: `spec` when small, else `spec_omitted: true` (read the job for it). */
export function listedTaskJson(task: ListedTask): Omit<TaskJson, 'spec'> & { spec?: unknown; spec_omitted?: true } {
  const json: Omit<TaskJson, 'spec'> & { spec?: unknown; spec_omitted?: true } = {
    window_start: formatRfc3339(task.windowStart),
    window_end: formatRfc3339(task.windowEnd),
    provider: task.provider,
  };
  if (task.specOmitted) json.spec_omitted = true;
  else json.spec = task.spec;
  if (task.timeout !== undefined) json.timeout = task.timeout;
  return json;
}

/** Who created and cancelled a job: admin key names, null when unknown. */
export function attributionJson(job: JobAttribution) {
  return { created_by: job.createdBy ?? null, cancelled_by: job.cancelledBy ?? null };
}

export function jobListEntryJson(entry: JobListEntry) {
  return {
    id: entry.id,
    task: listedTaskJson(entry.task),
    created_at: formatRfc3339(entry.createdAt),
    node_count: entry.nodeCount,
    ...jobAttributesJson(entry),
    summary: entry.summary,
    ...attributionJson(entry),
    ...targetsJson(entry.targets),
  };
}

export function jobJson(job: Job) {
  return {
    id: job.id,
    task: taskJson(job.task),
    nodes: job.nodes,
    created_at: formatRfc3339(job.createdAt),
    ...jobAttributesJson(job),
    ...attributionJson(job),
    ...targetsJson(job.targets),
  };
}

function targetsJson(targets: NodeSelector | undefined) {
  return targets ? { targets: nodeSelectorJson(targets) } : {};
}

export function jobSummaryJson(entry: JobSummary) {
  return {
    id: entry.id,
    task: taskJson(entry.task),
    created_at: formatRfc3339(entry.createdAt),
    node_count: entry.nodeCount,
    ...jobAttributesJson(entry),
    summary: entry.summary,
    ...attributionJson(entry),
    ...targetsJson(entry.targets),
  };
}

export function claimedTaskJson(claimed: ClaimedTask) {
  return { job_id: claimed.jobId, ...taskJson(claimed.task) };
}

export function resultJson(result: TaskResult) {
  // As the original Go server wrote it (`reason,omitempty`): an empty reason is left out.
  const json: { exit_code: number; reason?: string; output?: string } = { exit_code: result.exitCode };
  if (result.reason !== '') json.reason = result.reason;
  if (result.output !== undefined) json.output = result.output;
  return json;
}

export function nodeStatusJson(status: NodeTaskStatus) {
  const json: {
    job_id: string;
    node_name: string;
    node: { org: string; name: string };
    status: string;
    last_updated: string;
    result?: ReturnType<typeof resultJson>;
  } = {
    job_id: status.jobId,
    node_name: `${status.node.org}/${status.node.name}`,
    node: status.node,
    status: status.status,
    last_updated: formatRfc3339(status.lastUpdated),
  };
  if (status.result) json.result = resultJson(status.result);
  return json;
}

export function nodeOverviewJson(overview: NodeOverview) {
  return {
    org: overview.node.org,
    name: overview.node.name,
    node_name: `${overview.node.org}/${overview.node.name}`,
    last_check_in: overview.lastCheckIn ? formatRfc3339(overview.lastCheckIn) : null,
    tasks: overview.tasks,
    ...(overview.facts ? { facts: { ...nodeFactsJson(overview.facts), reported_at: formatRfc3339(overview.facts.reportedAt) } } : {}),
  };
}

/** The answer to forgetting a node: what the node list no longer shows. */
export function forgottenNodeJson(node: NodeRef, forgotten: Extract<ForgetOutcome, { kind: 'forgotten' }>) {
  return {
    org: node.org,
    name: node.name,
    node_name: `${node.org}/${node.name}`,
    finished_tasks: forgotten.finishedTasks,
    last_check_in: forgotten.lastCheckIn ? formatRfc3339(forgotten.lastCheckIn) : null,
    key_kept: forgotten.keyKept,
  };
}
