// Checks a request signed the way Chef Infra Client signs (Mixlib::Authentication, protocol 1.3,
// sha256): the server's side of `src/client/chef-signing.ts`. Pure functions over the method, the
// path, the headers and a public key; the body's hash is compared by the caller once the body has
// been read (`node-auth.ts`).

import { createHash, verify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Mixlib's allowed clock difference between signer and verifier, either way. */
export const SIGNATURE_TIME_SKEW_MS = 15 * 60_000;

/** Mixlib's X-Ops-Server-API-Version when a request does not send one. */
const DEFAULT_SERVER_API_VERSION = '0';

/** The base64 SHA-256 of an empty body: what a signed request without a body must carry. */
export const EMPTY_BODY_HASH = createHash('sha256').digest('base64');

/** Which check refused a request: logged by the server, never answered. */
export type SignatureFailure =
  | 'missing-headers'
  | 'sign-version'
  | 'timestamp-format'
  | 'timestamp-skew'
  | 'signature';

export interface SignedHeaders {
  userId: string;
  /** The X-Ops-Content-Hash sent: base64 SHA-256 of the body, checked against the body later. */
  contentHash: string;
  /** The signing time, in ms since the epoch, whole seconds. */
  timestampMs: number;
  /** The signature, base64 (the X-Ops-Authorization-N lines joined). */
  signature: string;
  serverApiVersion: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; failed: SignatureFailure; detail: string };

/** True when the request carries any of Chef's signing headers, i.e. it means to be signed. */
export function looksSigned(headers: IncomingHttpHeaders): boolean {
  return headers['x-ops-sign'] !== undefined || headers['x-ops-authorization-1'] !== undefined;
}

const REQUIRED = ['x-ops-sign', 'x-ops-userid', 'x-ops-timestamp', 'x-ops-content-hash', 'x-ops-authorization-1'] as const;
/** Ruby's Time#iso8601 output, with the offsets and fractions Time.parse also takes. */
const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const MAX_SIGNATURE_LINES = 64;

/** Reads the X-Ops-* headers; `now` bounds the timestamp (±15 minutes, as Mixlib). */
export function parseSignedHeaders(headers: IncomingHttpHeaders, now: number): Parsed<SignedHeaders> {
  const missing = REQUIRED.filter((name) => typeof headers[name] !== 'string' || (headers[name] as string).trim() === '');
  if (missing.length > 0) return { ok: false, failed: 'missing-headers', detail: `missing ${missing.join(', ')}` };
  const description = parseSigningDescription(headers['x-ops-sign'] as string);
  if (description.version !== '1.3' || description.algorithm !== 'sha256') {
    return { ok: false, failed: 'sign-version', detail: `X-Ops-Sign "${headers['x-ops-sign'] as string}" is not algorithm=sha256;version=1.3` };
  }
  const timestampText = (headers['x-ops-timestamp'] as string).trim();
  const match = TIMESTAMP.exec(timestampText);
  const timestampMs = match ? Date.parse(timestampText) : NaN;
  if (!match || Number.isNaN(timestampMs)) {
    return { ok: false, failed: 'timestamp-format', detail: `X-Ops-Timestamp "${timestampText.slice(0, 40)}" is not an ISO 8601 time` };
  }
  // Mixlib signs the time in whole seconds: a fraction sent is dropped, as Time#iso8601 drops it.
  const wholeSeconds = Math.floor(timestampMs / 1000) * 1000;
  if (!(Math.abs(now - wholeSeconds) < SIGNATURE_TIME_SKEW_MS)) {
    return { ok: false, failed: 'timestamp-skew', detail: `signed at ${timestampText}, more than 15 minutes from the server's clock` };
  }
  const lines: string[] = [];
  for (let line = 1; line <= MAX_SIGNATURE_LINES; line++) {
    const value = headers[`x-ops-authorization-${line}`];
    if (typeof value !== 'string') break;
    lines.push(value.trim());
  }
  const apiVersion = headers['x-ops-server-api-version'];
  return {
    ok: true,
    value: {
      userId: (headers['x-ops-userid'] as string).trim(),
      contentHash: (headers['x-ops-content-hash'] as string).trim(),
      timestampMs: wholeSeconds,
      signature: lines.join(''),
      serverApiVersion: typeof apiVersion === 'string' ? apiVersion.trim() : DEFAULT_SERVER_API_VERSION,
    },
  };
}

/** The text Mixlib 1.3 signs: what the signature must verify over. */
export function canonicalRequest(method: string, path: string, signed: SignedHeaders): string {
  return [
    `Method:${method.toUpperCase()}`,
    `Path:${canonicalPath(path)}`,
    `X-Ops-Content-Hash:${signed.contentHash}`,
    'X-Ops-Sign:version=1.3',
    `X-Ops-Timestamp:${new Date(signed.timestampMs).toISOString().slice(0, 19)}Z`,
    `X-Ops-UserId:${signed.userId}`,
    `X-Ops-Server-API-Version:${signed.serverApiVersion}`,
  ].join('\n');
}

/** RSASSA-PKCS1-v1_5 with SHA-256 over the canonical request, as OpenSSL's `verify` in Mixlib. */
export function signatureVerifies(method: string, path: string, signed: SignedHeaders, publicKey: KeyObject): boolean {
  const signature = Buffer.from(signed.signature, 'base64');
  if (signature.length === 0) return false;
  try {
    return verify('sha256', Buffer.from(canonicalRequest(method, path, signed), 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}

/** Repeated slashes collapsed, a trailing slash dropped unless the path is just "/"; no query. */
export function canonicalPath(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const collapsed = path.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

function parseSigningDescription(text: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const part of text.trim().split(';')) {
    const [name, value] = part.split('=');
    if (name && value !== undefined) parts[name.trim()] = value.trim();
  }
  return parts;
}
