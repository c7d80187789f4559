// Empty polls per second with FOODTRUCK_NODE_AUTH=shared-key and node-keys, measured in the same
// run by the same load loop. A signed poll is accepted once (replays are refused), so every poll
// of the node-keys run is signed beforehand, outside the measured time: signing 2048-bit RSA costs
// the load generator far more than verifying costs the server. The shared-key run sends the very
// same number of polls over the same connections, so the two figures differ only by the check.

import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { chefSignedHeaders } from '../src/client/chef-signing.js';
import type { ServerProcess, ServerProcessOptions } from '../test/support/server-process.js';

export interface NodeAuthPollFigures {
  mode: string;
  polls: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 404 "no tasks available". */
  unexpected: number;
}

const FLEET = 1_000;

export async function benchNodeAuthPolls(
  startServer: (options: ServerProcessOptions) => Promise<ServerProcess>,
  options: { polls: number; connections: number },
): Promise<NodeAuthPollFigures[]> {
  const nodes = Array.from({ length: FLEET }, (_, i) => `poll-${i}`);
  const pathOf = (name: string) => `/organizations/bench/foodtruck/nodes/${name}/tasks/next`;
  // One key pair for the whole fleet: each node has it registered under its own name, and the
  // server keeps (and verifies with) one parsed key per node as it would for distinct keys.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const perNode = Math.ceil(options.polls / FLEET);
  const start = Math.floor(Date.now() / 1000);
  const signed: Array<{ path: string; headers: Record<string, string> }> = [];
  // Round after round over the fleet, each round one second later: every poll is distinct, and
  // each node's polls arrive in the order they were signed, as a real node's would.
  for (let round = 0; round < perNode && signed.length < options.polls; round++) {
    for (const name of nodes) {
      if (signed.length === options.polls) break;
      const path = pathOf(name);
      signed.push({
        path,
        headers: chefSignedHeaders({ method: 'POST', path, body: Buffer.alloc(0), userId: name, privateKey, timestamp: new Date((start + round) * 1000) }),
      });
    }
  }

  const figures: NodeAuthPollFigures[] = [];
  for (const mode of ['shared-key', 'node-keys'] as const) {
    const server = await startServer({ env: { FOODTRUCK_NODE_AUTH: mode } });
    try {
      if (mode === 'node-keys') {
        for (const name of nodes) {
          const answer = await request(server.url, 'PUT', `/admin/nodes/bench/${name}/key`, { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' }, JSON.stringify({ public_key: publicPem }));
          if (answer !== 200) throw new Error(`registering the key of ${name}: ${answer}`);
        }
      }
      const requests =
        mode === 'node-keys'
          ? signed
          : signed.map(({ path }) => ({ path, headers: { authorization: `Bearer ${server.nodesKey}` } }));
      // A short warm-up with other nodes' polls is not possible for node-keys (each is accepted
      // once); both runs start cold alike.
      figures.push({ mode, ...(await firePolls(server.url, requests, options.connections)) });
    } finally {
      await server.stop();
      server.cleanup();
    }
  }
  return figures;
}

async function firePolls(
  url: string,
  requests: Array<{ path: string; headers: Record<string, string> }>,
  connections: number,
): Promise<Omit<NodeAuthPollFigures, 'mode'>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let next = 0;
  let unexpected = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests.length) {
      const { path, headers } = requests[next++] as (typeof requests)[number];
      const sent = performance.now();
      const status = await request(url, 'POST', path, headers, '', agent);
      latencies.push(performance.now() - sent);
      if (status !== 404) unexpected++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { polls: requests.length, seconds, perSecond: requests.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), unexpected };
}

function request(url: string, method: string, path: string, headers: Record<string, string>, body: string, agent?: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(`${url}${path}`, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent });
    outgoing.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
