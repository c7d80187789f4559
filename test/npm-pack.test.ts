// The package installs like any npm package: `npm pack`, then `npm install --global` of the tarball
// (offline: its dependencies travel inside it) puts foodtruck, foodtruck-server and foodtruck-client
// on the PATH, and each runs from any directory.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm pack and a global install from the tarball', () => {
  let temp: { dir: string; remove: () => void };
  let prefix: string;
  const run = (command: string, args: string[], env: Record<string, string | undefined> = {}) =>
    spawnSync(command, args, {
      cwd: temp.dir,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH}`, ...env },
    });

  before(() => {
    temp = makeTempDir('foodtruck-pack-');
    prefix = path.join(temp.dir, 'prefix');
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; the suite has built it.
    const packed = spawnSync(NPM, ['pack', '--ignore-scripts', '--pack-destination', temp.dir], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    assert.equal(packed.status, 0, packed.stderr);
    const tarball = readdirSync(temp.dir).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, packed.stdout);
    // Offline, into a prefix of its own. --ignore-scripts: no native rebuild (that needs the network);
    // the bundled better-sqlite3 was built for this very machine.
    const installed = run(NPM, [
      'install', '--global', '--prefix', prefix, '--offline', '--ignore-scripts', '--no-audit', '--no-fund',
      path.join(temp.dir, tarball as string),
    ]);
    assert.equal(installed.status, 0, `${installed.stdout}\n${installed.stderr}`);
  });
  after(() => temp?.remove());

  it('puts the three commands on the PATH', () => {
    assert.deepEqual(readdirSync(path.join(prefix, 'bin')).sort(), ['foodtruck', 'foodtruck-client', 'foodtruck-server']);
  });

  it('runs the CLI from any directory', () => {
    const help = run('foodtruck', ['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: foodtruck COMMAND/);
  });

  it('runs the client from any directory', () => {
    const usage = run('foodtruck-client', []);
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /usage: foodtruck-client/i);
  });

  it('runs the server from any directory, which reads its settings', () => {
    const refused = run('foodtruck-server', [], { FOODTRUCK_LOG_LEVEL: 'loud' });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /FOODTRUCK_LOG_LEVEL: must be one of/);
  });
});
