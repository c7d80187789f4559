// One HTTP request at a time, with Node's own http/https and a hard deadline, so that a server
// that accepts a connection and never answers cannot hold the client forever.

import http from 'node:http';
import https from 'node:https';
import { setLongTimeout } from './long-timer.js';

export interface HttpAnswer {
  status: number;
  body: string;
  /** Header names in lower case, as Node gives them. */
  headers: http.IncomingHttpHeaders;
}

export interface RequestOptions {
  /** Instead of the transport's own timeout (a long poll waits on top of it). */
  timeoutMs?: number;
  /** Aborts the request (the agent is stopping). */
  signal?: AbortSignal;
}

export interface HttpTransportOptions {
  timeoutMs: number;
  /** False only when SSL_NO_VERIFY asks for it. */
  tlsVerify: boolean;
}

/** A job's spec can be large (the server accepts big job bodies); anything beyond this is not a task. */
const MAX_ANSWER_BYTES = 128 * 1024 * 1024;

/** The request never got an answer: refused, reset, timed out, a TLS failure... */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export class HttpTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  request(method: string, url: URL, headers: Record<string, string>, body: Buffer, options: RequestOptions = {}): Promise<HttpAnswer> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const secure = url.protocol === 'https:';
    const send = secure ? https.request : http.request;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        deadline.clear();
        options.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(answer as HttpAnswer);
      };
      const request = send(url, {
        method,
        headers: { ...headers, 'Content-Length': String(body.length), Accept: 'application/json' },
        // A fresh connection per request: polls are minutes apart and idle sockets go stale.
        agent: false,
        ...(secure ? { rejectUnauthorized: this.options.tlsVerify } : {}),
      });
      const deadline = setLongTimeout(() => {
        const error = new TransportError(`no answer from ${url.origin} within ${timeoutMs}ms`);
        request.destroy(error);
        finish(error);
      }, timeoutMs);
      const onAbort = () => {
        const error = new TransportError(`${method} ${url.href}: abandoned, the client is stopping`);
        request.destroy(error);
        finish(error);
      };
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (error) => finish(new TransportError(`${method} ${url.href}: ${error.message}`, { cause: error })));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            const error = new TransportError(`${method} ${url.href}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
            request.destroy(error);
            finish(error);
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => finish(new TransportError(`${method} ${url.href}: ${error.message}`, { cause: error })));
        response.on('end', () =>
          finish(undefined, {
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: response.headers,
          }),
        );
      });
      request.end(body);
    });
  }
}
