import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { unauthorized } from './errors.js';

/** An onRequest hook; callback-style because it runs on every poll of the fleet and needs no await. */
export type BearerCheck = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

const BEARER = /^Bearer +(\S+) *$/i;

export function requireBearerKey(expectedKey: string): BearerCheck {
  const expected = Buffer.from(expectedKey, 'utf8');
  return (request, _reply, done) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : BEARER.exec(header);
    done(match && keyMatches(match[1] as string, expected) ? undefined : unauthorized());
  };
}

/**
 * Constant time in the key: the comparison always runs over the expected key's whole length,
 * whatever was sent (copied into a buffer of that length), and the length check does not cut it
 * short. Only the caller's own input changes the time taken.
 */
function keyMatches(given: string, expected: Buffer): boolean {
  const sent = Buffer.from(given, 'utf8');
  const candidate = Buffer.alloc(expected.length);
  sent.copy(candidate);
  const sameBytes = timingSafeEqual(candidate, expected);
  return sameBytes && sent.length === expected.length;
}
