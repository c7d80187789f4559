// `nodeKey` auth with an enrollment secret: at start the client presents its public key to the
// server once. The server keeps the first key enrolled for the node; the same key again is fine,
// so enrolling at every start costs one request and changes nothing.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { formatGoDuration } from '../wire/go-duration.js';
import { backoffDelay, sleep } from './backoff.js';
import type { ClientConfig } from './config.js';
import type { HttpTransport } from './http-transport.js';
import type { Logger } from './log.js';

/** The server will not take this key (wrong secret, another key enrolled): a person must act. */
export class EnrollmentRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnrollmentRefusedError';
  }
}

const RETRY_BASE_MS = 5_000;

/**
 * Enrolls the node's public key; retries while the server cannot be reached or answers 5xx, until
 * it answers or `signal` aborts (then resolves false). Throws EnrollmentRefusedError on a refusal.
 */
export async function enrollNodeKey(
  config: ClientConfig,
  transport: HttpTransport,
  privateKey: KeyObject,
  secret: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  const { org, name } = config.node;
  const url = new URL(`${config.baseUrl}/organizations/${org}/foodtruck/nodes/${name}/key`);
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  const body = Buffer.from(JSON.stringify({ public_key: publicKey }), 'utf8');
  const headers = { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' };
  for (let attempt = 0; !signal.aborted; attempt++) {
    let problem: string;
    try {
      const answer = await transport.request('POST', url, headers, body);
      const parsed = parseJson(answer.body);
      if (answer.status === 200) {
        logger.info('node key enrolled', { fingerprint: String(parsed.fingerprint ?? ''), source: String(parsed.source ?? '') });
        return true;
      }
      const message = typeof parsed.message === 'string' ? parsed.message : answer.body.slice(0, 200);
      if (answer.status === 401) {
        throw new EnrollmentRefusedError('enrollment refused (401): the enrollment secret is wrong, or the server takes no enrollments (FOODTRUCK_ENROLLMENT_SECRET)');
      }
      if (answer.status >= 400 && answer.status < 500) throw new EnrollmentRefusedError(`enrollment refused (${answer.status}): ${message}`);
      problem = `enrollment answered ${answer.status}: ${message}`;
    } catch (error) {
      if (error instanceof EnrollmentRefusedError) throw error;
      problem = `enrollment failed: ${(error as Error).message}`;
    }
    const delay = backoffDelay(attempt, Math.min(RETRY_BASE_MS, config.intervalMs), config.maxBackoffMs);
    logger.warn(problem, { retry_in: formatGoDuration(Math.round(delay)) });
    await sleep(delay, signal);
  }
  return false;
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
