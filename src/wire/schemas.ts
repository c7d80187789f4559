// JSON Schemas of the request bodies. They check the shape only (types, not presence): the
// contract orders "missing" checks after "malformed" ones, each with its own exact message, and
// those are made in the request parsers. The OpenAPI document is built from these same objects.

import { MAX_ATTRIBUTES, MAX_ATTRIBUTE_VALUE_LENGTH, MAX_FACT_LENGTH, MAX_TAGS } from './node-facts.js';
import { LISTED_SPEC_MAX_BYTES, MAX_SPEC_BYTES, MAX_SPEC_DEPTH } from './spec-limits.js';
import { REPORTABLE_STATUSES, TASK_STATUSES } from './task-status.js';
import { ADMIN_KEY_NAME_PATTERN } from './admin-key-name.js';

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

const word = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } as const;
const tagList = { type: 'array', maxItems: MAX_TAGS, items: word } as const;
const attributeMap = {
  type: 'object',
  maxProperties: MAX_ATTRIBUTES,
  propertyNames: word,
  additionalProperties: { type: 'string', maxLength: MAX_ATTRIBUTE_VALUE_LENGTH, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
} as const;
const factText = { type: 'string', maxLength: MAX_FACT_LENGTH, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;

/** A node selector: every field given must hold; at least one field. */
export const nodeSelectorSchema = {
  type: 'object',
  description: 'picks nodes that polled or reported facts; every field given must hold, at least one is required',
  minProperties: 1,
  additionalProperties: false,
  properties: {
    org: { type: 'string', pattern: '^[A-Za-z0-9_.:@-]{1,255}$', description: 'the organization, exactly' },
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.:@*?-]{1,255}$',
      description: 'a glob over the node name: "*" any run of characters, "?" one character ("web-*")',
    },
    tags_all: { ...tagList, description: 'the node reported every one of these tags' },
    tags_any: { ...tagList, description: 'the node reported at least one of these tags' },
    attributes: { ...attributeMap, description: 'the node reported each of these attributes with exactly this value' },
    os: { ...factText, minLength: 1, description: 'equal to the node\'s os ("ubuntu") or platform ("linux")' },
    os_version: { ...factText, minLength: 1, description: 'equal to the node\'s os_version ("22.04")' },
    arch: { ...factText, minLength: 1, description: 'equal to the node\'s arch ("x64", "arm64")' },
    seen_within: { type: 'string', description: 'a Go duration: the node polled or reported facts within it ("15m")' },
  },
} as const;

// JSON Schema keywords apply to their own type only: `minimum` to the count, `pattern` to the percentage.
const rateLimitSchema = (minimum: 0 | 1, pattern: string, what: string) =>
  ({ type: ['integer', 'string'], minimum, pattern, description: what }) as const;

export const jobOptionsSchemaProperties = {
  name: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
    description: 'short free text for people, without control characters',
  },
  max_concurrency: rateLimitSchema(
    1,
    '^([1-9][0-9]?|100)%$',
    'a count, or a percentage of the job\'s nodes ("1%" to "100%"): at most this many of the job\'s tasks pending or running at any moment; a percentage rounds up, to at least 1',
  ),
  max_errors: rateLimitSchema(
    0,
    '^([0-9]|[1-9][0-9]|100)%$',
    'a count, or a percentage of the job\'s nodes ("0%" to "100%"): once more tasks than this failed or timed out, the job stops and its queued tasks are cancelled; ' +
      '0 stops at the first failure; a percentage rounds down',
  ),
} as const;

export const createJobRequestSchema = {
  type: 'object',
  properties: {
    task: taskDefinitionSchema,
    nodes: { type: 'array', items: nodeRefSchema },
    // Only the type here: the selector's own checks answer clearer messages than a schema would.
    targets: { type: 'object' },
    ...jobOptionsSchemaProperties,
  },
} as const;

/** What a node reports about itself; every field is optional. */
export const nodeFactsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    os: { ...factText, description: 'the distribution or system id: "ubuntu", "debian", "darwin", "windows"' },
    os_version: { ...factText, description: '"22.04"' },
    platform: { ...factText, description: 'Node.js\'s process.platform: "linux", "darwin", "win32"' },
    arch: { ...factText, description: 'Node.js\'s process.arch: "x64", "arm64"' },
    hostname: factText,
    client_version: factText,
    tags: { ...tagList, description: 'words the operator set in the client\'s configuration' },
    attributes: { ...attributeMap, description: 'key-values the operator set in the client\'s configuration' },
  },
} as const;

export const nodeSelectionRequestSchema = {
  type: 'object',
  required: ['targets'],
  additionalProperties: false,
  properties: { targets: nodeSelectorSchema },
} as const;

export const taskResultSchema = {
  type: 'object',
  properties: {
    // The original Go client decodes it into an int32-sized int: anything else could not come back exactly.
    exit_code: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
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
    heartbeat_interval: {
      type: 'string',
      description:
        'Go duration ("30s", at most 1h): the node re-reports running this often while the provider runs; ' +
        'its task then times out when no report came for max(2m, 4 x interval)',
    },
  },
} as const;

// The request bodies as the OpenAPI document describes them: every field the server requires and
// every pattern it enforces, so that a request valid by the document is one the server accepts
// (rules across fields, such as a window that ends in the future, are said in descriptions). The
// shape schemas above stay loose on purpose: the contract answers "missing" with its own messages.

/** `nodes[i].org`, `nodes[i].name` and the node routes' path parameters: see names.ts. */
export const NODE_PART_PATTERN = '^(?!\\.\\.?$)[A-Za-z0-9_.:@-]{1,255}$';
/** A provider name: see names.ts. */
export const PROVIDER_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9_+-](?:[A-Za-z0-9_.+-]{0,126}[A-Za-z0-9_+-])?$';
/** A positive Go duration ("30m", "1h30m", "1.5s"): at least one non-zero digit. */
export const POSITIVE_GO_DURATION_PATTERN = '^(?=.*[1-9])\\+?(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$';
/**
 * A Go duration that is not negative, in go-duration.ts's syntax: "0", "30s", "1m0s", "+1.5s", and
 * "-0s" (minus zero). The long-poll `wait` takes it; its upper bound (1m) is said in the parameter's
 * description, because no pattern can bound a sum of terms such as "20s20s20s".
 */
export const NON_NEGATIVE_GO_DURATION_PATTERN =
  '^(?:\\+?(?:0|(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)|-(?:0|(?:(?:0+(?:\\.0*)?|\\.0+)(?:ns|us|µs|μs|ms|s|m|h))+))$';

const documentedNodeRefSchema = {
  type: 'object',
  required: ['org', 'name'],
  properties: {
    org: { type: 'string', pattern: NODE_PART_PATTERN },
    name: { type: 'string', pattern: NODE_PART_PATTERN },
  },
} as const;

/**
 * A selector as the server checks it (node-selector.ts): `org` a node part (not "." or ".."),
 * `seen_within` a positive Go duration.
 */
const documentedSelectorProperties = {
  ...nodeSelectorSchema.properties,
  org: { ...nodeSelectorSchema.properties.org, pattern: NODE_PART_PATTERN },
  seen_within: { ...nodeSelectorSchema.properties.seen_within, pattern: POSITIVE_GO_DURATION_PATTERN },
};
/** What makes a field of a selector a criterion: present, and for lists and maps, not empty. */
const SELECTOR_CRITERIA: Record<keyof typeof documentedSelectorProperties, object> = {
  org: {},
  name: {},
  tags_all: { minItems: 1 },
  tags_any: { minItems: 1 },
  attributes: { minProperties: 1 },
  os: {},
  os_version: {},
  arch: {},
  seen_within: {},
};
/**
 * At least one criterion: one complete branch per field that can be it (each a whole selector,
 * so that a generator reading one branch alone still sees every rule).
 */
export const documentedNodeSelectorSchema = {
  type: 'object',
  description: nodeSelectorSchema.description,
  anyOf: Object.entries(SELECTOR_CRITERIA).map(([field, criterion]) => ({
    type: 'object',
    additionalProperties: false,
    required: [field],
    properties: {
      ...documentedSelectorProperties,
      [field]: { ...documentedSelectorProperties[field as keyof typeof documentedSelectorProperties], ...criterion },
    },
  })),
} as const;

/** PUT .../facts as documented: a fact given as null counts as not given. */
export const documentedNodeFactsSchema = {
  ...nodeFactsSchema,
  properties: Object.fromEntries(
    Object.entries(nodeFactsSchema.properties).map(([name, schema]) => [name, { ...schema, type: [schema.type, 'null'] }]),
  ),
} as const;

/** POST /admin/nodes/resolve as documented. */
export const documentedNodeSelectionRequestSchema = {
  ...nodeSelectionRequestSchema,
  properties: { targets: documentedNodeSelectorSchema },
} as const;

/** POST /admin/jobs as documented; `maxNodes` is the server's FOODTRUCK_MAX_JOB_NODES. */
export function documentedCreateJobRequestSchema(maxNodes: number) {
  const properties = {
    task: {
      type: 'object',
      required: ['window_start', 'window_end', 'provider'],
      properties: {
        window_start: { ...taskDefinitionSchema.properties.window_start },
        window_end: { ...taskDefinitionSchema.properties.window_end, description: 'RFC 3339, any offset; in the future, and not before window_start' },
        provider: { ...taskDefinitionSchema.properties.provider, pattern: PROVIDER_PATTERN },
        spec: {
          description: `any JSON value, written to the provider on stdin; at most ${MAX_SPEC_DEPTH} levels of arrays and objects and ${MAX_SPEC_BYTES} bytes of JSON`,
        },
        timeout: { ...taskDefinitionSchema.properties.timeout, pattern: POSITIVE_GO_DURATION_PATTERN },
      },
    },
    nodes: {
      type: 'array',
      maxItems: maxNodes,
      uniqueItems: true,
      description: `each org/name pair at most once; may be empty or absent when targets is given; with the nodes targets picks, at most ${maxNodes}`,
      items: documentedNodeRefSchema,
    },
    targets: {
      ...documentedNodeSelectorSchema,
      description: 'resolved once, at creation, into nodes (added to nodes, without duplicates); it must pick at least one node (400 otherwise)',
    },
    ...jobOptionsSchemaProperties,
  };
  // At least one node, in nodes or picked by targets: one complete branch for each.
  return {
    type: 'object',
    anyOf: [
      { type: 'object', required: ['task', 'nodes'], properties: { ...properties, nodes: { ...properties.nodes, minItems: 1 } } },
      { type: 'object', required: ['task', 'targets'], properties },
    ],
  } as const;
}

/** POST .../tasks/status as documented. */
export const documentedStatusReportSchema = {
  type: 'object',
  required: ['job_id', 'status'],
  properties: {
    ...statusReportSchema.properties,
    job_id: { type: 'string', minLength: 1 },
    status: {
      type: 'string',
      enum: [...REPORTABLE_STATUSES, 'cancelled'],
      description: 'cancelled only for a task an administrator asked to stop',
    },
    heartbeat_interval: { ...statusReportSchema.properties.heartbeat_interval, pattern: POSITIVE_GO_DURATION_PATTERN },
  },
} as const;

// Response bodies. They are not used to validate anything the server receives; they describe what
// it answers, in the OpenAPI document, and a test checks real answers against them.

const time = { type: 'string', format: 'date-time', description: 'RFC 3339 in UTC, with a Z suffix' } as const;
const jobId = { type: 'string', pattern: '^[0-9a-f]{24}$' } as const;
const nextCursor = {
  type: ['string', 'null'],
  description: 'pass back as `cursor` for the next page; null on the last page',
} as const;

export const errorResponseSchema = {
  type: 'object',
  required: ['message'],
  properties: { message: { type: 'string' } },
} as const;

export const createJobResponseSchema = {
  type: 'object',
  required: ['id', 'node_count'],
  additionalProperties: false,
  properties: { id: jobId, node_count: { type: 'integer', minimum: 1, description: 'the nodes the job targets' } },
} as const;

/** A rerun answers the new job's id only (its node count is the original's matching nodes). */
export const rerunJobResponseSchema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: jobId },
} as const;

const storedFactsSchema = {
  type: 'object',
  description: 'what the node last reported about itself; absent when it never did (the original Go client)',
  required: ['tags', 'attributes', 'reported_at'],
  additionalProperties: false,
  properties: { ...nodeFactsSchema.properties, reported_at: time },
} as const;

const targetsResponseSchema = {
  ...nodeSelectorSchema,
  description: 'the selector the job was created with; its nodes were resolved from it at creation',
} as const;

export const statusCountsSchema = {
  type: 'object',
  description: 'number of tasks in each status',
  required: [...TASK_STATUSES],
  additionalProperties: false,
  properties: Object.fromEntries(TASK_STATUSES.map((status) => [status, { type: 'integer', minimum: 0 }])),
} as const;

const taskResponseSchema = {
  type: 'object',
  required: ['window_start', 'window_end', 'provider', 'spec'],
  additionalProperties: false,
  properties: { ...taskDefinitionSchema.properties, window_start: time, window_end: time },
} as const;

const nodeResponseSchema = {
  type: 'object',
  required: ['org', 'name'],
  additionalProperties: false,
  properties: nodeRefSchema.properties,
} as const;

/** Who acted on a job: the names of admin keys (ADMIN_API_KEY is "admin"). */
const jobAttribution = {
  created_by: {
    type: ['string', 'null'],
    pattern: ADMIN_KEY_NAME_PATTERN,
    description: 'the name of the admin key that created the job (ADMIN_API_KEY\'s is "admin"); null when unknown (jobs from before names)',
  },
  cancelled_by: {
    type: ['string', 'null'],
    pattern: ADMIN_KEY_NAME_PATTERN,
    description: 'the name of the admin key of the job\'s latest cancel (of the whole job or of one node); null when never cancelled',
  },
} as const;

/** The optional job fields as answered: each only when set. */
const jobAttributesResponseProperties = {
  ...jobOptionsSchemaProperties,
  stopped: {
    type: 'object',
    description: 'present when the job stopped handing out tasks because its failures exceeded max_errors',
    required: ['reason', 'at'],
    additionalProperties: false,
    properties: { reason: { type: 'string' }, at: time },
  },
  rerun_of: { ...jobId, description: 'the job this one re-runs' },
} as const;

export const jobResponseSchema = {
  type: 'object',
  required: ['id', 'task', 'nodes', 'created_at', 'created_by', 'cancelled_by'],
  additionalProperties: false,
  properties: {
    id: jobId,
    task: taskResponseSchema,
    nodes: { type: 'array', items: nodeResponseSchema },
    created_at: time,
    targets: targetsResponseSchema,
    ...jobAttributesResponseProperties,
    ...jobAttribution,
  },
} as const;

export const jobSummaryResponseSchema = {
  type: 'object',
  description: 'a job without its node list, with its tasks counted by status',
  required: ['id', 'task', 'created_at', 'node_count', 'summary', 'created_by', 'cancelled_by'],
  additionalProperties: false,
  properties: {
    id: jobId,
    task: taskResponseSchema,
    created_at: time,
    node_count: { type: 'integer', minimum: 1 },
    ...jobAttributesResponseProperties,
    summary: statusCountsSchema,
    targets: targetsResponseSchema,
    ...jobAttribution,
  },
} as const;

const listedTaskResponseSchema = {
  type: 'object',
  description: `spec only when its JSON text is at most ${LISTED_SPEC_MAX_BYTES} bytes; otherwise spec_omitted is true and the job's own routes answer it`,
  required: ['window_start', 'window_end', 'provider'],
  additionalProperties: false,
  properties: { ...taskResponseSchema.properties, spec_omitted: { type: 'boolean', enum: [true] } },
} as const;

export const jobListEntryResponseSchema = {
  ...jobSummaryResponseSchema,
  description: 'a job without its node list, with its tasks counted by status, and its spec only when small',
  properties: { ...jobSummaryResponseSchema.properties, task: listedTaskResponseSchema },
} as const;

export const jobSummaryRouteResponseSchema = {
  ...jobSummaryResponseSchema,
  required: [...jobSummaryResponseSchema.required, 'never_checked_in'],
  properties: {
    ...jobSummaryResponseSchema.properties,
    never_checked_in: {
      type: 'integer',
      minimum: 0,
      description: 'targeted nodes that have never polled (as far as check-ins written so far say)',
    },
  },
} as const;

export const rerunJobRequestSchema = {
  type: 'object',
  properties: {
    statuses: {
      type: 'array',
      items: { type: 'string', enum: [...TASK_STATUSES] },
      minItems: 1,
      description: 'the statuses (at the moment of the rerun) of the nodes to run again; default failed, timed_out, expired',
    },
    window_start: { type: 'string', format: 'date-time', description: 'RFC 3339; default now' },
    window_end: {
      type: 'string',
      format: 'date-time',
      description: 'RFC 3339; default window_start plus the original window\'s length',
    },
  },
} as const;

export const jobListResponseSchema = {
  type: 'object',
  required: ['jobs', 'next_cursor'],
  additionalProperties: false,
  properties: { jobs: { type: 'array', items: jobListEntryResponseSchema }, next_cursor: nextCursor },
} as const;

export const nodeStatusResponseSchema = {
  type: 'object',
  required: ['job_id', 'node_name', 'node', 'status', 'last_updated'],
  additionalProperties: false,
  properties: {
    job_id: jobId,
    node_name: { type: 'string', description: '"org/name"' },
    node: nodeResponseSchema,
    status: { type: 'string', enum: [...TASK_STATUSES] },
    last_updated: time,
    result: {
      type: 'object',
      required: ['exit_code'],
      description: 'reason is left out when it is empty, as the original Go server did',
      additionalProperties: false,
      properties: taskResultSchema.properties,
    },
  },
} as const;

export const jobDetailResponseSchema = {
  type: 'object',
  required: ['job', 'summary'],
  additionalProperties: false,
  properties: {
    job: {
      ...jobResponseSchema,
      description: 'with limit or cursor, the job leaves out its node list and gives node_count instead',
      required: ['id', 'task', 'created_at', 'created_by', 'cancelled_by'],
      properties: { ...jobResponseSchema.properties, node_count: { type: 'integer', minimum: 1 } },
    },
    summary: statusCountsSchema,
    statuses: {
      type: 'array',
      items: nodeStatusResponseSchema,
      description: 'only with fetchStatuses=true: one per targeted node, in the order of the job\'s nodes',
    },
    next_cursor: { ...nextCursor, description: 'only when statuses were asked for with limit or cursor' },
  },
} as const;

export const statusPageResponseSchema = {
  type: 'object',
  required: ['statuses', 'next_cursor'],
  additionalProperties: false,
  properties: { statuses: { type: 'array', items: nodeStatusResponseSchema }, next_cursor: nextCursor },
} as const;

export const cancelJobResponseSchema = {
  type: 'object',
  required: ['id', 'cancelled', 'stopping', 'summary'],
  additionalProperties: false,
  properties: {
    id: jobId,
    cancelled: { type: 'integer', minimum: 0, description: 'tasks that were still queued and are now cancelled' },
    stopping: {
      type: 'integer',
      minimum: 0,
      description: 'handed-out tasks (pending or running) whose nodes this call asked to stop, at their next report',
    },
    summary: statusCountsSchema,
  },
} as const;

export const claimedTaskResponseSchema = {
  type: 'object',
  required: ['job_id', 'window_start', 'window_end', 'provider', 'spec'],
  additionalProperties: false,
  properties: { job_id: jobId, ...taskResponseSchema.properties },
} as const;

export const emptyResponseSchema = { type: 'object', additionalProperties: false, properties: {} } as const;

export const statusReportResponseSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cancel: {
      type: 'boolean',
      enum: [true],
      description: 'present when an administrator asked to stop this task: stop the provider and report cancelled',
    },
  },
} as const;

export const nodeOverviewResponseSchema = {
  type: 'object',
  required: ['org', 'name', 'node_name', 'last_check_in', 'tasks'],
  additionalProperties: false,
  properties: {
    org: { type: 'string' },
    name: { type: 'string' },
    node_name: { type: 'string', description: '"org/name"' },
    last_check_in: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'when the node last polled (gathered in memory, written every few seconds); null if it never has',
    },
    tasks: { ...statusCountsSchema, description: 'the node\'s tasks across every job, by status' },
    facts: storedFactsSchema,
  },
} as const;

export const nodeListResponseSchema = {
  type: 'object',
  required: ['nodes', 'next_cursor'],
  additionalProperties: false,
  properties: { nodes: { type: 'array', items: nodeOverviewResponseSchema }, next_cursor: nextCursor },
} as const;

export const nodeForgetResponseSchema = {
  type: 'object',
  required: ['org', 'name', 'node_name', 'finished_tasks', 'last_check_in', 'key_kept'],
  additionalProperties: false,
  properties: {
    org: { type: 'string' },
    name: { type: 'string' },
    node_name: { type: 'string', description: '"org/name"' },
    finished_tasks: {
      type: 'integer',
      minimum: 0,
      description: 'the node\'s finished tasks that no longer count in the node list; their jobs keep them, unchanged',
    },
    last_check_in: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'the check-in removed (when the node last polled); null if it had none',
    },
    key_kept: {
      type: 'boolean',
      description: 'the node has a key (node-keys mode), which forgetting leaves in place: DELETE /admin/nodes/{org}/{name}/key removes it',
    },
  },
} as const;

export const nodeSelectionResponseSchema = {
  type: 'object',
  required: ['count', 'nodes', 'next_cursor'],
  additionalProperties: false,
  properties: {
    count: { type: 'integer', minimum: 0, description: 'every node the selector picks, over all pages' },
    nodes: { type: 'array', items: nodeOverviewResponseSchema, description: 'a page of them, by org and name' },
    next_cursor: nextCursor,
  },
} as const;

export const healthResponseSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'unavailable'] }, message: { type: 'string' } },
} as const;

export const nodeKeyRequestSchema = {
  type: 'object',
  required: ['public_key'],
  properties: {
    public_key: {
      type: 'string',
      description: 'the node\'s RSA public key (at least 2048 bits) in PEM: "-----BEGIN PUBLIC KEY-----" or "-----BEGIN RSA PUBLIC KEY-----"',
    },
  },
} as const;

const nodeKeyFingerprint = {
  type: 'string',
  pattern: '^[0-9a-f]{64}$',
  description: 'hex SHA-256 of the key\'s DER SubjectPublicKeyInfo',
} as const;

export const nodeKeyResponseSchema = {
  type: 'object',
  required: ['node_name', 'fingerprint', 'source', 'created_at'],
  additionalProperties: false,
  properties: {
    node_name: { type: 'string', description: '"org/name"' },
    fingerprint: nodeKeyFingerprint,
    source: { type: 'string', enum: ['enrollment', 'admin'], description: 'enrolled by the node itself, or set by an administrator' },
    created_at: time,
    public_key: { type: 'string', description: 'the stored key, SPKI PEM (in GET answers)' },
  },
} as const;

export const nodeKeyResetResponseSchema = {
  type: 'object',
  required: ['node_name', 'removed'],
  additionalProperties: false,
  properties: {
    node_name: { type: 'string', description: '"org/name"' },
    removed: { type: 'boolean', description: 'false when the node had no key' },
  },
} as const;
