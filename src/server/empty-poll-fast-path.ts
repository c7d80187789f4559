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
  onPoll: (node: NodeRef, now: Date, key: string) => void;
  /** Whether the route would write a line for an empty poll (debug is on). */
  logsEmptyPolls: () => boolean;
}

/** Answers the request and returns true, or returns false and leaves it untouched for Fastify. */
export type EmptyPollFastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

const TASKS_NEXT = /^\/organizations\/([^/]+)\/foodtruck\/nodes\/([^/]+)\/tasks\/next$/;

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
    if (!url.endsWith('/tasks/next')) return false;
    const match = TASKS_NEXT.exec(url);
    if (!match) return false;
    const org = match[1] as string;
    const name = match[2] as string;
    if (org.length > maxParamLength || name.length > maxParamLength || !isValidNodePart(org) || !isValidNodePart(name)) return false;
    const requestHeaders = request.headers;
    if (requestHeaders['transfer-encoding'] !== undefined) return false;
    const length = requestHeaders['content-length'];
    if (length !== undefined && length !== '0') return false;
    if (delivery.held.closing || options.logsEmptyPolls() || !acceptsHeaders(requestHeaders)) return false;
    const now = new Date();
    // One key for both maps: building and hashing it is a good part of what this path costs.
    const key = nodeKey({ org, name });
    if (delivery.index.mayHaveDue(key, now.getTime())) return false;

    options.onPoll({ org, name }, now, key);
    response.writeHead(404, headers);
    response.end(body);
    metrics.emptyPolls.inc();
    answers.record(404, (performance.now() - started) / 1000);
    return true;
  };
}
