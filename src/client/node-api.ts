// The node routes: the two of the wire contract, and the facts report; what each answer means for
// the client.

import type { ReportableStatus } from '../wire/task-status.js';
import type { ClientConfig } from './config.js';
import type { HttpAnswer, HttpTransport, RequestOptions } from './http-transport.js';
import { LONG_POLL_HEADER, LongPoll } from './long-poll.js';
import type { RequestAuthenticator } from './request-auth.js';
import { parseTask, type ParsedTask } from './task.js';

export interface StatusReport {
  job_id: string;
  /** `cancelled` only after the server asked this node to stop the task. */
  status: ReportableStatus | 'cancelled';
  result?: { exit_code: number; reason: string; output?: string };
  /** On `running`: how often this client re-reports while the provider runs (a Go duration). */
  heartbeat_interval?: string;
}

/** `waitMs`: what the poll asked the server to wait (a long poll); `tookMs`: how long it took. */
export type PollAnswer = { kind: 'none'; waitMs: number | undefined; tookMs: number } | ({ kind: 'task' } & { parsed: ParsedTask });

export type FactsAnswer = { kind: 'accepted' } | { kind: 'refused'; status: number; message: string };

export type DeliveryAnswer =
  /** `cancel`: the server answered `{"cancel": true}`, an administrator asked to stop the task. */
  | { kind: 'accepted'; cancel: boolean }
  /** The server will never take this report (e.g. 404 not targeted, 409 already final). */
  | { kind: 'refused'; status: number; message: string };

/** The server could not be reached or could not answer now; worth trying again later. */
export class ServerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerUnavailableError';
  }
}

/** Answers that may well be different on a later attempt. */
const RETRYABLE_CLIENT_ERRORS = new Set([401, 403, 408, 425, 429]);

export class NodeApi {
  private readonly tasksUrl: string;
  private readonly factsUrl: string;
  private readonly requestTimeoutMs: number;

  constructor(
    config: ClientConfig,
    private readonly transport: HttpTransport,
    private readonly authenticate: RequestAuthenticator,
  ) {
    this.requestTimeoutMs = config.requestTimeoutMs;
    const nodeUrl = `${config.baseUrl}/organizations/${config.node.org}/foodtruck/nodes/${config.node.name}`;
    this.tasksUrl = `${nodeUrl}/tasks`;
    this.factsUrl = `${nodeUrl}/facts`;
  }

  /** Sends the node's facts (a JSON body); a 4xx other than the retryable ones is a refusal. */
  async reportFacts(json: string): Promise<FactsAnswer> {
    const answer = await this.send('PUT', new URL(this.factsUrl), Buffer.from(json, 'utf8'), {
      'Content-Type': 'application/json',
    });
    if (answer.status >= 200 && answer.status < 300) return { kind: 'accepted' };
    if (answer.status >= 400 && answer.status < 500 && !RETRYABLE_CLIENT_ERRORS.has(answer.status)) {
      return { kind: 'refused', status: answer.status, message: messageOf(answer) ?? snippet(answer.body) };
    }
    throw unexpected('facts', answer);
  }

  /** What this client learned of the server's long polls, from its tasks/next answers. */
  readonly longPoll = new LongPoll();

  /** Asks for the next task, as a long poll once the server said it holds them; `signal` abandons it. */
  async pollNextTask(signal?: AbortSignal): Promise<PollAnswer> {
    const waitMs = this.longPoll.nextWaitMs();
    const started = performance.now();
    const answer = await this.post('next', Buffer.alloc(0), {}, {
      ...(waitMs === undefined ? {} : { query: LongPoll.query(waitMs), timeoutMs: this.requestTimeoutMs + waitMs }),
      ...(signal ? { signal } : {}),
    });
    this.longPoll.learn(answer.headers[LONG_POLL_HEADER]);
    if (answer.status === 200) return { kind: 'task', parsed: parseTask(answer.body) };
    if (answer.status === 404 && messageOf(answer) === 'no tasks available') {
      return { kind: 'none', waitMs, tookMs: performance.now() - started };
    }
    throw unexpected('tasks/next', answer);
  }

  async reportStatus(report: StatusReport): Promise<DeliveryAnswer> {
    const answer = await this.post('status', Buffer.from(JSON.stringify(report), 'utf8'), {
      'Content-Type': 'application/json',
    });
    if (answer.status >= 200 && answer.status < 300) return { kind: 'accepted', cancel: asksToCancel(answer) };
    if (answer.status >= 400 && answer.status < 500 && !RETRYABLE_CLIENT_ERRORS.has(answer.status)) {
      return { kind: 'refused', status: answer.status, message: messageOf(answer) ?? snippet(answer.body) };
    }
    throw unexpected('tasks/status', answer);
  }

  private async post(
    route: string,
    body: Buffer,
    headers: Record<string, string> = {},
    options: RequestOptions & { query?: string } = {},
  ): Promise<HttpAnswer> {
    const url = new URL(`${this.tasksUrl}/${route}${options.query ?? ''}`);
    // Signed without the query, as Chef's request signing does.
    const auth = this.authenticate('POST', url.pathname, body);
    try {
      return await this.transport.request('POST', url, { ...headers, ...auth }, body, options);
    } catch (error) {
      throw new ServerUnavailableError((error as Error).message, { cause: error });
    }
  }

  /** A request other than a task route's POST (the facts report's PUT), signed alike. */
  private async send(method: string, url: URL, body: Buffer, headers: Record<string, string>): Promise<HttpAnswer> {
    const auth = this.authenticate(method, url.pathname, body);
    try {
      return await this.transport.request(method, url, { ...headers, ...auth }, body);
    } catch (error) {
      throw new ServerUnavailableError((error as Error).message, { cause: error });
    }
  }
}

function unexpected(route: string, answer: HttpAnswer): ServerUnavailableError {
  const message = messageOf(answer) ?? snippet(answer.body);
  return new ServerUnavailableError(`${route} answered ${answer.status}${message ? `: ${message}` : ''}`);
}

function asksToCancel(answer: HttpAnswer): boolean {
  try {
    const parsed = JSON.parse(answer.body) as { cancel?: unknown } | null;
    return parsed?.cancel === true;
  } catch {
    return false;
  }
}

function messageOf(answer: HttpAnswer): string | undefined {
  try {
    const parsed = JSON.parse(answer.body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

function snippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}
