// The admin API over HTTP, as the CLI uses it. Answers are the server's JSON, typed loosely: the
// wire shapes are described in src/wire/schemas.ts and the OpenAPI document.

import type { StatusCounts } from '../wire/task-status.js';
import { ApiError, CommandError } from './errors.js';
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
}

export interface NodeStatusJson {
  job_id: string;
  node_name: string;
  status: string;
  last_updated: string;
  result?: { exit_code: number; reason: string; output?: string };
}

export interface NodeOverviewJson {
  org: string;
  name: string;
  node_name: string;
  last_check_in: string | null;
  tasks: StatusCounts;
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

  createJob(body: unknown): Promise<{ id: string }> {
    return this.#request('POST', '/admin/jobs', body);
  }

  listJobs(query: { limit?: number; cursor?: string }): Promise<PageJson & { jobs: JobSummaryJson[] }> {
    return this.#request('GET', `/admin/jobs${queryString(query)}`);
  }

  jobSummary(id: string): Promise<JobSummaryJson> {
    return this.#request('GET', `/admin/jobs/${encodeURIComponent(id)}/summary`);
  }

  jobStatuses(id: string, query: StatusPageQuery): Promise<PageJson & { statuses: NodeStatusJson[] }> {
    return this.#request('GET', `/admin/jobs/${encodeURIComponent(id)}/statuses${queryString(query)}`);
  }

  cancelJob(id: string): Promise<{ id: string; cancelled: number; summary: StatusCounts }> {
    return this.#request('POST', `/admin/jobs/${encodeURIComponent(id)}/cancel`);
  }

  listNodes(query: { limit?: number; cursor?: string }): Promise<PageJson & { nodes: NodeOverviewJson[] }> {
    return this.#request('GET', `/admin/nodes${queryString(query)}`);
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

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CommandError(`cannot reach the server at ${this.baseUrl}: ${why}`, { cause: error });
    }
    const text = await response.text();
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

function queryString(query: object): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
