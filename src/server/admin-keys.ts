// Named admin keys: ADMIN_API_KEY (named "admin") and, with FOODTRUCK_ADMIN_KEYS_FILE, a file of
// more, each with its holder's name, so that every admin action says who did it. The file holds
// only SHA-256 hashes of the keys, one `name:sha256-hex` per line (`#` comments and blank lines
// allowed), and is read again on SIGHUP: a key is added or revoked without a restart. A file that
// cannot be read or parsed keeps the previous set.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { requireBearerKey, type BearerCheck } from './auth.js';
import { unauthorized } from './errors.js';
import { isAdminKeyName } from '../wire/admin-key-name.js';

/** The name ADMIN_API_KEY's holder goes by. */
export const ADMIN_API_KEY_NAME = 'admin';
const HASH = /^[0-9a-f]{64}$/;
const BEARER = /^Bearer +(\S+) *$/i;

declare module 'fastify' {
  interface FastifyRequest {
    /** The name of the admin key the request came with, once admin authentication passed. */
    adminName: string | undefined;
  }
}

export class AdminKeysFileError extends Error {
  constructor(file: string, problem: string) {
    super(`FOODTRUCK_ADMIN_KEYS_FILE ${file}: ${problem}`);
    this.name = 'AdminKeysFileError';
  }
}

/** Parses the file's text: key hash -> name. Throws AdminKeysFileError naming the first bad line. */
export function parseAdminKeysFile(file: string, text: string): Map<string, string> {
  const keys = new Map<string, string>();
  const names = new Set<string>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = `line ${index + 1}`;
    const colon = line.lastIndexOf(':');
    const name = line.slice(0, colon).trim();
    const hash = line.slice(colon + 1).trim().toLowerCase();
    if (colon === -1 || !isAdminKeyName(name) || !HASH.test(hash)) {
      throw new AdminKeysFileError(file, `${at}: expected NAME:SHA256-HEX (a name of 1 to 64 letters, digits, ".", "_", "-" or "@", then the key's 64-hex SHA-256)`);
    }
    if (name === ADMIN_API_KEY_NAME) throw new AdminKeysFileError(file, `${at}: the name "${ADMIN_API_KEY_NAME}" is ADMIN_API_KEY's`);
    if (names.has(name)) throw new AdminKeysFileError(file, `${at}: the name "${name}" is used twice`);
    if (keys.has(hash)) throw new AdminKeysFileError(file, `${at}: the same key as "${keys.get(hash) as string}"`);
    names.add(name);
    keys.set(hash, name);
  }
  return keys;
}

export function hashAdminKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class AdminKeys {
  #named = new Map<string, string>();
  readonly #apiKeyCheck: BearerCheck;

  readonly #forbidden: Map<string, string>;

  /** `forbidden`: keys that must never open admin routes (NODES_API_KEY, the enrollment secret), by what they are. */
  constructor(
    adminApiKey: string,
    private readonly file: string | undefined,
    forbidden: Record<string, string | undefined> = {},
  ) {
    this.#apiKeyCheck = requireBearerKey(adminApiKey);
    this.#forbidden = new Map(
      Object.entries(forbidden).flatMap(([what, key]) => (key === undefined ? [] : [[hashAdminKey(key), what] as [string, string]])),
    );
  }

  /** Reads the file (when configured); throws AdminKeysFileError and keeps the previous set when it is bad. */
  load(): { names: string[] } {
    if (this.file === undefined) return { names: [] };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      throw new AdminKeysFileError(this.file, `cannot read it: ${(error as Error).message}`);
    }
    const named = parseAdminKeysFile(this.file, text);
    for (const [hash, name] of named) {
      const what = this.#forbidden.get(hash);
      if (what) throw new AdminKeysFileError(this.file, `the key of "${name}" is ${what}, which must never open admin routes`);
    }
    this.#named = named;
    return { names: [...named.values()].sort() };
  }

  /** The onRequest check of every admin route: ADMIN_API_KEY or a key of the file; sets `adminName`. */
  readonly requireAdmin: BearerCheck = (request, reply, done) => {
    this.#apiKeyCheck(request, reply, (error) => {
      if (!error) {
        request.adminName = ADMIN_API_KEY_NAME;
        return done();
      }
      const name = this.#nameOf(request);
      if (name === undefined) return done(unauthorized());
      request.adminName = name;
      done();
    });
  };

  #nameOf(request: FastifyRequest): string | undefined {
    if (this.#named.size === 0) return undefined;
    const match = BEARER.exec(request.headers.authorization ?? '');
    // By hash: the file holds no key, and a lookup by the hash of what was sent reveals nothing of
    // the keys through its timing.
    return match ? this.#named.get(hashAdminKey(match[1] as string)) : undefined;
  }
}
