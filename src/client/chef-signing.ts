// Signs a request the way Chef Infra Client does (Mixlib::Authentication, protocol version 1.3),
// so that a Chef Infra Server in front of Foodtruck can check it against the node's public key.

import { createHash, sign, type KeyObject } from 'node:crypto';

export const CHEF_SERVER_API_VERSION = '1';

export interface ChefRequest {
  method: string;
  /** The URL's path, without query string; as it goes on the wire. */
  path: string;
  body: Buffer;
  /** The client (node) name the Chef Infra Server looks the public key up by. */
  userId: string;
  privateKey: KeyObject;
  timestamp: Date;
}

/** The X-Ops-* headers of a signed request. */
export function chefSignedHeaders(request: ChefRequest): Record<string, string> {
  const timestamp = canonicalTime(request.timestamp);
  const contentHash = createHash('sha256').update(request.body).digest('base64');
  const canonical = [
    `Method:${request.method.toUpperCase()}`,
    `Path:${canonicalPath(request.path)}`,
    `X-Ops-Content-Hash:${contentHash}`,
    'X-Ops-Sign:version=1.3',
    `X-Ops-Timestamp:${timestamp}`,
    `X-Ops-UserId:${request.userId}`,
    `X-Ops-Server-API-Version:${CHEF_SERVER_API_VERSION}`,
  ].join('\n');
  const signature = sign('sha256', Buffer.from(canonical, 'utf8'), request.privateKey).toString('base64');

  const headers: Record<string, string> = {
    // Byte for byte what Chef Infra Client sends, trailing semicolon included.
    'X-Ops-Sign': 'algorithm=sha256;version=1.3;',
    'X-Ops-Userid': request.userId,
    'X-Ops-Timestamp': timestamp,
    'X-Ops-Content-Hash': contentHash,
    'X-Ops-Server-API-Version': CHEF_SERVER_API_VERSION,
  };
  // Ruby's Base64.encode64 breaks lines every 60 characters; each line is one header.
  for (let line = 0; line * 60 < signature.length; line++) {
    headers[`X-Ops-Authorization-${line + 1}`] = signature.slice(line * 60, line * 60 + 60);
  }
  return headers;
}

/** UTC, whole seconds, `Z`: Ruby's `Time#utc.iso8601`. */
function canonicalTime(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

/** Repeated slashes collapsed, a trailing slash dropped unless the path is just "/". */
function canonicalPath(path: string): string {
  const collapsed = path.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}
