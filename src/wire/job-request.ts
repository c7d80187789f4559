import { parseGoDuration } from './go-duration.js';
import {
  JOB_NAME_MESSAGE,
  MAX_CONCURRENCY_MESSAGE,
  MAX_ERRORS_MESSAGE,
  isValidJobName,
  isValidRateLimit,
  type RateLimit,
} from './job-options.js';
import { isValidNodePart, isValidProviderName } from './names.js';
import { parseNodeSelector, type NodeSelector } from './node-selector.js';
import { parseRfc3339 } from './rfc3339.js';
import { createJobRequestSchema } from './schemas.js';
import { compileShapeCheck } from './shape-check.js';
import { MAX_SPEC_BYTES, MAX_SPEC_DEPTH, nestsDeeperThan } from './spec-limits.js';

export interface NodeRef {
  org: string;
  name: string;
}

export interface TaskDefinition {
  windowStart: Date;
  windowEnd: Date;
  provider: string;
  spec: unknown;
  /** Go duration string, kept as the administrator wrote it. */
  timeout?: string;
}

/** The optional fields of a job beside its task and nodes. */
export interface JobOptions {
  /** Short free text for people: shown in lists, searched by `name=`. */
  name?: string;
  /** At most this many of the job's tasks pending or running at any moment. */
  maxConcurrency?: RateLimit;
  /** Once more tasks than this failed or timed out, the job stops (see rate-control.ts). */
  maxErrors?: RateLimit;
}

export interface NewJob extends JobOptions {
  task: TaskDefinition;
  nodes: NodeRef[];
  /** The selector the nodes were (or are to be) resolved from, kept with the job. */
  targets?: NodeSelector;
  /** The job this one re-runs (POST /admin/jobs/:id/rerun). */
  rerunOf?: string;
  /** The name of the admin key that created it (set by the server, never read from the request). */
  createdBy?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export interface JobRequestLimits {
  maxNodes: number;
}

export const INVALID_REQUEST_JSON = 'invalid request json';

const checkShape = compileShapeCheck(createJobRequestSchema);

interface RawJobRequest {
  task?: { window_start?: string; window_end?: string; provider?: string; spec?: unknown; timeout?: string };
  nodes?: Array<{ org?: string; name?: string }>;
  targets?: unknown;
  name?: string;
  max_concurrency?: unknown;
  max_errors?: unknown;
}

/**
 * Validates a job creation body in the contract's order, answering its exact messages.
 * `body` is the parsed JSON, or undefined for an empty body (which the seed read as `{}`).
 * With `targets`, `nodes` may be empty or absent: the caller resolves the selector into nodes
 * (at most `maxNodes` in all, counting those of `nodes`).
 */
export function parseJobRequest(body: unknown, now: Date, limits: JobRequestLimits): Parsed<NewJob> {
  const raw = (body === undefined ? {} : body) as RawJobRequest;
  const shapeProblem = checkShape(raw);
  if (shapeProblem) return fail(`${INVALID_REQUEST_JSON}: ${shapeProblem}`);
  const task = raw.task ?? {};
  const windowStart = task.window_start === undefined ? undefined : parseRfc3339(task.window_start);
  if (task.window_start !== undefined && !windowStart) {
    return fail(`${INVALID_REQUEST_JSON}: task.window_start is not an RFC 3339 time`);
  }
  const windowEnd = task.window_end === undefined ? undefined : parseRfc3339(task.window_end);
  if (task.window_end !== undefined && !windowEnd) {
    return fail(`${INVALID_REQUEST_JSON}: task.window_end is not an RFC 3339 time`);
  }

  const nodes = raw.nodes ?? [];
  if (nodes.length === 0 && raw.targets === undefined) return fail('no nodes provided');
  if (!windowStart || isGoZeroTime(windowStart)) return fail('window_start must be provided');
  if (!windowEnd || isGoZeroTime(windowEnd)) return fail('window_end must be provided');
  if (windowEnd < windowStart) return fail('window_end must be after window_start');
  if (windowEnd < now) return fail('window has already expired');
  const provider = task.provider ?? '';
  if (provider === '') return fail('task provider must be provided');
  for (const [index, node] of nodes.entries()) {
    if (!node.org || !node.name) return fail(`nodes[${index}] is not a valid node`);
  }

  // Beyond the seed: checks the contract adds after its eight.
  if (!isValidProviderName(provider)) {
    return fail(
      'task provider must be a plain executable name suffix: letters, digits, ".", "_", "+" or "-", ' +
        'at most 128 characters, without "..", "/", "\\", spaces or control characters',
    );
  }
  if (task.timeout !== undefined) {
    const timeoutMs = parseGoDuration(task.timeout);
    if (timeoutMs === undefined || timeoutMs <= 0) {
      return fail('task timeout must be a positive Go duration such as "30m" or "1h30m"');
    }
  }
  // Checked before anything serializes the spec: too deep a spec would overflow the stack there.
  if (nestsDeeperThan(task.spec, MAX_SPEC_DEPTH)) {
    return fail(`task spec is nested too deeply: at most ${MAX_SPEC_DEPTH} levels of arrays and objects`);
  }
  const specBytes = Buffer.byteLength(JSON.stringify(task.spec ?? null), 'utf8');
  if (specBytes > MAX_SPEC_BYTES) {
    return fail(`task spec is too large: ${specBytes} bytes of JSON, at most ${MAX_SPEC_BYTES}`);
  }
  if (nodes.length > limits.maxNodes) {
    return fail(`too many nodes: ${nodes.length} given, at most ${limits.maxNodes} per job`);
  }
  const firstIndexByNode = new Map<string, number>();
  const refs: NodeRef[] = new Array(nodes.length);
  for (const [index, node] of nodes.entries()) {
    const org = node.org as string;
    const name = node.name as string;
    if (!isValidNodePart(org) || !isValidNodePart(name)) {
      return fail(
        `nodes[${index}] has an invalid org or name: use 1 to 255 letters, digits, ".", "_", "-", ":" or "@"`,
      );
    }
    const key = `${org}/${name}`;
    const first = firstIndexByNode.get(key);
    if (first !== undefined) return fail(`nodes[${index}] duplicates nodes[${first}] (${key})`);
    firstIndexByNode.set(key, index);
    refs[index] = { org, name };
  }

  const options = parseJobOptions(raw);
  if (!options.ok) return options;
  const definition: TaskDefinition = { windowStart, windowEnd, provider, spec: task.spec ?? null };
  if (task.timeout !== undefined) definition.timeout = task.timeout;
  const job: NewJob = { task: definition, nodes: refs, ...options.value };
  if (raw.targets !== undefined) {
    const targets = parseNodeSelector(raw.targets, 'targets');
    if (!targets.ok) return targets;
    job.targets = targets.value;
  }
  return { ok: true, value: job };
}

/** The optional job fields of a creation (or rerun) body, checked after everything else. */
export function parseJobOptions(raw: { name?: unknown; max_concurrency?: unknown; max_errors?: unknown }): Parsed<JobOptions> {
  const options: JobOptions = {};
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !isValidJobName(raw.name)) return fail(JOB_NAME_MESSAGE);
    options.name = raw.name;
  }
  if (raw.max_concurrency !== undefined) {
    if (!isValidRateLimit(raw.max_concurrency, 1)) return fail(MAX_CONCURRENCY_MESSAGE);
    options.maxConcurrency = raw.max_concurrency;
  }
  if (raw.max_errors !== undefined) {
    if (!isValidRateLimit(raw.max_errors, 0)) return fail(MAX_ERRORS_MESSAGE);
    options.maxErrors = raw.max_errors;
  }
  return { ok: true, value: options };
}

/** Go's zero `time.Time`, which Go clients send for a time they never set: `0001-01-01T00:00:00Z`. */
const GO_ZERO_TIME_MS = new Date('0001-01-01T00:00:00Z').getTime();

/** Whether a time is Go's zero time (the same instant, written with any offset): the original read it as missing. */
export function isGoZeroTime(date: Date): boolean {
  return date.getTime() === GO_ZERO_TIME_MS;
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
