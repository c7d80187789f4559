// The client's version, reported among its facts.

import { readFileSync } from 'node:fs';
import path from 'node:path';

// Replaced by the bundle build (scripts/build-client.mjs, esbuild `define`).
declare const FOODTRUCK_CLIENT_VERSION: string | undefined;

/** The bundle's built-in version, else the package's beside `bin/foodtruck-client`, else `unknown`. */
export function clientVersion(): string {
  if (typeof FOODTRUCK_CLIENT_VERSION === 'string') return FOODTRUCK_CLIENT_VERSION;
  try {
    const script = process.argv[1] ?? '';
    const text = readFileSync(path.join(path.dirname(script), '..', 'package.json'), 'utf8');
    const { name, version } = JSON.parse(text) as { name?: unknown; version?: unknown };
    return name === 'foodtruck' && typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
