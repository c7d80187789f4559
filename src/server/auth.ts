import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { unauthorized } from './errors.js';

// Keys are compared as SHA-256 digests with timingSafeEqual: equal lengths whatever was sent, so
// neither the key's content nor its length leaks through timing.

/** An onRequest hook; callback-style because it runs on every poll of the fleet and needs no await. */
export type BearerCheck = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

export function requireBearerKey(expectedKey: string): BearerCheck {
  const expected = digest(expectedKey);
  return (request, _reply, done) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    done(match && timingSafeEqual(digest(match[1] as string), expected) ? undefined : unauthorized());
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
