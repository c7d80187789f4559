import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { unauthorized } from './errors.js';

/** An onRequest hook; callback-style because it runs on every poll of the fleet and needs no await. */
export type BearerCheck = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** Whether an Authorization header carries the expected key as a bearer token. */
export type BearerKeyTest = (authorization: string | undefined) => boolean;

const BEARER = /^Bearer +(\S+) *$/i;

export function requireBearerKey(expectedKey: string): BearerCheck {
  const matches = bearerKeyTest(expectedKey);
  return (request, _reply, done) => done(matches(request.headers.authorization) ? undefined : unauthorized());
}

/**
 * The bearer-key comparison itself, for `requireBearerKey` and for the empty-poll fast path
 * (empty-poll-fast-path.ts), which must accept exactly the requests the hook accepts.
 *
 * Constant time in the key: the comparison always runs over the expected key's whole length,
 * whatever was sent (copied into a zeroed buffer of that length, reused: requests are handled one
 * at a time), and the length check does not cut it short. Only the caller's own input changes
 * the time taken.
 */
export function bearerKeyTest(expectedKey: string): BearerKeyTest {
  const expected = Buffer.from(expectedKey, 'utf8');
  const candidate = Buffer.alloc(expected.length);
  return (authorization) => {
    const match = authorization === undefined ? null : BEARER.exec(authorization);
    if (!match) return false;
    const given = match[1] as string;
    candidate.fill(0);
    candidate.write(given, 'utf8');
    const sameBytes = timingSafeEqual(candidate, expected);
    return sameBytes && Buffer.byteLength(given, 'utf8') === expected.length;
  };
}
