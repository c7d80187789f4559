// Finds the executable for a provider: `foodtruck-provider-<provider>`, first in the configured
// providers directories, then on PATH. Nothing else can be found, so nothing else can be run.

import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { PROVIDER_EXECUTABLE_PREFIX, isValidProviderName } from '../wire/names.js';

export interface LookupEnvironment {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
}

const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';

export function providerExecutableName(provider: string): string {
  if (!isValidProviderName(provider)) throw new Error(`invalid provider name ${JSON.stringify(provider)}`);
  return `${PROVIDER_EXECUTABLE_PREFIX}${provider}`;
}

/** The provider's executable, or undefined when there is none. */
export function findProvider(
  provider: string,
  providerDirs: readonly string[],
  environment: LookupEnvironment = { platform: process.platform, env: process.env },
): string | undefined {
  const name = providerExecutableName(provider);
  const windows = environment.platform === 'win32';
  const paths = windows ? path.win32 : path.posix;
  const candidates = executableCandidates(name, environment);
  for (const dir of [...providerDirs, ...searchPath(environment)]) {
    // A relative PATH entry would make the result depend on the working directory.
    if (!paths.isAbsolute(dir)) continue;
    for (const candidate of candidates) {
      const file = paths.join(dir, candidate);
      if (isExecutableFile(file, windows)) return file;
    }
  }
  return undefined;
}

function searchPath({ platform, env }: LookupEnvironment): string[] {
  const windows = platform === 'win32';
  // Windows environment names are case-insensitive ("Path" is common there).
  const key = windows ? Object.keys(env).find((name) => name.toUpperCase() === 'PATH') : 'PATH';
  const value = key === undefined ? undefined : env[key];
  if (!value) return [];
  return value
    .split(windows ? ';' : ':')
    .map((entry) => (windows ? entry.replace(/^"(.*)"$/, '$1') : entry))
    .filter((entry) => entry !== '');
}

/**
 * The file names that run as `name`: itself on POSIX; on Windows, `name` with each PATHEXT
 * extension in PATHEXT's order (`name` itself first if it already ends with one of them).
 */
export function executableCandidates(name: string, { platform, env }: LookupEnvironment): string[] {
  if (platform !== 'win32') return [name];
  const key = Object.keys(env).find((entry) => entry.toUpperCase() === 'PATHEXT');
  const extensions = ((key && env[key]) || DEFAULT_PATHEXT)
    .split(';')
    .map((extension) => extension.trim().toLowerCase())
    .filter((extension) => extension.startsWith('.'));
  const own = path.win32.extname(name).toLowerCase();
  const candidates = extensions.map((extension) => `${name}${extension}`);
  return own !== '' && extensions.includes(own) ? [name, ...candidates] : candidates;
}

function isExecutableFile(file: string, windows: boolean): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (!windows) accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
