// The one authentication every node route goes through (`applyNodeAuth`), in the mode
// FOODTRUCK_NODE_AUTH names:
//   shared-key  the seed's NODES_API_KEY as a bearer token (the default, unchanged);
//   node-keys   each request signed by the node's own key, as Chef Infra Client signs;
//   both        either, for moving a running fleet from the first to the second.
// A signed request passes when X-Ops-UserId is the node in the path, the signature verifies with
// that node's stored key, its timestamp is within 15 minutes, the body hashes to X-Ops-Content-Hash
// and the same signature was not seen before. Anything else answers 401 {"message":"Unauthorized"};
// the log (never the answer) says which check failed.

import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, pipeline, type TransformCallback } from 'node:stream';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  preParsingHookHandler,
} from 'fastify';
import { bearerKeyTest, requireBearerKey, type BearerCheck } from './auth.js';
import { unauthorized } from './errors.js';
import type { NodeKeyCache } from './node-key-cache.js';
import {
  EMPTY_BODY_HASH,
  looksSigned,
  parseSignedHeaders,
  signatureVerifies,
  type SignatureFailure,
  type SignedHeaders,
} from './node-signature.js';
import { ReplayGuard } from './replay-guard.js';

export const NODE_AUTH_MODES = ['shared-key', 'node-keys', 'both'] as const;
export type NodeAuthMode = (typeof NODE_AUTH_MODES)[number];

/** Which check refused a node request, as the log names it. */
export type NodeAuthFailure = SignatureFailure | 'shared-key' | 'user-id' | 'unknown-node' | 'content-hash' | 'replay';

export interface NodeAuthOptions {
  mode: NodeAuthMode;
  /** NODES_API_KEY; not used in node-keys mode. */
  sharedKey: string | undefined;
  keys: NodeKeyCache;
  replays?: ReplayGuard;
  clock?: () => number;
}

type PreParsingHook = preParsingHookHandler;
type PreValidationHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** The hooks of node authentication; register them with `applyNodeAuth`. */
export interface NodeAuth {
  mode: NodeAuthMode;
  onRequest: BearerCheck;
  /** Signed requests only: hashes the body as it is read. */
  preParsing?: PreParsingHook;
  /** Signed requests only: the body's hash and the replay check, once the body is read. */
  preValidation?: PreValidationHook;
  /**
   * Whether a request passes on its headers alone, exactly as `onRequest` decides, for a mode
   * whose whole check is the shared key (`shared-key`). Absent when a request may need more
   * (signatures, their body hash and replay check). The empty-poll fast path uses it: a request
   * it refuses goes through the hooks above.
   */
  acceptsHeaders?: (headers: IncomingHttpHeaders) => boolean;
}

/**
 * Puts every route registered on `app` (a route plugin's own instance) behind node
 * authentication. Every node route (`/organizations/:org/foodtruck/nodes/:name/...`) uses this,
 * never a check of its own; the route's path must name the node as `:org` and `:name`.
 */
export function applyNodeAuth(app: FastifyInstance, auth: NodeAuth): void {
  app.addHook('onRequest', auth.onRequest);
  if (auth.preParsing) app.addHook('preParsing', auth.preParsing);
  if (auth.preValidation) app.addHook('preValidation', auth.preValidation);
}

interface NodeParams {
  org?: string;
  name?: string;
}

/** What the onRequest check learned of a signed request, for the checks after the body. */
interface SignedState {
  node: string;
  signed: SignedHeaders;
  /** Set once the body was read and hashed (to the right value, or the request was refused). */
  bodyChecked: boolean;
}

const BEARER = /^Bearer +(\S+) *$/i;

export function createNodeAuth(options: NodeAuthOptions): NodeAuth {
  const { mode, keys } = options;
  if (mode === 'shared-key') {
    // The seed's behaviour, byte for byte: nothing else runs on a poll.
    const sharedKey = requiredSharedKey(options);
    const matches = bearerKeyTest(sharedKey);
    return { mode, onRequest: requireBearerKey(sharedKey), acceptsHeaders: (headers) => matches(headers.authorization) };
  }
  const clock = options.clock ?? Date.now;
  const replays = options.replays ?? new ReplayGuard();
  const sharedKeyCheck = mode === 'both' ? requireBearerKey(requiredSharedKey(options)) : undefined;
  const signedRequests = new WeakMap<FastifyRequest, SignedState>();

  const refuse = (request: FastifyRequest, done: (error?: Error) => void, check: NodeAuthFailure, detail?: string) => {
    const { org, name } = request.params as NodeParams;
    request.log.warn({ node: `${org}/${name}`, check, detail }, 'node request refused');
    done(unauthorized());
  };

  const checkSignature: BearerCheck = (request, _reply, done) => {
    const { org, name } = request.params as NodeParams;
    if (org === undefined || name === undefined) return refuse(request, done, 'user-id', 'the route names no node');
    const parsed = parseSignedHeaders(request.headers, clock());
    if (!parsed.ok) return refuse(request, done, parsed.failed, parsed.detail);
    const signed = parsed.value;
    if (signed.userId !== name) {
      return refuse(request, done, 'user-id', `X-Ops-UserId "${signed.userId.slice(0, 255)}" is not the node in the path`);
    }
    const node = { org, name };
    const finish = (key: ReturnType<NodeKeyCache['peek']>) => {
      if (!key) return refuse(request, done, 'unknown-node', 'no key is registered for this node');
      if (!signatureVerifies(request.method, request.url, signed, key)) {
        return refuse(request, done, 'signature', 'the signature does not verify with the node\'s key');
      }
      signedRequests.set(request, { node: `${org}/${name}`, signed, bodyChecked: false });
      done();
    };
    const cached = keys.peek(node);
    if (cached !== undefined) return finish(cached);
    keys.load(node).then(finish, (error: unknown) => done(error as Error));
  };

  const onRequest: BearerCheck = sharedKeyCheck
    ? (request, reply, done) => {
        // `both`: a request with a bearer key is checked as one; a signed request as one.
        if (!looksSigned(request.headers) || BEARER.test(request.headers.authorization ?? '')) {
          return sharedKeyCheck(request, reply, (error) => (error ? refuse(request, done, 'shared-key') : done()));
        }
        checkSignature(request, reply, done);
      }
    : checkSignature;

  const preParsing: PreParsingHook = (request, _reply, payload, done) => {
    const state = signedRequests.get(request);
    if (!state || !hasBody(request.headers)) return done(null, payload);
    const checked = new BodyHashCheck(state, (detail) =>
      request.log.warn({ node: state.node, check: 'content-hash' satisfies NodeAuthFailure, detail }, 'node request refused'),
    );
    pipeline(payload, checked, () => undefined);
    done(null, checked as unknown as typeof payload);
  };

  const preValidation: PreValidationHook = (request, _reply, done) => {
    const state = signedRequests.get(request);
    if (!state) return done();
    if (!state.bodyChecked && state.signed.contentHash !== EMPTY_BODY_HASH) {
      return refuse(request, done, 'content-hash', 'X-Ops-Content-Hash is not the hash of the body');
    }
    if (!replays.claim(state.node, state.signed.signature, state.signed.timestampMs, clock())) {
      return refuse(request, done, 'replay', 'this signature was seen before (or is older than the node\'s newest requests)');
    }
    done();
  };

  return { mode, onRequest, preParsing, preValidation };
}

/**
 * The enrollment route's check: the enrollment secret as a bearer token. Without a secret
 * configured nobody can enroll (keys then come from an administrator only).
 */
export function requireEnrollmentSecret(secret: string | undefined): BearerCheck {
  if (secret === undefined) {
    return (request, _reply, done) => {
      request.log.warn('enrollment refused: FOODTRUCK_ENROLLMENT_SECRET is not set on this server');
      done(unauthorized());
    };
  }
  const check = requireBearerKey(secret);
  return (request, reply, done) =>
    check(request, reply, (error) => {
      if (error) request.log.warn('enrollment refused: wrong or missing enrollment secret');
      done(error);
    });
}

function requiredSharedKey(options: NodeAuthOptions): string {
  if (options.sharedKey === undefined) throw new Error(`node auth mode ${options.mode} needs NODES_API_KEY`);
  return options.sharedKey;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/**
 * Passes the body through unchanged while hashing it; at its end, refuses it (a 401, before any
 * parser sees it) unless it hashes to the signed X-Ops-Content-Hash.
 */
class BodyHashCheck extends Transform {
  readonly #hash: Hash = createHash('sha256');
  /** Read by Fastify's body reader, which compares it with Content-Length. */
  receivedEncodedLength = 0;

  constructor(
    private readonly state: SignedState,
    private readonly onMismatch: (detail: string) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.receivedEncodedLength += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.state.bodyChecked = true;
    if (this.#hash.digest('base64') === this.state.signed.contentHash) return callback();
    this.onMismatch('X-Ops-Content-Hash is not the hash of the body');
    callback(unauthorized());
  }
}
