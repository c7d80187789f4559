// Waiting between attempts, so that ten thousand nodes neither hammer a struggling server in step
// nor all come back at the same instant.

import { setLongTimeout } from './long-timer.js';

/**
 * The wait before retry number `attempt` (0 for the first): doubling from `baseMs` up to `capMs`,
 * then a random point in its upper half ("equal jitter"), so it never shrinks to nothing.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** A regular wait spread by ±10%, so that nodes started together drift apart. */
export function spread(ms: number, random: () => number = Math.random): number {
  return ms * (0.9 + random() * 0.2);
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      timer.clear();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setLongTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
