// `foodtruck-client init`, spawned as an operator runs it; its output then starts the real client,
// which runs a job with the example provider against the real server.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, defaultStateDir } from '../src/client/config.js';
import { call, jobBody } from './support/api-client.js';
import { CLIENT_BIN, startClient, waitForStatus } from './support/client-process.js';
import { randomKey, startServer } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const PROVIDERS_DIR = fileURLToPath(new URL('../../providers', import.meta.url));

async function init(args: string[], options: { cwd?: string; stdin?: string } = {}) {
  const child = spawn(process.execPath, [CLIENT_BIN, 'init', ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('foodtruck-client init', () => {
  const temp = makeTempDir('foodtruck-init-');
  after(() => temp.remove());

  it('prints a configuration with the README defaults and apiKey auth, and names NODES_API_KEY', async () => {
    const run = await init(['--server', 'https://foodtruck.example.com/', '--org', 'myorg', '--name', 'node1']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      base_url: 'https://foodtruck.example.com/',
      auth: { type: 'apiKey' },
      node: { org: 'myorg', name: 'node1' },
      interval: '5m',
      providers_path: '/usr/local/lib/foodtruck/providers',
      state_dir: defaultStateDir(process.platform, process.env),
      ...DEFAULTS,
    });
    assert.deepEqual([DEFAULTS.request_timeout, DEFAULTS.shutdown_grace, DEFAULTS.max_backoff], ['30s', '30s', '5m']);
    assert.match(run.stderr, /NODES_API_KEY/);
  });

  it('takes the interval, the directories (made absolute) and the key, also from stdin', async () => {
    const run = await init(
      ['--server', 'http://127.0.0.1:1323', '--org', 'o', '--name', 'n', '--interval', '5s', '--providers-path', 'prov:/opt/p', '--state-dir', 'state', '--key', 'k'.repeat(40)],
      { cwd: temp.dir },
    );
    assert.equal(run.code, 0, run.stderr);
    const config = JSON.parse(run.stdout);
    assert.equal(config.interval, '5s');
    assert.equal(config.providers_path, `${path.join(temp.dir, 'prov')}:/opt/p`);
    assert.equal(config.state_dir, path.join(temp.dir, 'state'));
    assert.deepEqual(config.auth, { type: 'apiKey', key: 'k'.repeat(40) });

    const fromStdin = await init(['--server', 'http://h', '--org', 'o', '--name', 'n', '--key', '-'], { stdin: 'secret-key-from-stdin\n' });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(JSON.parse(fromStdin.stdout).auth.key, 'secret-key-from-stdin');

    const chef = await init(['--server', 'https://chef.example', '--org', 'o', '--name', 'n', '--auth', 'chefServer']);
    assert.equal(chef.code, 0, chef.stderr);
    assert.deepEqual(JSON.parse(chef.stdout).auth, { type: 'chefServer', key_path: '/etc/chef/client.pem' });
  });

  it('refuses bad and missing options by their flag names, with exit code 1 and nothing on stdout', async () => {
    const missing = await init(['--server', 'http://h']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /missing --org, --name/);

    const bad = await init(['--server', 'ftp://h', '--org', 'a b', '--name', 'n', '--interval', 'soon', '--key', 'has space']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    for (const flag of ['--server', '--org', '--interval', '--key']) assert.match(bad.stderr, new RegExp(`- ${flag}: `));

    const unknown = await init(['--server', 'http://h', '--org', 'o', '--name', 'n', '--colour']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--colour/);

    const wrongAuth = await init(['--server', 'http://h', '--org', 'o', '--name', 'n', '--auth', 'password']);
    assert.equal(wrongAuth.code, 1);
    assert.match(wrongAuth.stderr, /--auth: expected apiKey, chefServer or nodeKey/);
  });

  it('writes --out with mode 0600, and replaces an existing file only with --force', async () => {
    const file = path.join(temp.dir, 'etc', 'client.json');
    const args = ['--server', 'http://h', '--org', 'o', '--name', 'n', '--key', 'first-key-0123456789', '--out', file];
    const first = await init(args);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, '');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).auth.key, 'first-key-0123456789');

    writeFileSync(file, 'kept', { mode: 0o644 });
    const again = await init(args);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; add --force/);
    assert.equal(readFileSync(file, 'utf8'), 'kept');

    const forced = await init([...args, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).node.name, 'n');
  });

  it('writes a configuration the real client starts with and runs a job by', async () => {
    const server = await startServer();
    const node = { org: 'initorg', name: `init-${process.pid}` };
    const file = path.join(temp.dir, 'node', 'client.json');
    const run = await init([
      '--server', server.url, '--org', node.org, '--name', node.name, '--interval', '500ms',
      '--providers-path', PROVIDERS_DIR, '--state-dir', path.join(temp.dir, 'node', 'state'), '--out', file,
    ]);
    assert.equal(run.code, 0, run.stderr);
    // The key comes from the environment variable init names.
    const client = startClient(file, { env: { NODES_API_KEY: server.nodesKey } });
    try {
      const created = await call(`${server.url}/admin/jobs`, {
        key: server.adminKey,
        json: jobBody([node], { provider: 'example', spec: { message: 'configured by init' } }),
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const status = await waitForStatus(() => server.url, server.adminKey, created.body.id as string, `${node.org}/${node.name}`, undefined, 60_000);
      assert.equal(status.status, 'success', JSON.stringify(status));
      assert.match(status.result?.output ?? '', /message: configured by init/);
      assert.doesNotMatch(client.output(), /unknown setting/);
    } finally {
      await client.stop();
      await server.stop();
      server.cleanup();
    }
  });
});

describe('foodtruck-client init --auth nodeKey', () => {
  const temp = makeTempDir('foodtruck-init-node-key-');
  after(() => temp.remove());

  it('writes nodeKey auth with the enrollment secret (also from stdin) or a key path, and refuses what does not go with it', async () => {
    const base = ['--server', 'https://foodtruck.example.com', '--org', 'o', '--name', 'n', '--auth', 'nodeKey', '--state-dir', '/var/lib/ft'];
    const bare = await init(base);
    assert.equal(bare.code, 0, bare.stderr);
    assert.deepEqual(JSON.parse(bare.stdout).auth, { type: 'nodeKey' });
    assert.match(bare.stderr, /makes its key on first start in \/var\/lib\/ft\/node_key\.pem/);
    assert.match(bare.stderr, /FOODTRUCK_ENROLLMENT_SECRET/);
    assert.match(bare.stderr, /FOODTRUCK_NODE_AUTH=node-keys or both/);

    const withSecret = await init([...base, '--enrollment-secret', '-', '--key-path', 'keys/client.pem'], { cwd: temp.dir, stdin: 'the-enrollment-secret-0123\n' });
    assert.equal(withSecret.code, 0, withSecret.stderr);
    assert.deepEqual(JSON.parse(withSecret.stdout).auth, {
      type: 'nodeKey',
      key_path: path.join(temp.dir, 'keys', 'client.pem'),
      enrollment_secret: 'the-enrollment-secret-0123',
    });
    assert.match(withSecret.stderr, /holds the enrollment secret/);

    const badSecret = await init([...base, '--enrollment-secret', 'has space']);
    assert.equal(badSecret.code, 1);
    assert.equal(badSecret.stdout, '');
    assert.match(badSecret.stderr, /--enrollment-secret: expected the server's enrollment secret/);
    const withKey = await init([...base, '--key', 'k'.repeat(20)]);
    assert.equal(withKey.code, 1);
    assert.match(withKey.stderr, /--key is for --auth apiKey/);
    const secretElsewhere = await init(['--server', 'http://h', '--org', 'o', '--name', 'n', '--enrollment-secret', 'x'.repeat(20)]);
    assert.equal(secretElsewhere.code, 1);
    assert.match(secretElsewhere.stderr, /--enrollment-secret is for --auth nodeKey/);
  });

  it('writes configurations the real client starts with against a node-keys server: enrolling its own key, or signing with an admin-registered key', async () => {
    const secret = `enroll-${randomKey()}`;
    const server = await startServer({ env: { FOODTRUCK_NODE_AUTH: 'node-keys', FOODTRUCK_ENROLLMENT_SECRET: secret } });
    const enrolling = { org: 'initorg', name: `enrolls-${process.pid}` };
    const registered = { org: 'initorg', name: `registered-${process.pid}` };
    const common = ['--server', server.url, '--interval', '500ms', '--providers-path', PROVIDERS_DIR, '--auth', 'nodeKey'];
    const dirOf = (node: { name: string }) => path.join(temp.dir, node.name);

    // The enrolling node: init takes the secret on stdin; the client makes its key and enrolls it.
    const enrollingFile = path.join(dirOf(enrolling), 'client.json');
    const first = await init(
      [...common, '--org', enrolling.org, '--name', enrolling.name, '--state-dir', path.join(dirOf(enrolling), 'state'), '--enrollment-secret', '-', '--out', enrollingFile],
      { stdin: `${secret}\n` },
    );
    assert.equal(first.code, 0, first.stderr);

    // The registered node: its key exists beforehand (as a Chef client.pem would) and an admin registers it.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = path.join(dirOf(registered), 'client.pem');
    mkdirSync(dirOf(registered), { recursive: true });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, { mode: 0o600 });
    const registration = await call(`${server.url}/admin/nodes/${registered.org}/${registered.name}/key`, {
      method: 'PUT',
      key: server.adminKey,
      json: { public_key: publicKey.export({ type: 'spki', format: 'pem' }) },
    });
    assert.equal(registration.status, 200, JSON.stringify(registration.body));
    const registeredFile = path.join(dirOf(registered), 'client.json');
    const second = await init([
      ...common, '--org', registered.org, '--name', registered.name, '--state-dir', path.join(dirOf(registered), 'state'), '--key-path', keyFile, '--out', registeredFile,
    ]);
    assert.equal(second.code, 0, second.stderr);

    // No NODES_API_KEY anywhere: the shared key would not open node routes in node-keys mode anyway.
    const clients = [startClient(enrollingFile), startClient(registeredFile)];
    try {
      const created = await call(`${server.url}/admin/jobs`, {
        key: server.adminKey,
        json: jobBody([enrolling, registered], { provider: 'example', spec: { message: 'signed by its own key' } }),
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      for (const node of [enrolling, registered]) {
        const status = await waitForStatus(() => server.url, server.adminKey, created.body.id as string, `${node.org}/${node.name}`, undefined, 60_000);
        assert.equal(status.status, 'success', JSON.stringify(status));
        assert.match(status.result?.output ?? '', /message: signed by its own key/);
      }
      const madeKey = path.join(dirOf(enrolling), 'state', 'node_key.pem');
      assert.equal(statSync(madeKey).mode & 0o777, 0o600);
      const enrolled = await call(`${server.url}/admin/nodes/${enrolling.org}/${enrolling.name}/key`, { key: server.adminKey });
      assert.equal(enrolled.body.source, 'enrollment');
      assert.equal(enrolled.body.fingerprint, sha256Hex(createPublicKey(readFileSync(madeKey, 'utf8')).export({ type: 'spki', format: 'der' })));
      for (const client of clients) assert.doesNotMatch(client.output(), /unknown setting|answered 401|Unauthorized/);
    } finally {
      for (const client of clients) await client.stop();
      await server.stop();
      server.cleanup();
    }
  });
});
