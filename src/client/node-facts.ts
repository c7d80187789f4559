// What this node is: its system, read from Node.js and /etc/os-release, and the tags and
// attributes its operator set in the configuration. Sent to the server as the facts body.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { ClientConfig } from './config.js';
import { clientVersion } from './version.js';

export interface FactsJson {
  os: string;
  os_version: string;
  platform: string;
  arch: string;
  hostname: string;
  client_version: string;
  tags: string[];
  attributes: Record<string, string>;
}

/** At most what the server accepts for one fact. */
const MAX_FACT_LENGTH = 255;

export function collectFacts(config: ClientConfig, readOsRelease: () => string = defaultOsRelease): FactsJson {
  const release = process.platform === 'linux' ? parseOsRelease(safely(readOsRelease)) : {};
  return {
    os: clip(release.ID ?? systemName(process.platform)),
    os_version: clip(release.VERSION_ID ?? os.release()),
    platform: process.platform,
    arch: process.arch,
    hostname: clip(os.hostname()),
    client_version: clip(clientVersion()),
    tags: config.tags,
    attributes: config.attributes,
  };
}

/** The `KEY=value` lines of os-release(5), quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields[match[1] as string] = (match[2] as string).replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

function systemName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'windows' : platform;
}

function defaultOsRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return readFileSync('/usr/lib/os-release', 'utf8');
  }
}

function safely(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

/** Printable and short enough for the server; a fact is informative, never worth a refused report. */
function clip(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  return text.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_FACT_LENGTH);
}
