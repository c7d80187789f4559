// `npm run build:client`'s JavaScript file: self-contained, Node's own modules only, and it works.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { call, jobBody } from './support/api-client.js';
import { startClient, waitForStatus, writeClientConfig, writeProvider } from './support/client-process.js';
import { makeTempDir } from './support/temp-dir.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
  outputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
}

describe('the bundled client', () => {
  const temp = makeTempDir('foodtruck-bundle-');
  const bundle = path.join(temp.dir, 'foodtruck-client.cjs');
  let server: ServerProcess;

  before(async () => {
    const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-client.mjs'), '--bundle-only', '--outdir', temp.dir], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
    temp.remove();
  });

  it("imports nothing but Node's own modules", () => {
    const meta = JSON.parse(readFileSync(path.join(temp.dir, 'foodtruck-client.meta.json'), 'utf8')) as Metafile;
    const builtins = new Set(builtinModules);
    const imported = Object.values(meta.outputs).flatMap((output) => output.imports.map((entry) => entry.path));
    assert.ok(imported.length > 0);
    for (const name of imported) assert.ok(name.startsWith('node:') || builtins.has(name), name);
    // Only the client and the wire modules that themselves import nothing (no ajv, no server): the
    // facts rules are the server's own, so a node never sends what the server refuses.
    const sources = Object.keys(meta.inputs).filter((input) => input !== 'foodtruck-client-entry.ts');
    for (const source of sources) assert.match(source, /^src\/(client\/[\w-]+|wire\/(go-duration|names|task-status|rfc3339|output-cut|node-facts))\.ts$/);
  });

  it('prints its usage and exits 1 without a configuration file', () => {
    const run = spawnSync(process.execPath, [bundle], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^usage: foodtruck-client <config\.json>/);
  });

  it('runs a task against the real server from a directory without node_modules', async () => {
    await runTaskWith('bundled', [process.execPath, bundle]);
  });

  it('builds a single executable that runs a task against the real server', { skip: seaUnsupported() }, async () => {
    const built = spawnSync(
      process.execPath,
      [path.join(ROOT, 'scripts/build-client.mjs'), '--outdir', temp.dir, '--bindir', temp.dir],
      { encoding: 'utf8' },
    );
    assert.equal(built.status, 0, built.stderr);
    const binary = readdirSync(temp.dir).find((name) => name.startsWith('foodtruck-client-'));
    assert.match(binary ?? '', /^foodtruck-client-(linux|darwin|windows)-\w+(\.exe)?$/);
    const usage = spawnSync(path.join(temp.dir, binary as string), [], { encoding: 'utf8' });
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /^usage: foodtruck-client <config\.json>/);
    await runTaskWith('executable', [path.join(temp.dir, binary as string)]);
    if (process.platform === 'linux' && spawnSync('strip', ['--version']).status === 0 && /with debug_info|not stripped/.test(spawnSync('file', [process.execPath], { encoding: 'utf8' }).stdout ?? '')) {
      // Built from a node with symbols and debug information: those are stripped before injecting.
      assert.ok(statSync(path.join(temp.dir, binary as string)).size < statSync(process.execPath).size - 5_000_000, 'the executable is stripped');
      assert.match(built.stdout, /stripped the node executable from [\d.]+ MB to [\d.]+ MB/);
    }
  });

  async function runTaskWith(name: string, command: string[]) {
    const dir = path.join(temp.dir, name);
    const node = { org: 'testorg', name };
    mkdirSync(path.join(dir, 'providers'), { recursive: true });
    writeProvider(path.join(dir, 'providers'), 'hello', `#!/bin/sh\necho "hello from the ${name} client"\n`);
    const config = writeClientConfig(dir, {
      base_url: server.url,
      auth: { type: 'apiKey', key: server.nodesKey },
      node,
      interval: '200ms',
      providers_path: 'providers',
      state_dir: 'state',
    });
    const created = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node], { provider: 'hello' }) });
    const client = startClient(config, { command });
    try {
      const status = await waitForStatus(() => server.url, server.adminKey, created.body.id as string, `testorg/${name}`);
      assert.equal(status.status, 'success', client.output());
      assert.match(status.result?.output ?? '', new RegExp(`hello from the ${name} client`));
    } finally {
      await client.stop();
    }
  }
});

/** Node's single executable applications exist for these platforms (and not on Alpine's musl). */
function seaUnsupported(): string | false {
  return ['linux', 'darwin', 'win32'].includes(process.platform) ? false : `no single executables on ${process.platform}`;
}
