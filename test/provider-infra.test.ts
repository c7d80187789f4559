// providers/foodtruck-provider-infra, run as the client runs it (spec on stdin), with a stand-in
// chef-client that records how it was called.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './support/temp-dir.js';

const PROVIDER = fileURLToPath(new URL('../../providers/foodtruck-provider-infra', import.meta.url));

describe('foodtruck-provider-infra', () => {
  const temp = makeTempDir('foodtruck-infra-test-');
  const bin = path.join(temp.dir, 'bin');
  const scratch = path.join(temp.dir, 'tmp');
  const record = path.join(temp.dir, 'record');
  const archive = path.join(temp.dir, 'policy.tar.gz');

  before(() => {
    mkdirSync(bin);
    mkdirSync(scratch);
    // A policy export as the seed's example unpacks it: everything inside "out/".
    mkdirSync(path.join(temp.dir, 'export', 'out', '.chef'), { recursive: true });
    writeFileSync(path.join(temp.dir, 'export', 'out', '.chef', 'config.rb'), 'local_mode true\n');
    const tar = spawnSync('tar', ['-czf', archive, '-C', path.join(temp.dir, 'export'), 'out']);
    assert.equal(tar.status, 0);
    // Records its working directory, its arguments and the -j file, then exits with FAKE_CHEF_EXIT.
    const fake = path.join(bin, 'chef-client');
    writeFileSync(
      fake,
      `#!/usr/bin/env bash
printf '%s' "$PWD" > '${record}.cwd'
cp .chef/config.rb '${record}.config'
printf '%s\\0' "$@" > '${record}.args'
prev=""
rm -f '${record}.params'
for arg in "$@"; do if [ "$prev" = "-j" ] && [ -f "$arg" ]; then cp "$arg" '${record}.params'; fi; prev="$arg"; done
echo "Chef Infra Client finished"
exit "\${FAKE_CHEF_EXIT:-0}"
`,
      { mode: 0o755 },
    );
  });
  after(() => temp.remove());

  function recorded() {
    const read = (suffix: string) => {
      try {
        return readFileSync(`${record}.${suffix}`, 'utf8');
      } catch {
        return '';
      }
    };
    return { cwd: read('cwd'), config: read('config'), args: read('args').split('\0').slice(0, -1), params: read('params') };
  }

  function runProvider(spec: unknown, env: Record<string, string> = {}) {
    return spawnSync(PROVIDER, [], {
      input: JSON.stringify(spec),
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, TMPDIR: scratch, ...env },
    });
  }

  it('downloads the archive, unpacks it and runs chef-client -z in it with json_params as -j', () => {
    const params = { run_list: ['recipe[base]'], note: 'ünïcödé' };
    const run = runProvider({ url: `file://${archive}`, json_params: params });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Chef Infra Client finished/);
    const seen = recorded();
    assert.match(seen.cwd, /\/foodtruck-infra\.\w+\/policy\/out$/);
    assert.equal(seen.config, 'local_mode true\n');
    assert.deepEqual(seen.args.slice(0, 4), ['-z', '--chef-license', 'accept', '-j']);
    assert.deepEqual(JSON.parse(seen.params), params);
    assert.deepEqual(readdirSync(scratch), [], 'the temporary directory is removed');
  });

  it("passes chef-client's exit code on and still cleans up", () => {
    const run = runProvider({ url: `file://${archive}` }, { FAKE_CHEF_EXIT: '3' });
    assert.equal(run.status, 3);
    assert.deepEqual(recorded().args, ['-z', '--chef-license', 'accept']);
    assert.deepEqual(readdirSync(scratch), []);
  });

  it('checks the archive against spec.sha256', () => {
    const digest = createHash('sha256').update(readFileSync(archive)).digest('hex');
    assert.equal(runProvider({ url: `file://${archive}`, sha256: digest }).status, 0);
    const wrong = runProvider({ url: `file://${archive}`, sha256: '0'.repeat(64) });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /the archive's sha256 is [0-9a-f]{64}, the spec expects 0{64}/);
  });

  it('fails clearly without a url or with one that cannot be downloaded', () => {
    const missing = runProvider({});
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /the spec has no "url"/);
    const unreachable = runProvider({ url: `file://${path.join(temp.dir, 'nope.tar.gz')}` });
    assert.notEqual(unreachable.status, 0);
    assert.deepEqual(readdirSync(scratch), []);
  });

  it('treats spec values as data, never as shell code', () => {
    const marker = path.join(temp.dir, 'injected');
    const run = runProvider({ url: `file://${archive}`, json_params: `$(touch ${marker})` });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(recorded().args.slice(3), ['-j', `$(touch ${marker})`]);
    assert.throws(() => readFileSync(marker));
  });
});
