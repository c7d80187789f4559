// The fleet's steady state, answered before Fastify's request life cycle. A poll of `tasks/next`
// without a body or a query, from a node the due index says has nothing due, gets the 404 the route
// answers, byte for byte, at a fraction of the cost (issue 10: Fastify's routing, request and
// reply objects, child logger and hook runners cost more than the rest of an empty poll).
//
// It shares everything that makes the route what it is:
//   - authentication: the node-auth mode's own check (`NodeAuth.acceptsHeaders`), so it runs only
//     in the shared-key mode, whose whole check is the key;
//   - the answer: the route's body and headers;
//   - metrics: the route's request counter and duration histogram under the route's pattern, and
//     the empty-poll counter;
//   - check-ins: the same note of the poll;
//   - logging: the route logs an empty poll at debug only; when debug is on, it steps aside, so
//     the log is the route's own.
// Anything else goes to Fastify unchanged: another route or method, a body, a query, a key the
// check refuses, a node name the route would refuse (or decode), a node with something due, a
// stopping server. Every error, 401 and 400 included, is therefore Fastify's.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeRef } from '../wire/job-request.js';
import { isValidNodePart } from '../wire/names.js';
import { nodeKey } from './due-index.js';
import type { ServerMetrics } from './metrics.js';
import type { NodeAuth } from './node-auth.js';
import type { TaskDelivery } from './task-delivery.js';

export interface EmptyPollFastPathOptions {
  auth: NodeAuth;
  delivery: TaskDelivery;
  metrics: ServerMetrics;
  /** The route's pattern, as its metrics name it. */
  routePattern: string;
  /** The route's answer: its body and headers, in the order the route sets them. */
  body: string;
  headers: Record<string, string>;
  /** The router's longest path parameter; a longer one is the router's to answer. */
  maxParamLength: number;
  /** The same note the route makes of every poll. */
  onPoll: (node: NodeRef, nowMs: number, key: string) => void;
  /** Whether the route would write a line for an empty poll (debug is on). */
  logsEmptyPolls: () => boolean;
}

/** Answers the request and returns true, or returns false and leaves it untouched for Fastify. */
export type EmptyPollFastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

// The route's path, `/organizations/:org/foodtruck/nodes/:name/tasks/next`, in its three fixed
// parts: cut with indexOf and slice rather than a regular expression (its match array and
// captures, at every poll of the fleet).
const ORG_START = '/organizations/';
const NODE_START = '/foodtruck/nodes/';
const TASKS_NEXT = '/tasks/next';

export function createEmptyPollFastPath(options: EmptyPollFastPathOptions): EmptyPollFastPath | undefined {
  const { auth, delivery, metrics, routePattern, body, headers, maxParamLength } = options;
  const acceptsHeaders = auth.acceptsHeaders;
  if (!acceptsHeaders) return undefined;
  const answers = metrics.routeAnswers('POST', routePattern);
  return (request, response) => {
    const started = performance.now();
    if (request.method !== 'POST') return false;
    const url = request.url as string;
    // The cheap test first: every other route answers false here.
    if (!url.endsWith(TASKS_NEXT) || !url.startsWith(ORG_START)) return false;
    const orgEnd = url.indexOf('/', ORG_START.length);
    if (orgEnd === -1 || !url.startsWith(NODE_START, orgEnd)) return false;
    const org = url.slice(ORG_START.length, orgEnd);
    // Neither part may hold a `/` (nor be empty): isValidNodePart refuses both, and so did the
    // router's `:name`.
    const name = url.slice(orgEnd + NODE_START.length, url.length - TASKS_NEXT.length);
    if (org.length > maxParamLength || name.length > maxParamLength || !isValidNodePart(org) || !isValidNodePart(name)) return false;
    const requestHeaders = request.headers;
    if (requestHeaders['transfer-encoding'] !== undefined) return false;
    const length = requestHeaders['content-length'];
    if (length !== undefined && length !== '0') return false;
    if (delivery.held.closing || options.logsEmptyPolls() || !acceptsHeaders(requestHeaders)) return false;
    const nowMs = Date.now();
    // One key for both maps: building and hashing it is a good part of what this path costs.
    const key = nodeKey({ org, name });
    if (delivery.index.mayHaveDue(key, nowMs)) return false;

    options.onPoll({ org, name }, nowMs, key);
    response.writeHead(404, headers);
    response.end(body);
    metrics.countEmptyPoll();
    answers.record(404, (performance.now() - started) / 1000);
    return true;
  };
}
