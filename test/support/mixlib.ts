// Runs Debian's ruby-mixlib-authentication (see mixlib-reference.rb) from tests.

import { spawnSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../test/support/mixlib-reference.rb', import.meta.url));

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Verdict {
  valid: boolean;
  user_id?: string | null;
  error?: string;
}

export function mixlibVerify(request: CapturedRequest, publicKey: KeyObject): Verdict {
  const input = {
    method: request.method,
    path: request.path,
    headers: request.headers,
    body_base64: request.body.toString('base64'),
    public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }),
  };
  return runRuby('verify', input) as Verdict;
}

export function mixlibSign(request: {
  method: string;
  path: string;
  body: Buffer;
  userId: string;
  timestamp: string;
  serverApiVersion: string;
  privateKey: KeyObject;
}): Record<string, string> {
  return runRuby('sign', {
    method: request.method,
    path: request.path,
    body_base64: request.body.toString('base64'),
    user_id: request.userId,
    timestamp: request.timestamp,
    server_api_version: request.serverApiVersion,
    private_key_pem: request.privateKey.export({ type: 'pkcs1', format: 'pem' }),
  }) as Record<string, string>;
}

/**
 * Why the Mixlib tests cannot run here, or undefined when they can. With FOODTRUCK_REQUIRE_MIXLIB=1
 * (as in CI) they always run, so that a missing package fails instead of skipping.
 */
export function mixlibMissing(): string | undefined {
  if (process.env.FOODTRUCK_REQUIRE_MIXLIB === '1') return undefined;
  const probe = spawnSync('ruby', ['-e', 'require "mixlib/authentication/signatureverification"'], { stdio: 'ignore' });
  return probe.status === 0 ? undefined : 'needs Ruby and Mixlib::Authentication: apt-get install -y ruby ruby-mixlib-authentication';
}

function runRuby(mode: string, input: unknown): unknown {
  const result = spawnSync('ruby', [SCRIPT, mode], { input: JSON.stringify(input), encoding: 'utf8' });
  if (result.error) throw new Error(`cannot run ruby (apt-get install -y ruby ruby-mixlib-authentication): ${result.error.message}`);
  if (result.stdout.trim() === '') throw new Error(`mixlib-reference.rb ${mode} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}
