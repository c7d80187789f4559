// Long polls: a Foodtruck server that can hold a poll says so on every tasks/next answer
// (`X-Foodtruck-Long-Poll: <longest wait>`). Once the client has seen it, it asks each poll to
// wait (`?wait=30s`) and polls again as soon as a wait ends, so a task reaches the node the moment
// it is created. Against the original server (no such header) it keeps polling on its interval,
// and after errors it keeps the interval as its pace (see agent.ts).

import { formatGoDuration, parseGoDuration } from '../wire/go-duration.js';
import { spread } from './backoff.js';

/** What the client asks for, or the server's longest wait if that is shorter. */
export const LONG_POLL_WAIT_MS = 30_000;
/** The header a long-polling server sets on every tasks/next answer. */
export const LONG_POLL_HEADER = 'x-foodtruck-long-poll';
/**
 * A long poll answered empty much sooner than its wait (the server is stopping, or something on
 * the way drops the query) is not polled again at once, but after the interval: no tight loop.
 */
const EARLY_ANSWER_SHARE = 0.5;
/** After a long poll ends empty, the next one starts within this: a restarted fleet spreads out. */
const REPOLL_SPREAD_MS = 1_000;

export class LongPoll {
  /** The server's longest wait, as it last advertised it; undefined: it holds no polls. */
  #serverMaxMs: number | undefined;

  /** The wait to ask of the next poll, or undefined to poll as the original client did. */
  nextWaitMs(): number | undefined {
    if (this.#serverMaxMs === undefined || this.#serverMaxMs <= 0) return undefined;
    return Math.min(LONG_POLL_WAIT_MS, this.#serverMaxMs);
  }

  /** The query to add to tasks/next for `waitMs`. */
  static query(waitMs: number): string {
    return `?wait=${formatGoDuration(waitMs)}`;
  }

  /** Learns from a tasks/next answer's header whether the server holds polls (every answer says). */
  learn(header: string | string[] | undefined): void {
    const text = Array.isArray(header) ? header[0] : header;
    const ms = text === undefined ? undefined : parseGoDuration(text.trim());
    this.#serverMaxMs = ms !== undefined && ms > 0 ? ms : undefined;
  }

  /**
   * The pause before the next poll after one that found nothing: next to none after a long poll
   * that waited its time, the interval (spread) otherwise.
   */
  idleDelayMs(poll: { waitMs: number | undefined; tookMs: number }, intervalMs: number, random: () => number): number {
    if (poll.waitMs !== undefined && poll.tookMs >= poll.waitMs * EARLY_ANSWER_SHARE) return random() * REPOLL_SPREAD_MS;
    return spread(intervalMs, random);
  }
}
