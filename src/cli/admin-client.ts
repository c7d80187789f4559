// The admin API over HTTP, as the CLI uses it. Answers are the server's JSON, typed loosely: the
// wire shapes are described in src/wire/schemas.ts and the OpenAPI document.

import type { NodeSelectorJson } from '../wire/node-selector.js';
import type { StatusCounts } from '../wire/task-status.js';
import { ApiError, CommandError, UnreachableError } from './errors.js';
import type { TaskJson } from '../wire/task-json.js';

export interface JobSummaryJson {
  id: string;
  task: TaskJson;
  created_at: string;
  node_count: number;
  summary: StatusCounts;
  /** The name of the admin key that created it; null when unknown. */
  created_by?: string | null;
  /** The name of the admin key of its latest cancel; null when never cancelled. */
  cancelled_by?: string | null;
  /** The selector the job was created with, if any. */
  targets?: NodeSelectorJson;
  name?: string;
  /** The job this one re-runs. */
  rerun_of?: string;
  /** Why the server stopped handing the job out (failures beyond `max_errors`). */
  stopped?: { reason: string; at: string };
  max_concurrency?: number | string;
  max_errors?: number | string;
  /** Targeted nodes that never checked in (summary route). */
  never_checked_in?: number;
}

export interface JobListQuery {
  limit?: number;
  cursor?: string;
  state?: 'active' | 'finished';
  provider?: string;
  name?: string;
}

export interface CancelAnswerJson {
  id: string;
  cancelled: number;
  /** Handed-out tasks whose nodes are asked to stop. */
  stopping?: number;
  summary: StatusCounts;
}

export interface RerunRequest {
  statuses?: string[];
  window_start?: string;
  window_end?: string;
}

export interface NodeStatusJson {
  job_id: string;
  node_name: string;
  status: string;
  last_updated: string;
  result?: { exit_code: number; reason?: string; output?: string };
}

export interface NodeFactsJson {
  os?: string;
  os_version?: string;
  platform?: string;
  arch?: string;
  hostname?: string;
  client_version?: string;
  tags: string[];
  attributes: Record<string, string>;
  reported_at: string;
}

export interface NodeOverviewJson {
  org: string;
  name: string;
  node_name: string;
  last_check_in: string | null;
  tasks: StatusCounts;
  facts?: NodeFactsJson;
}

export interface ForgottenNodeJson {
  org: string;
  name: string;
  node_name: string;
  finished_tasks: number;
  last_check_in: string | null;
  key_kept: boolean;
}

export interface NodeKeyJson {
  node_name: string;
  fingerprint: string;
  source: 'enrollment' | 'admin';
  created_at: string;
  public_key?: string;
}

export interface PageJson {
  next_cursor: string | null;
}

export interface StatusPageQuery {
  status?: string;
  node?: string;
  limit?: number;
  cursor?: string;
}

const REQUEST_TIMEOUT_MS = 60_000;

export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  createJob(body: unknown): Promise<{ id: string; node_count?: number }> {
    return this.#request('POST', '/admin/jobs', body);
  }

  listJobs(query: JobListQuery): Promise<PageJson & { jobs: JobSummaryJson[] }> {
    return this.#request('GET', `/admin/jobs${queryString(query)}`);
  }

  jobSummary(id: string, signal?: AbortSignal): Promise<JobSummaryJson> {
    return this.#request('GET', `/admin/jobs/${encodeURIComponent(id)}/summary`, undefined, signal);
  }

  jobStatuses(id: string, query: StatusPageQuery, signal?: AbortSignal): Promise<PageJson & { statuses: NodeStatusJson[] }> {
    return this.#request('GET', `/admin/jobs/${encodeURIComponent(id)}/statuses${queryString(query)}`, undefined, signal);
  }

  /** The whole job, or with `node` (ORG/NAME) that node's task only. */
  cancelJob(id: string, node?: string): Promise<CancelAnswerJson> {
    return this.#request('POST', `/admin/jobs/${encodeURIComponent(id)}/cancel${queryString({ node })}`);
  }

  rerunJob(id: string, body: RerunRequest): Promise<{ id: string }> {
    return this.#request('POST', `/admin/jobs/${encodeURIComponent(id)}/rerun`, body);
  }

  /** `terms`: selector terms (`['tag', 'web']`), sent as repeated query parameters. */
  listNodes(
    query: { limit?: number; cursor?: string; search?: string; never_seen?: 'true'; unfinished?: 'true' },
    terms: Array<[string, string]> = [],
  ): Promise<PageJson & { nodes: NodeOverviewJson[] }> {
    return this.#request('GET', `/admin/nodes${queryString(query, terms)}`);
  }

  resolveNodes(
    targets: unknown,
    query: { limit?: number; cursor?: string },
  ): Promise<PageJson & { count: number; nodes: NodeOverviewJson[] }> {
    return this.#request('POST', `/admin/nodes/resolve${queryString(query)}`, { targets });
  }

  forgetNode(node: { org: string; name: string }): Promise<ForgottenNodeJson> {
    return this.#request('DELETE', `/admin/nodes/${encodeURIComponent(node.org)}/${encodeURIComponent(node.name)}`);
  }

  getNodeKey(node: { org: string; name: string }): Promise<NodeKeyJson> {
    return this.#request('GET', nodeKeyPath(node));
  }

  setNodeKey(node: { org: string; name: string }, publicKey: string): Promise<NodeKeyJson> {
    return this.#request('PUT', nodeKeyPath(node), { public_key: publicKey });
  }

  resetNodeKey(node: { org: string; name: string }): Promise<{ node_name: string; removed: boolean }> {
    return this.#request('DELETE', nodeKeyPath(node));
  }

  async #request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new UnreachableError(`cannot reach the server at ${this.baseUrl}: ${why}`, { cause: error });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new UnreachableError(`the server at ${this.baseUrl} broke off its answer: ${(error as Error).message}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const message = (json as { message?: unknown } | undefined)?.message;
      throw new ApiError(response.status, typeof message === 'string' ? message : `HTTP ${response.status} ${response.statusText}`);
    }
    if (json === undefined) throw new CommandError(`the server at ${this.baseUrl} answered something that is not JSON`);
    return json as T;
  }
}

function nodeKeyPath(node: { org: string; name: string }): string {
  return `/admin/nodes/${encodeURIComponent(node.org)}/${encodeURIComponent(node.name)}/key`;
}

function queryString(query: object, repeated: Array<[string, string]> = []): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  for (const [name, value] of repeated) search.append(name, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
