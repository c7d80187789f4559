// The optional job fields beside `task` and `nodes`: a name, and rate control. Each is checked
// here, after the contract's own checks, with a message naming the field.

/** A count (`10`) or a percentage of the job's nodes (`"10%"`), kept as the administrator wrote it. */
export type RateLimit = number | string;

export const MAX_JOB_NAME_LENGTH = 200;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const PERCENTAGE = /^(\d{1,3})%$/;

export const JOB_NAME_MESSAGE = `name must be 1 to ${MAX_JOB_NAME_LENGTH} characters without control characters`;
export const MAX_CONCURRENCY_MESSAGE =
  'max_concurrency must be a whole number of at least 1 or a percentage of the nodes from "1%" to "100%"';
export const MAX_ERRORS_MESSAGE =
  'max_errors must be a whole number of at least 0 or a percentage of the nodes from "0%" to "100%"';

export function isValidJobName(name: string): boolean {
  return name.length >= 1 && [...name].length <= MAX_JOB_NAME_LENGTH && !CONTROL_CHARACTERS.test(name);
}

/** Whether `value` is a rate limit of at least `minimum` (a count or a percentage, at most 100%). */
export function isValidRateLimit(value: unknown, minimum: 0 | 1): value is RateLimit {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= minimum;
  if (typeof value !== 'string') return false;
  const match = PERCENTAGE.exec(value);
  if (!match) return false;
  const percent = Number(match[1]);
  return percent >= minimum && percent <= 100;
}

/** The percentage of a valid percentage limit; undefined for a count. */
export function percentageOf(limit: RateLimit): number | undefined {
  return typeof limit === 'string' ? Number(limit.slice(0, -1)) : undefined;
}
