// The credentials on each request: the nodes API key as a bearer token, or a Chef signature made
// with the node's own key, when a Chef Infra Server sits in front of Foodtruck (`chefServer`) or
// when Foodtruck verifies it itself (`nodeKey`).

import { createHash, type KeyObject } from 'node:crypto';
import { chefSignedHeaders } from './chef-signing.js';

export type RequestAuthenticator = (method: string, path: string, body: Buffer) => Record<string, string>;

export type SigningCredentials = { type: 'apiKey'; key: string } | { type: 'chefServer' | 'nodeKey'; privateKey: KeyObject };

export function requestAuthenticator(auth: SigningCredentials, nodeName: string, clock: () => number = Date.now): RequestAuthenticator {
  if (auth.type === 'apiKey') {
    const header = { Authorization: `Bearer ${auth.key}` };
    return () => header;
  }
  if (auth.type === 'chefServer') {
    return (method, path, body) =>
      chefSignedHeaders({ method, path, body, userId: nodeName, privateKey: auth.privateKey, timestamp: new Date(clock()) });
  }
  // Foodtruck refuses a signature it has seen before, and a signature covers the time in whole
  // seconds: the same request twice within a second (a poll right after a poll) would sign the
  // same. Such a repeat is signed one second later instead, which the server's 15 minutes allow.
  const lastSecond = new Map<string, number>();
  return (method, path, body) => {
    const request = `${method} ${path} ${createHash('sha256').update(body).digest('base64')}`;
    let second = Math.floor(clock() / 1000);
    const previous = lastSecond.get(request);
    if (previous !== undefined && second <= previous) second = previous + 1;
    lastSecond.set(request, second);
    if (lastSecond.size > 100) {
      const now = Math.floor(clock() / 1000);
      for (const [key, used] of lastSecond) if (used < now) lastSecond.delete(key);
    }
    return chefSignedHeaders({ method, path, body, userId: nodeName, privateKey: auth.privateKey, timestamp: new Date(second * 1000) });
  };
}
