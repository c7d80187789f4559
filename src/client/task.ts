// A task as `tasks/next` hands it out, read defensively: whatever the server sends, the client
// must either run it safely or say why it did not.

import { parseGoDuration } from '../wire/go-duration.js';
import { isValidProviderName } from '../wire/names.js';

export interface Task {
  jobId: string;
  provider: string;
  /** The spec exactly as it goes to the provider's stdin. */
  specJson: string;
  /** From the task's optional `timeout`; undefined means no limit. */
  timeoutMs: number | undefined;
  /** The task's `timeout` as the job wrote it ("60s"), so that reasons and logs show it the same way. */
  timeoutText?: string;
}

export type ParsedTask =
  | { ok: true; task: Task }
  /** Not runnable; reported failed with this reason, unless there is not even a job id to report against. */
  | { ok: false; jobId: string | undefined; reason: string };

export function parseTask(body: string): ParsedTask {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, jobId: undefined, reason: 'the task is not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, jobId: undefined, reason: 'the task is not a JSON object' };
  }
  const task = raw as Record<string, unknown>;
  if (typeof task.job_id !== 'string' || task.job_id === '') {
    return { ok: false, jobId: undefined, reason: 'the task has no job_id' };
  }
  const jobId = task.job_id;
  if (typeof task.provider !== 'string' || !isValidProviderName(task.provider)) {
    return { ok: false, jobId, reason: `invalid provider name ${JSON.stringify(task.provider ?? null)}: not run` };
  }
  let timeoutMs: number | undefined;
  if (task.timeout !== undefined && task.timeout !== null && task.timeout !== '') {
    timeoutMs = typeof task.timeout === 'string' ? parseGoDuration(task.timeout) : undefined;
    if (timeoutMs === undefined || timeoutMs <= 0) {
      return { ok: false, jobId, reason: `invalid task timeout ${JSON.stringify(task.timeout)}: not run` };
    }
  }
  // JSON.stringify of what the server serialized gives back the same text; an absent spec is null.
  const specJson = JSON.stringify(task.spec ?? null);
  return {
    ok: true,
    task: { jobId, provider: task.provider, specJson, timeoutMs, ...(timeoutMs === undefined ? {} : { timeoutText: task.timeout as string }) },
  };
}
