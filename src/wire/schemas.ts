// JSON Schemas of the request bodies. They check the shape only (types, not presence): the
// contract orders "missing" checks after "malformed" ones, each with its own exact message, and
// those are made in the request parsers. The OpenAPI document is built from these same objects.

export const nodeRefSchema = {
  type: 'object',
  properties: {
    org: { type: 'string' },
    name: { type: 'string' },
  },
} as const;

export const taskDefinitionSchema = {
  type: 'object',
  properties: {
    window_start: { type: 'string', format: 'date-time', description: 'RFC 3339, any offset' },
    window_end: { type: 'string', format: 'date-time', description: 'RFC 3339, any offset' },
    provider: { type: 'string', description: 'runs foodtruck-provider-<provider> on the node' },
    spec: { description: 'any JSON value, written to the provider on stdin' },
    timeout: {
      type: 'string',
      description: 'optional Go duration ("30m"); the node stops the provider when it is exceeded',
    },
  },
} as const;

export const createJobRequestSchema = {
  type: 'object',
  properties: {
    task: taskDefinitionSchema,
    nodes: { type: 'array', items: nodeRefSchema },
  },
} as const;

export const taskResultSchema = {
  type: 'object',
  properties: {
    exit_code: { type: 'integer' },
    reason: { type: 'string' },
    output: { type: 'string', description: 'the tail of the provider output; the server keeps the last 64 KiB' },
  },
} as const;

export const statusReportSchema = {
  type: 'object',
  properties: {
    job_id: { type: 'string' },
    status: { type: 'string' },
    result: taskResultSchema,
  },
} as const;
