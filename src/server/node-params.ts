// The node named in a node route's path (`/organizations/:org/foodtruck/nodes/:name/...`).

import type { FastifyRequest } from 'fastify';
import type { NodeRef } from '../wire/job-request.js';
import { isValidNodePart } from '../wire/names.js';
import { badRequest } from './errors.js';

export interface NodeParams {
  org: string;
  name: string;
}

export function nodeOf(request: FastifyRequest<{ Params: NodeParams }>): NodeRef {
  const { org, name } = request.params;
  if (!isValidNodePart(org) || !isValidNodePart(name)) {
    throw badRequest('invalid node: org and name take 1 to 255 letters, digits, ".", "_", "-", ":" or "@"');
  }
  return { org, name };
}
