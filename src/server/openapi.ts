// The OpenAPI 3.1 document of the HTTP API, built from the JSON Schemas in src/wire/schemas.ts
// that validate the requests, so the document cannot drift from what the server accepts. A test
// checks that every route the server answers is described here and that real answers match.

import { MAX_NODE_SEARCH_LENGTH } from './node-list-filters.js';
import { WEB_PAGE_FILES, webPageContentType, webPageRoute } from './routes/web-page.js';
import {
  cancelJobResponseSchema,
  claimedTaskResponseSchema,
  NODE_PART_PATTERN,
  NON_NEGATIVE_GO_DURATION_PATTERN,
  POSITIVE_GO_DURATION_PATTERN,
  createJobResponseSchema,
  documentedCreateJobRequestSchema,
  documentedStatusReportSchema,
  statusReportResponseSchema,
  emptyResponseSchema,
  errorResponseSchema,
  healthResponseSchema,
  jobDetailResponseSchema,
  jobListResponseSchema,
  jobSummaryRouteResponseSchema,
  documentedNodeFactsSchema,
  rerunJobRequestSchema,
  rerunJobResponseSchema,
  nodeKeyRequestSchema,
  nodeKeyResetResponseSchema,
  nodeKeyResponseSchema,
  nodeForgetResponseSchema,
  nodeListResponseSchema,
  documentedNodeSelectionRequestSchema,
  nodeSelectionResponseSchema,
  statusPageResponseSchema,
} from '../wire/schemas.js';
import { REPORTABLE_STATUSES, TASK_STATUSES } from '../wire/task-status.js';
import { MAX_PAGE_LIMIT } from './page-query.js';

type Auth = 'admin' | 'node' | 'enrollment' | 'none';

interface Answer {
  description: string;
  /** A JSON Schema for an application/json body, or a media type for anything else. */
  json?: object;
  mediaType?: string;
  /** No body at all (Node's own 431). */
  empty?: boolean;
  /** Response headers, by name, with their description. */
  headers?: Record<string, string>;
}

interface Parameter {
  name: string;
  in: 'path' | 'query';
  description: string;
  schema: object;
  /** For a repeatable query parameter: `?tag=a&tag=b`. */
  explode?: boolean;
}

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As Fastify writes it: `/admin/jobs/:job_id`. */
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  parameters?: Parameter[];
  /** The documented schema; `maxJobNodes` is the server's FOODTRUCK_MAX_JOB_NODES. */
  requestBody?: { description: string; json: object | ((limits: DocumentLimits) => object) };
  answers: Record<number, Answer>;
}

/** What the document depends on in the server's configuration. */
export interface DocumentLimits {
  maxJobNodes: number;
}

const error = (description: string): Answer => ({ description, json: errorResponseSchema });
const unauthorized = error('missing, wrong or malformed key: {"message":"Unauthorized"}');
const jobIdParameter: Parameter = {
  name: 'job_id',
  in: 'path',
  description: 'the job id: 24 lowercase hex characters',
  schema: { type: 'string' },
};
const nodeParameters: Parameter[] = [
  { name: 'org', in: 'path', description: 'the node\'s organization', schema: { type: 'string', pattern: NODE_PART_PATTERN } },
  { name: 'name', in: 'path', description: 'the node\'s name', schema: { type: 'string', pattern: NODE_PART_PATTERN } },
];
const limitParameter = (what: string, fallback: string): Parameter => ({
  name: 'limit',
  in: 'query',
  description: `${what} per page (${fallback})`,
  schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT },
});
/** Each list's cursor has the shape the server makes: any value of that shape is a place to continue from. */
const cursorParameter = (pattern: string, what: string): Parameter => ({
  name: 'cursor',
  in: 'query',
  description: `the previous page's next_cursor: ${what}`,
  schema: { type: 'string', pattern },
});
const jobCursor = cursorParameter('^[0-9a-f]{24}$', 'the id of its last job (404 when no job has it)');
const statusCursor = cursorParameter('^[0-9]{1,9}$', 'the position of its last node in the job');
const nodeCursor = cursorParameter(
  `^${NODE_PART_PATTERN.slice(1, -1).replace('(?!\\.\\.?$)', '(?!\\.\\.?/)')}/${NODE_PART_PATTERN.slice(1)}`,
  'the org/name of its last node; the list goes on after it, whether or not that node exists',
);

const statusFilters: Parameter[] = [
  { name: 'status', in: 'query', description: 'only statuses in this state', schema: { type: 'string', enum: [...TASK_STATUSES] } },
  {
    name: 'node',
    in: 'query',
    description: 'only nodes whose "org/name" contains this text, ignoring case',
    schema: { type: 'string', maxLength: 511 },
  },
];

const word = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' };
const repeated = (items: object) => ({ type: 'array', items, maxItems: 64 });
/** os, os_version, arch: as a node reports them (node-facts.ts), and not empty. */
const factTerm = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f]*$' };
/** The selector as query terms: the same terms as the CLI's --target. */
const selectorParameters: Parameter[] = [
  { name: 'org', in: 'query', description: 'selector: the organization, exactly', schema: { type: 'string', pattern: NODE_PART_PATTERN } },
  {
    name: 'name',
    in: 'query',
    description: 'selector: a glob over the node name ("web-*")',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_.:@*?-]{1,255}$' },
  },
  { name: 'tag', in: 'query', description: 'selector: a tag the node reported; repeat: all of them', schema: repeated(word), explode: true },
  { name: 'any_tag', in: 'query', description: 'selector: repeat: at least one of these tags', schema: repeated(word), explode: true },
  {
    name: 'attr',
    in: 'query',
    description: 'selector: KEY=VALUE, an attribute the node reported with exactly this value; repeat: all of them',
    schema: repeated({ type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}=[^\\u0000-\\u001f\\u007f]{0,255}$' }),
    explode: true,
  },
  { name: 'os', in: 'query', description: 'selector: the node\'s os or platform', schema: factTerm },
  { name: 'os_version', in: 'query', description: 'selector: the node\'s os_version', schema: factTerm },
  { name: 'arch', in: 'query', description: 'selector: the node\'s arch', schema: factTerm },
  {
    name: 'seen_within',
    in: 'query',
    description: 'selector: a positive Go duration; polled or reported facts within it',
    schema: { type: 'string', pattern: POSITIVE_GO_DURATION_PATTERN },
  },
];

/** The node list's own filters, beside the selector terms. */
const nodeListFilterParameters: Parameter[] = [
  {
    name: 'search',
    in: 'query',
    description: 'only nodes whose org/name contains this text, ignoring case (matched literally)',
    schema: { type: 'string', maxLength: MAX_NODE_SEARCH_LENGTH },
  },
  {
    name: 'never_seen',
    in: 'query',
    description: '"true": only nodes that never polled nor reported facts (known because a job targets them)',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
  {
    name: 'unfinished',
    in: 'query',
    description: '"true": only nodes with a task queued (window open), pending or running (lease not ended)',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
];

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'POST',
    path: '/admin/jobs',
    summary: 'Create a job: one task for each of its nodes',
    tag: 'jobs',
    auth: 'admin',
    requestBody: {
      description: 'the task, and the nodes to run it on (nodes, targets, or both)',
      json: (limits) => documentedCreateJobRequestSchema(limits.maxJobNodes),
    },
    answers: {
      200: { description: 'the new job\'s id and how many nodes it targets', json: createJobResponseSchema },
      400: error('the body is malformed or breaks a rule; the message says which (see API.md for the exact ones)'),
      401: unauthorized,
    },
  },
  {
    method: 'GET',
    path: '/admin/jobs',
    summary: 'List jobs, newest first, with their tasks counted by status',
    tag: 'jobs',
    auth: 'admin',
    parameters: [
      limitParameter('jobs', 'default 50'),
      jobCursor,
      {
        name: 'state',
        in: 'query',
        description:
          'active: some task is queued, pending or running; finished: none is. A page examines at most 2,000 jobs ' +
          'and may then end short of limit, with next_cursor to go on',
        schema: { type: 'string', enum: ['active', 'finished'] },
      },
      {
        name: 'provider',
        in: 'query',
        description: 'only jobs of exactly this provider',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_+-](?:[A-Za-z0-9_.+-]{0,126}[A-Za-z0-9_+-])?$' },
      },
      {
        name: 'name',
        in: 'query',
        description: 'only jobs whose name contains this text, ignoring case (matched literally)',
        schema: { type: 'string', maxLength: 200 },
      },
    ],
    answers: {
      200: { description: 'a page of jobs', json: jobListResponseSchema },
      400: error('bad limit, cursor, state, provider or name'),
      401: unauthorized,
      404: error('the cursor names no job'),
    },
  },
  {
    method: 'GET',
    path: '/admin/jobs/:job_id',
    summary: 'A job with its nodes and counts; with fetchStatuses=true, each node\'s status',
    tag: 'jobs',
    auth: 'admin',
    parameters: [
      jobIdParameter,
      { name: 'fetchStatuses', in: 'query', description: '"true" includes statuses; any other value does not', schema: { type: 'string' } },
      ...statusFilters,
      limitParameter('statuses', 'default: all of them'),
      statusCursor,
    ],
    answers: {
      200: { description: 'the job', json: jobDetailResponseSchema },
      400: error('bad status, limit or cursor'),
      401: unauthorized,
      404: error('{"message":"job not found"}'),
    },
  },
  {
    method: 'GET',
    path: '/admin/jobs/:job_id/summary',
    summary: 'A job\'s task and counts, without its nodes: cheap to poll for a job of any size',
    tag: 'jobs',
    auth: 'admin',
    parameters: [jobIdParameter],
    answers: {
      200: { description: 'the job\'s summary', json: jobSummaryRouteResponseSchema },
      401: unauthorized,
      404: error('{"message":"job not found"}'),
    },
  },
  {
    method: 'GET',
    path: '/admin/jobs/:job_id/statuses',
    summary: 'One page of a job\'s node statuses, without its node list: cheap for a job of any size',
    tag: 'jobs',
    auth: 'admin',
    parameters: [jobIdParameter, ...statusFilters, limitParameter('statuses', 'default 100'), statusCursor],
    answers: {
      200: { description: 'a page of statuses, in the order of the job\'s nodes', json: statusPageResponseSchema },
      400: error('bad status, node, limit or cursor'),
      401: unauthorized,
      404: error('{"message":"job not found"}'),
    },
  },
  {
    method: 'POST',
    path: '/admin/jobs/:job_id/cancel',
    summary: 'Cancel the job\'s tasks that no node has picked up yet, and ask the nodes running the others to stop',
    tag: 'jobs',
    auth: 'admin',
    parameters: [
      jobIdParameter,
      {
        name: 'node',
        in: 'query',
        description: 'only this node\'s task: "org/name"',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_.:@-]{1,255}/[A-Za-z0-9_.:@-]{1,255}$' },
      },
    ],
    answers: {
      200: { description: 'how many were cancelled and asked to stop, and the counts after', json: cancelJobResponseSchema },
      400: error('node is not "org/name"'),
      401: unauthorized,
      404: error('{"message":"job not found"}, or the job does not target the node'),
    },
  },
  {
    method: 'POST',
    path: '/admin/jobs/:job_id/rerun',
    summary: 'A new job with the same task for the nodes whose task is now in the chosen statuses',
    tag: 'jobs',
    auth: 'admin',
    parameters: [jobIdParameter],
    requestBody: {
      description: 'optional: the statuses to re-run (default failed, timed_out, expired) and a new window',
      json: rerunJobRequestSchema,
    },
    answers: {
      200: { description: 'the new job\'s id; it carries rerun_of', json: rerunJobResponseSchema },
      400: error('a malformed body, a window that is wrong or already over, or no node in the chosen statuses'),
      401: unauthorized,
      404: error('{"message":"job not found"}'),
    },
  },
  {
    method: 'GET',
    path: '/admin/nodes',
    summary: 'Nodes, by org and name: when each last polled and its tasks by status, so silent nodes show',
    tag: 'nodes',
    auth: 'admin',
    parameters: [limitParameter('nodes', 'default 100'), nodeCursor, ...nodeListFilterParameters, ...selectorParameters],
    answers: {
      200: { description: 'a page of nodes; with filters or selector terms, only the nodes they pick', json: nodeListResponseSchema },
      400: error('bad limit, cursor, filter or selector term, or never_seen=true with selector terms'),
      401: unauthorized,
    },
  },
  {
    method: 'POST',
    path: '/admin/nodes/resolve',
    summary: 'Preview a selector: how many nodes it picks, and the first page of them',
    tag: 'nodes',
    auth: 'admin',
    parameters: [limitParameter('nodes', 'default 100'), nodeCursor],
    requestBody: { description: 'the selector, as a job\'s targets', json: documentedNodeSelectionRequestSchema },
    answers: {
      200: { description: 'the count and a page of the nodes', json: nodeSelectionResponseSchema },
      400: error('a malformed selector, limit or cursor'),
      401: unauthorized,
    },
  },
  {
    method: 'PUT',
    path: '/organizations/:org/foodtruck/nodes/:name/facts',
    summary: 'A node reports its facts (system, tags, attributes); sent at start and when they change',
    tag: 'node client',
    auth: 'node',
    parameters: nodeParameters,
    requestBody: { description: 'every field optional (null counts as absent); the report replaces the previous one whole', json: documentedNodeFactsSchema },
    answers: {
      200: { description: 'recorded', json: emptyResponseSchema },
      400: error('invalid node name, or a fact too long, malformed or unknown'),
      401: unauthorized,
    },
  },
  {
    method: 'DELETE',
    path: '/admin/nodes/:org/:name',
    summary:
      'Forgets a node with no unfinished task: it leaves the node list (its jobs still name it) until a new job ' +
      'targets it or it polls again. Its check-in goes; its key stays',
    tag: 'nodes',
    auth: 'admin',
    parameters: nodeParameters,
    answers: {
      200: { description: 'forgotten', json: nodeForgetResponseSchema },
      400: error('invalid node name'),
      401: unauthorized,
      404: error('the node list does not show the node: {"message":"node ORG/NAME not found"}'),
      409: error('the node has tasks queued, pending or running'),
    },
  },
  {
    method: 'GET',
    path: '/admin/nodes/:org/:name/key',
    summary: 'The public key a node\'s signed requests are verified with (FOODTRUCK_NODE_AUTH=node-keys or both)',
    tag: 'nodes',
    auth: 'admin',
    parameters: nodeParameters,
    answers: {
      200: { description: 'the node\'s key', json: nodeKeyResponseSchema },
      400: error('invalid node name'),
      401: unauthorized,
      404: error('the node has no key'),
    },
  },
  {
    method: 'PUT',
    path: '/admin/nodes/:org/:name/key',
    summary: 'Registers a node\'s public key (e.g. its Chef client key\'s), replacing any key it had',
    tag: 'nodes',
    auth: 'admin',
    parameters: nodeParameters,
    requestBody: { description: 'the node\'s RSA public key in PEM', json: nodeKeyRequestSchema },
    answers: {
      200: { description: 'stored', json: nodeKeyResponseSchema },
      400: error('invalid node name, or public_key is not an RSA public key of at least 2048 bits'),
      401: unauthorized,
    },
  },
  {
    method: 'DELETE',
    path: '/admin/nodes/:org/:name/key',
    summary: 'Resets a node\'s key: its signed requests are refused until it enrolls again or a key is registered',
    tag: 'nodes',
    auth: 'admin',
    parameters: nodeParameters,
    answers: {
      200: { description: 'removed (or there was none)', json: nodeKeyResetResponseSchema },
      400: error('invalid node name'),
      401: unauthorized,
    },
  },
  {
    method: 'POST',
    path: '/organizations/:org/foodtruck/nodes/:name/key',
    summary: 'A node enrolls its own public key with the enrollment secret; the first key enrolled for the node wins',
    tag: 'node client',
    auth: 'enrollment',
    parameters: nodeParameters,
    requestBody: { description: 'the node\'s RSA public key in PEM', json: nodeKeyRequestSchema },
    answers: {
      200: { description: 'enrolled, or the same key was already enrolled', json: nodeKeyResponseSchema },
      400: error('invalid node name, or public_key is not an RSA public key of at least 2048 bits'),
      401: unauthorized,
      409: error('the node already has another key: an administrator must reset it first'),
    },
  },
  {
    method: 'POST',
    path: '/organizations/:org/foodtruck/nodes/:name/tasks/next',
    summary:
      'A node asks for its next task; it becomes pending. A server that holds polls says so on every answer with the ' +
      'header X-Foodtruck-Long-Poll (the longest wait it accepts, e.g. "1m")',
    tag: 'node client',
    auth: 'node',
    parameters: [
      ...nodeParameters,
      {
        name: 'wait',
        in: 'query',
        description:
          'long poll: with nothing for the node now, hold the answer up to this long (a Go duration from 0s to 1m; ' +
          'longer answers 400) and answer as soon as a task is available; ignored by a server with long polls turned off',
        schema: { type: 'string', pattern: NON_NEGATIVE_GO_DURATION_PATTERN },
      },
    ],
    answers: {
      200: { description: 'the task to run', json: claimedTaskResponseSchema },
      400: error('invalid node name, or a wait that is not a duration from 0s to 1m'),
      401: unauthorized,
      404: error('{"message":"no tasks available"}'),
      429: error('a wait was asked but the server already holds FOODTRUCK_MAX_HELD_POLLS polls; Retry-After says when to poll again'),
    },
  },
  {
    method: 'POST',
    path: '/organizations/:org/foodtruck/nodes/:name/tasks/status',
    summary: 'A node reports on one of its tasks',
    tag: 'node client',
    auth: 'node',
    parameters: nodeParameters,
    requestBody: {
      description:
        `status is one of ${REPORTABLE_STATUSES.join(', ')}, or cancelled for a task an administrator asked to stop; ` +
        'result is optional',
      json: () => documentedStatusReportSchema,
    },
    answers: {
      200: { description: 'recorded: {}, or {"cancel": true} when the node should stop the task', json: statusReportResponseSchema },
      400: error('job_id missing, status not one of (pending,running,failed,success), or a malformed body'),
      401: unauthorized,
      404: error('the job never targeted this node'),
      409: error('the task is already final and cannot change (a late success or failed still replaces timed_out)'),
    },
  },
  {
    method: 'GET',
    path: '/healthz',
    summary: 'Whether the server can reach its store',
    tag: 'operations',
    auth: 'none',
    answers: {
      200: { description: 'ready', json: healthResponseSchema },
      503: { description: 'the store is unavailable', json: healthResponseSchema },
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    auth: 'none',
    answers: { 200: { description: 'Prometheus text format', mediaType: 'text/plain' } },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'operations',
    auth: 'none',
    answers: { 200: { description: 'the OpenAPI document', json: { type: 'object', required: ['openapi', 'info', 'paths'] } } },
  },
  ...WEB_PAGE_FILES.map(
    (file): Operation => ({
      method: 'GET',
      path: webPageRoute(file),
      summary: file === 'index.html' ? 'The operators\' web page' : `The web page's ${file}`,
      tag: 'web page',
      auth: 'none',
      answers: {
        200: { description: 'a static file', mediaType: webPageContentType(file).split(';')[0] as string },
      },
    }),
  ),
];

/** `/admin/jobs/:job_id` as OpenAPI writes it: `/admin/jobs/{job_id}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:(\w+)/g, '{$1}');
}

/**
 * Answers every route can give besides its own: a repeated query parameter (400), headers too
 * large for Node's HTTP server (431, which Node answers itself, without a body), and on the routes
 * that read the store, an unreachable database (503 with Retry-After). A method a path does not
 * serve answers 405 with an Allow header; OpenAPI describes methods that exist, so it is said here.
 */
function commonAnswers(operation: Operation): Record<number, Answer> {
  const answers: Record<number, Answer> = {
    400: error('a query parameter given more than once, or (see each route) a malformed request'),
    431: { description: 'request headers too large (answered by Node\'s HTTP server, without a body)', empty: true },
  };
  if (operation.method === 'POST') answers[415] = error('a body that is not JSON (Content-Type other than application/json)');
  if (operation.auth !== 'none' || operation.path === '/healthz') {
    answers[503] = {
      ...error('the database cannot be reached or did not answer in time; try again later'),
      headers: { 'Retry-After': 'seconds to wait before trying again' },
    };
  }
  return answers;
}

export function buildOpenApiDocument(version: string, limits: DocumentLimits): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    const item = (paths[openApiPath(operation.path)] ??= {});
    item[operation.method.toLowerCase()] = operationObject(operation, limits);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Foodtruck',
      version,
      description:
        'Run ad-hoc jobs on fleets of machines. Administrators create jobs and follow them; nodes poll for their ' +
        'tasks and report how they went. Every error answers JSON with a `message`.',
    },
    tags: [
      { name: 'jobs', description: 'for administrators (ADMIN_API_KEY)' },
      { name: 'nodes', description: 'for administrators (ADMIN_API_KEY)' },
      {
        name: 'node client',
        description:
          'for nodes: NODES_API_KEY (FOODTRUCK_NODE_AUTH=shared-key, the default), or each request signed with the node\'s ' +
          'own key as Chef Infra Client signs (Mixlib::Authentication 1.3: X-Ops-Sign, X-Ops-Userid, X-Ops-Timestamp, ' +
          'X-Ops-Content-Hash, X-Ops-Authorization-N) with FOODTRUCK_NODE_AUTH=node-keys; both with FOODTRUCK_NODE_AUTH=both',
      },
      { name: 'operations', description: 'unauthenticated' },
      { name: 'web page', description: 'unauthenticated static files; the page signs in with the admin key' },
    ],
    components: {
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <ADMIN_API_KEY>' },
        nodeKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <NODES_API_KEY>' },
        nodeSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Ops-Authorization-1',
          description: 'a Chef (Mixlib::Authentication 1.3, sha256) signature with the node\'s own key, with its X-Ops-* headers',
        },
        enrollmentSecret: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <FOODTRUCK_ENROLLMENT_SECRET>' },
      },
    },
    paths,
  };
}

const SECURITY: Record<Auth, Array<Record<string, never[]>>> = {
  admin: [{ adminKey: [] }],
  node: [{ nodeKey: [] }, { nodeSignature: [] }],
  enrollment: [{ enrollmentSecret: [] }],
  none: [],
};

function operationObject(operation: Operation, limits: DocumentLimits): Record<string, unknown> {
  const object: Record<string, unknown> = {
    operationId: `${operation.method.toLowerCase()}${openApiPath(operation.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
    summary: operation.summary,
    tags: [operation.tag],
    security: SECURITY[operation.auth],
  };
  if (operation.parameters) {
    object.parameters = operation.parameters.map(({ explode, ...parameter }) => ({
      ...parameter,
      required: parameter.in === 'path',
      ...(explode ? { style: 'form', explode: true } : {}),
    }));
  }
  if (operation.requestBody) {
    object.requestBody = {
      description: operation.requestBody.description,
      required: true,
      content: {
        'application/json': {
          schema: typeof operation.requestBody.json === 'function' ? operation.requestBody.json(limits) : operation.requestBody.json,
        },
      },
    };
  }
  // The route's own answers win over the common ones (a 400 that says more, a 503 of /healthz).
  const answers = { ...commonAnswers(operation), ...operation.answers };
  object.responses = Object.fromEntries(
    Object.entries(answers).map(([code, answer]) => {
      const response: Record<string, unknown> = { description: answer.description };
      if (!answer.empty) {
        response.content = answer.json
          ? { 'application/json': { schema: answer.json } }
          : { [answer.mediaType ?? 'application/octet-stream']: { schema: { type: 'string' } } };
      }
      const headers = answer.headers ?? (Number(code) === 503 ? { 'Retry-After': 'seconds to wait before trying again' } : undefined);
      if (headers) {
        response.headers = Object.fromEntries(
          Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
        );
      }
      return [code, response];
    }),
  );
  return object;
}
