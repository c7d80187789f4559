import type { Parsed } from './job-request.js';
import { INVALID_REQUEST_JSON } from './job-request.js';
import { parseGoDuration } from './go-duration.js';
import { REPORTABLE_STATUSES, isReportableStatus, type NodeReportStatus } from './task-status.js';
import { statusReportSchema } from './schemas.js';
import { compileShapeCheck } from './shape-check.js';
import { keepTail } from './output-cut.js';

export { keepTail };

export interface TaskResult {
  exitCode: number;
  reason: string;
  output?: string;
}

export interface StatusReport {
  jobId: string;
  /** `cancelled` is accepted only for a task whose stop was requested: the store decides. */
  status: NodeReportStatus;
  result?: TaskResult;
  /** `heartbeat_interval`: the node re-reports `running` this often while the provider runs. */
  heartbeatIntervalMs?: number;
}

/** Longer heartbeat intervals are refused: a lease of four of them would hide a dead node for days. */
export const MAX_HEARTBEAT_INTERVAL_MS = 3_600_000;

/** The server keeps this much of a provider's output: its tail, where failures usually show. */
export const MAX_OUTPUT_BYTES = 64 * 1024;

const checkShape = compileShapeCheck(statusReportSchema);

interface RawStatusReport {
  job_id?: string;
  status?: string;
  result?: { exit_code?: number; reason?: string; output?: string };
  heartbeat_interval?: string;
}

/** The seed's answer to a status it does not know; also to `cancelled` for a task nobody asked to stop. */
export const STATUS_MESSAGE = `status must be one of (${REPORTABLE_STATUSES.join(',')})`;

/** Validates a node's status report in the contract's order, answering its exact messages. */
export function parseStatusReport(body: unknown): Parsed<StatusReport> {
  const raw = (body === undefined ? {} : body) as RawStatusReport;
  const shapeProblem = checkShape(raw);
  if (shapeProblem) return { ok: false, message: `${INVALID_REQUEST_JSON}: ${shapeProblem}` };
  if (!raw.job_id) return { ok: false, message: 'job_id must be provided' };
  if (!isReportableStatus(raw.status) && raw.status !== 'cancelled') return { ok: false, message: STATUS_MESSAGE };
  const report: StatusReport = { jobId: raw.job_id, status: raw.status };
  if (raw.heartbeat_interval !== undefined) {
    const intervalMs = parseGoDuration(raw.heartbeat_interval);
    if (intervalMs === undefined || intervalMs <= 0 || intervalMs > MAX_HEARTBEAT_INTERVAL_MS) {
      return { ok: false, message: 'heartbeat_interval must be a positive Go duration of at most 1h, such as "30s"' };
    }
    report.heartbeatIntervalMs = intervalMs;
  }
  if (raw.result) {
    // The seed's Go client always sent both fields; a missing one reads as its zero value there too.
    const result: TaskResult = { exitCode: raw.result.exit_code ?? 0, reason: raw.result.reason ?? '' };
    if (raw.result.output !== undefined) result.output = keepTail(raw.result.output, MAX_OUTPUT_BYTES);
    report.result = result;
  }
  return { ok: true, value: report };
}
