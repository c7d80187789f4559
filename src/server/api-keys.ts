// On the embedded store a missing key is generated once and kept in the data directory, readable
// by its owner only, so that one command starts a working, protected server.

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ApiKeys {
  admin: string;
  nodes: string;
}

export interface KeyOrigin {
  variable: 'ADMIN_API_KEY' | 'NODES_API_KEY';
  /** Where a generated key is kept; undefined when it came from the environment. */
  file: string | undefined;
  generated: boolean;
}

export function resolveApiKeys(
  configured: { admin: string | undefined; nodes: string | undefined },
  dataDir: string,
): { keys: ApiKeys; origins: KeyOrigin[] } {
  const admin = keptKey(configured.admin, dataDir, 'ADMIN_API_KEY', 'admin_api_key');
  const nodes = keptKey(configured.nodes, dataDir, 'NODES_API_KEY', 'nodes_api_key');
  return { keys: { admin: admin.key, nodes: nodes.key }, origins: [admin.origin, nodes.origin] };
}

function keptKey(
  configured: string | undefined,
  dataDir: string,
  variable: KeyOrigin['variable'],
  fileName: string,
): { key: string; origin: KeyOrigin } {
  if (configured) return { key: configured, origin: { variable, file: undefined, generated: false } };
  const file = path.join(dataDir, fileName);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length > 0) return { key: kept, origin: { variable, file, generated: false } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(20).toString('hex');
  // `wx`: never overwrite a key another process wrote meanwhile.
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, origin: { variable, file, generated: true } };
}
