import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './errors.js';

// Keys are compared as SHA-256 digests with timingSafeEqual: equal lengths whatever was sent, so
// neither the key's content nor its length leaks through timing.

export type BearerCheck = (request: FastifyRequest) => Promise<void>;

export function requireBearerKey(expectedKey: string): BearerCheck {
  const expected = digest(expectedKey);
  return async (request) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) throw unauthorized();
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
