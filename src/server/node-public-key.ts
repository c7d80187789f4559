// What the server accepts as a node's public key: an RSA public key in PEM (SPKI "PUBLIC KEY", as
// a Chef Infra Server exports a client's key, or PKCS#1 "RSA PUBLIC KEY"), stored normalized.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** Chef Infra Client's keys are 2048 bits; anything shorter is refused. */
export const MIN_NODE_KEY_BITS = 2048;
/** Far more than any RSA public key PEM needs. */
export const MAX_PUBLIC_KEY_PEM_LENGTH = 16 * 1024;

export interface NodePublicKey {
  /** SPKI PEM: equal keys have equal text, whatever form they came in. */
  pem: string;
  key: KeyObject;
  /** Hex SHA-256 of the key's SPKI DER: the same as `openssl pkey -pubin -outform DER | sha256sum`. */
  fingerprint: string;
}

export type ParsedPublicKey = { ok: true; value: NodePublicKey } | { ok: false; message: string };

const INVALID = 'public_key must be an RSA public key in PEM ("-----BEGIN PUBLIC KEY-----")';

export function parseNodePublicKey(text: unknown): ParsedPublicKey {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, message: INVALID };
  if (text.length > MAX_PUBLIC_KEY_PEM_LENGTH) return { ok: false, message: `${INVALID}, at most ${MAX_PUBLIC_KEY_PEM_LENGTH} characters` };
  // createPublicKey would derive the public half of a private key: a private key must never be sent.
  if (/PRIVATE KEY/.test(text)) return { ok: false, message: 'public_key must be a public key: never send a private key' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    return { ok: false, message: INVALID };
  }
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, message: INVALID };
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_NODE_KEY_BITS) return { ok: false, message: `public_key must have at least ${MIN_NODE_KEY_BITS} bits, got ${bits}` };
  return { ok: true, value: nodePublicKeyOf(key) };
}

export function nodePublicKeyOf(key: KeyObject): NodePublicKey {
  const der = key.export({ type: 'spki', format: 'der' });
  return {
    pem: key.export({ type: 'spki', format: 'pem' }) as string,
    key,
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}
