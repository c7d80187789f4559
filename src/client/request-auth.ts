// The credentials on each request: the nodes API key as a bearer token, or a Chef signature made
// with the node's own client key when a Chef Infra Server sits in front of Foodtruck.

import { chefSignedHeaders } from './chef-signing.js';
import type { ClientAuth } from './config.js';

export type RequestAuthenticator = (method: string, path: string, body: Buffer) => Record<string, string>;

export function requestAuthenticator(auth: ClientAuth, nodeName: string): RequestAuthenticator {
  if (auth.type === 'apiKey') {
    const header = { Authorization: `Bearer ${auth.key}` };
    return () => header;
  }
  return (method, path, body) =>
    chefSignedHeaders({ method, path, body, userId: nodeName, privateKey: auth.privateKey, timestamp: new Date() });
}
