/** A task as the wire carries it: in jobs, in job lists and in the answer to tasks/next. */
export interface TaskJson {
  window_start: string;
  window_end: string;
  provider: string;
  spec: unknown;
  timeout?: string;
}
