// The node's own key pair for `nodeKey` auth when no `key_path` is configured: made on first
// start and kept in the state directory, readable by its owner only.

import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export const NODE_KEY_FILE = 'node_key.pem';

/** The key kept in `stateDir`, made now if there is none; `created` says which. */
export function loadOrCreateNodeKey(stateDir: string): { privateKey: KeyObject; file: string; created: boolean } {
  const file = path.join(stateDir, NODE_KEY_FILE);
  const existing = readKey(file);
  if (existing) return { privateKey: existing, file, created: false };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // PKCS#1, as Chef's client.pem: the same file works with `key_path` elsewhere.
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // A link never replaces a file: should another process have made a key meanwhile, that
    // one is kept, and used here too.
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  const kept = readKey(file);
  if (!kept) throw new Error(`${file}: the key just written cannot be read back`);
  return { privateKey: kept, file, created: kept.equals(privateKey) };
}

function readKey(file: string): KeyObject | undefined {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${file} holds a ${key.asymmetricKeyType ?? 'non-RSA'} key, not RSA`);
  return key;
}
