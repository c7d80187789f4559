// Job ids are MongoDB ObjectIds in the seed; every store driver keeps that shape.

const JOB_ID = /^[0-9a-f]{24}$/;

export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}
