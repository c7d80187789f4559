// The client's configuration: the seed's format, every bad setting named, sensible defaults.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadClientConfig, parseClientConfig } from '../src/client/config.js';
import { runClientToExit } from './support/client-process.js';
import { makeTempDir } from './support/temp-dir.js';

const SEED_API_KEY_CONFIG = {
  base_url: 'http://host.docker.internal:1323',
  auth: { type: 'apiKey', key: '1ffd0e1090f0842e0cd26008621bad3902db4bb9' },
  node: { org: 'neworg', name: 'testnode' },
  interval: '5s',
};

const posix = { env: {}, platform: 'linux' as const, source: 'test.json', baseDir: '/etc/foodtruck' };

function problemsOf(raw: unknown, options: Partial<typeof posix> & { env?: Record<string, string> } = {}): string[] {
  try {
    parseClientConfig(raw, { ...posix, ...options });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('the configuration was accepted');
}

describe('client configuration', () => {
  it("reads the seed's apiKey example with its defaults", () => {
    const { config, warnings } = parseClientConfig(SEED_API_KEY_CONFIG, posix);
    assert.deepEqual(config, {
      baseUrl: 'http://host.docker.internal:1323',
      auth: { type: 'apiKey', key: '1ffd0e1090f0842e0cd26008621bad3902db4bb9' },
      node: { org: 'neworg', name: 'testnode' },
      intervalMs: 5000,
      providerDirs: [],
      stateDir: '/var/lib/foodtruck-client',
      requestTimeoutMs: 30_000,
      shutdownGraceMs: 30_000,
      maxBackoffMs: 300_000,
      heartbeatMs: 30_000,
      tlsVerify: true,
      tags: [],
      attributes: {},
    });
    assert.deepEqual(warnings, []);
  });

  it("reads the seed's chefServer example, loading the node's RSA key", () => {
    const temp = makeTempDir();
    try {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(path.join(temp.dir, 'client.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
      const { config } = parseClientConfig(
        {
          base_url: 'https://a2-dev.test',
          auth: { type: 'chefServer', key_path: 'client.pem' },
          node: { org: 'testorg', name: 'testnode' },
          interval: '5s',
        },
        { ...posix, baseDir: temp.dir },
      );
      assert.equal(config.auth.type, 'chefServer');
      assert.equal(config.auth.type === 'chefServer' && config.auth.keyPath, path.join(temp.dir, 'client.pem'));
      assert.equal(config.auth.type === 'chefServer' && config.auth.privateKey.asymmetricKeyType, 'rsa');
    } finally {
      temp.remove();
    }
  });

  it('takes the API key from NODES_API_KEY, or the seed README\'s NODE_API_KEY, when auth.key is absent', () => {
    const raw = { ...SEED_API_KEY_CONFIG, auth: { type: 'apiKey' } };
    const fromNodes = parseClientConfig(raw, { ...posix, env: { NODES_API_KEY: 'from-env' } }).config.auth;
    assert.deepEqual(fromNodes, { type: 'apiKey', key: 'from-env' });
    const fromNode = parseClientConfig(raw, { ...posix, env: { NODE_API_KEY: 'seed-spelling' } }).config.auth;
    assert.deepEqual(fromNode, { type: 'apiKey', key: 'seed-spelling' });
    assert.deepEqual(problemsOf(raw), [
      'auth.key: required for "apiKey" auth (or set the NODES_API_KEY environment variable)',
    ]);
  });

  it('names every bad setting at once', () => {
    const problems = problemsOf({
      base_url: 'ftp://example.com',
      auth: { type: 'password' },
      node: { org: 'my org', name: '' },
      interval: 'often',
      providers_path: 42,
      state_dir: '',
      request_timeout: '-5s',
    });
    const named = problems.map((problem) => problem.split(':')[0]);
    assert.deepEqual(named, [
      'base_url',
      'auth.type',
      'node.org',
      'node.name',
      'interval',
      'request_timeout',
      'providers_path',
      'state_dir',
    ]);
  });

  it('reads tags and attributes, dropping repeated tags, and names a bad one', () => {
    const { config } = parseClientConfig({ ...SEED_API_KEY_CONFIG, tags: ['web', 'eu', 'web'], attributes: { role: 'db' } }, posix);
    assert.deepEqual([config.tags, config.attributes], [['web', 'eu'], { role: 'db' }]);
    assert.deepEqual(problemsOf({ ...SEED_API_KEY_CONFIG, tags: ['two words'], attributes: { role: 3 } }), [
      'tags[0] must be 1 to 64 letters, digits, ".", "_", ":" or "-", got "two words"',
      'attributes.role must be a string',
    ]);
  });

  it('requires base_url, auth, node and interval', () => {
    const problems = problemsOf({});
    assert.equal(problems.length, 4);
    assert.match(problems[0] as string, /^base_url: expected the http:\/\/ or https:\/\/ URL/);
    assert.match(problems[1] as string, /^auth: expected an object/);
    assert.match(problems[2] as string, /^node: expected an object/);
    assert.equal(problems[3], 'interval: required, a Go duration such as "5s", "5m" or "1h30m"');
  });

  it('reads intervals written as Go durations', () => {
    const intervalOf = (interval: string) => parseClientConfig({ ...SEED_API_KEY_CONFIG, interval }, posix).config.intervalMs;
    assert.equal(intervalOf('5s'), 5000);
    assert.equal(intervalOf('5m'), 300_000);
    assert.equal(intervalOf('1h30m'), 5_400_000);
    assert.equal(intervalOf('250ms'), 250);
    assert.equal(intervalOf('1.5s'), 1500);
    for (const bad of ['5', '0s', '-5s', '5 s', '5sec', '']) {
      assert.match(problemsOf({ ...SEED_API_KEY_CONFIG, interval: bad })[0] as string, /^interval: /, bad);
    }
  });

  it('reads the heartbeat interval, from 100ms to 1h (the longest the server takes)', () => {
    const heartbeatOf = (heartbeat: string) => parseClientConfig({ ...SEED_API_KEY_CONFIG, heartbeat }, posix).config.heartbeatMs;
    assert.equal(heartbeatOf('500ms'), 500);
    assert.equal(heartbeatOf('1h'), 3_600_000);
    for (const bad of ['50ms', '61m', '2h', '0s', 'often']) {
      assert.match(problemsOf({ ...SEED_API_KEY_CONFIG, heartbeat: bad })[0] as string, /^heartbeat: /, bad);
    }
  });

  it('resolves providers_path and state_dir against the configuration file\'s directory', () => {
    const { config } = parseClientConfig(
      { ...SEED_API_KEY_CONFIG, providers_path: 'providers:/opt/foodtruck/providers', state_dir: 'state' },
      posix,
    );
    assert.deepEqual(config.providerDirs, ['/etc/foodtruck/providers', '/opt/foodtruck/providers']);
    assert.equal(config.stateDir, '/etc/foodtruck/state');
    const listed = parseClientConfig({ ...SEED_API_KEY_CONFIG, providers_path: ['/a', 'b'] }, posix).config;
    assert.deepEqual(listed.providerDirs, ['/a', '/etc/foodtruck/b']);
  });

  it('separates providers_path with ";" and keeps state under ProgramData on Windows', () => {
    const { config } = parseClientConfig(
      { ...SEED_API_KEY_CONFIG, providers_path: 'C:\\foodtruck\\providers;D:\\more' },
      { ...posix, platform: 'win32', baseDir: 'C:\\foodtruck', env: { ProgramData: 'C:\\ProgramData' } },
    );
    assert.deepEqual(config.providerDirs, ['C:\\foodtruck\\providers', 'D:\\more']);
    assert.equal(config.stateDir, 'C:\\ProgramData\\foodtruck-client');
  });

  it('turns TLS verification off only for SSL_NO_VERIFY=true', () => {
    const verify = (value: string | undefined) =>
      parseClientConfig(SEED_API_KEY_CONFIG, { ...posix, env: value === undefined ? {} : { SSL_NO_VERIFY: value } }).config.tlsVerify;
    assert.equal(verify(undefined), true);
    assert.equal(verify('false'), true);
    assert.equal(verify('true'), false);
    assert.equal(verify('1'), false);
  });

  it('warns about unknown settings instead of failing on them', () => {
    const { warnings } = parseClientConfig({ ...SEED_API_KEY_CONFIG, intervall: '5s' }, posix);
    assert.deepEqual(warnings, ['unknown setting "intervall" is ignored']);
  });

  it('says which key file cannot be used', () => {
    const temp = makeTempDir();
    try {
      writeFileSync(path.join(temp.dir, 'not-a-key.pem'), 'hello');
      const chef = (keyPath: string) => ({ ...SEED_API_KEY_CONFIG, auth: { type: 'chefServer', key_path: keyPath } });
      assert.match(problemsOf(chef('missing.pem'), { baseDir: temp.dir })[0] as string, /^auth\.key_path: cannot read .*missing\.pem/);
      assert.match(problemsOf(chef('not-a-key.pem'), { baseDir: temp.dir })[0] as string, /^auth\.key_path: .* is not a PEM private key/);
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(path.join(temp.dir, 'ec.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      assert.match(problemsOf(chef('ec.pem'), { baseDir: temp.dir })[0] as string, /holds a ec key; Chef client keys are RSA/);
    } finally {
      temp.remove();
    }
  });

  it('reads nodeKey auth with or without a key file, and the enrollment secret from the file or the environment', () => {
    const temp = makeTempDir();
    try {
      const bare = parseClientConfig({ ...SEED_API_KEY_CONFIG, auth: { type: 'nodeKey' } }, posix).config.auth;
      assert.deepEqual(bare, { type: 'nodeKey' });
      const fromEnv = parseClientConfig({ ...SEED_API_KEY_CONFIG, auth: { type: 'nodeKey' } }, { ...posix, env: { FOODTRUCK_ENROLLMENT_SECRET: 'env-secret' } });
      assert.deepEqual(fromEnv.config.auth, { type: 'nodeKey', enrollmentSecret: 'env-secret' });
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(path.join(temp.dir, 'client.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
      const withFile = parseClientConfig(
        { ...SEED_API_KEY_CONFIG, auth: { type: 'nodeKey', key_path: 'client.pem', enrollment_secret: 'file-secret' } },
        { ...posix, baseDir: temp.dir, env: { FOODTRUCK_ENROLLMENT_SECRET: 'env-secret' } },
      ).config.auth;
      assert.equal(withFile.type, 'nodeKey');
      assert.equal(withFile.type === 'nodeKey' && withFile.keyPath, path.join(temp.dir, 'client.pem'));
      assert.equal(withFile.type === 'nodeKey' && withFile.privateKey?.asymmetricKeyType, 'rsa');
      assert.equal(withFile.type === 'nodeKey' && withFile.enrollmentSecret, 'file-secret');
      assert.match(
        problemsOf({ ...SEED_API_KEY_CONFIG, auth: { type: 'nodeKey', key_path: 'missing.pem' } }, { baseDir: temp.dir })[0] as string,
        /^auth\.key_path: cannot read .*missing\.pem/,
      );
      assert.match(problemsOf({ ...SEED_API_KEY_CONFIG, auth: { type: 'nodeKey', enrollment_secret: 'has space' } })[0] as string, /^auth\.enrollment_secret:/);
      assert.deepEqual(problemsOf({ ...SEED_API_KEY_CONFIG, auth: { type: 'bogus' } }), ['auth.type: expected "apiKey", "chefServer" or "nodeKey", got "bogus"']);
    } finally {
      temp.remove();
    }
  });

  it('reports a file that is missing or not JSON', () => {
    const temp = makeTempDir();
    try {
      assert.throws(() => loadClientConfig(path.join(temp.dir, 'nope.json')), /cannot read the configuration file/);
      writeFileSync(path.join(temp.dir, 'bad.json'), '{"base_url": ');
      assert.throws(() => loadClientConfig(path.join(temp.dir, 'bad.json')), /is not valid JSON/);
    } finally {
      temp.remove();
    }
  });
});

describe('foodtruck-client command line', () => {
  it('prints its usage and exits 1 without exactly one configuration file', async () => {
    for (const args of [[], ['a.json', 'b.json'], ['--bogus']]) {
      const { code, stderr } = await runClientToExit(args);
      assert.equal(code, 1, args.join(' '));
      assert.match(stderr, /^usage: foodtruck-client <config\.json>/);
    }
    const help = await runClientToExit(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: foodtruck-client <config\.json>/);
  });

  it('names each bad setting and exits 1', async () => {
    const temp = makeTempDir();
    try {
      const file = path.join(temp.dir, 'client.json');
      writeFileSync(file, JSON.stringify({ base_url: 'http://localhost:1323', auth: { type: 'apiKey' }, node: { org: 'o' } }));
      const { code, stderr } = await runClientToExit([file]);
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`invalid configuration in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(stderr, /- auth\.key: required/);
      assert.match(stderr, /- node\.name: expected/);
      assert.match(stderr, /- interval: required/);
    } finally {
      temp.remove();
    }
  });

  it('says so when the state directory cannot be used', async () => {
    const temp = makeTempDir();
    try {
      const blocker = path.join(temp.dir, 'a-file');
      writeFileSync(blocker, '');
      const file = path.join(temp.dir, 'client.json');
      writeFileSync(file, JSON.stringify({ ...SEED_API_KEY_CONFIG, state_dir: path.join(blocker, 'state') }));
      const { code, stderr } = await runClientToExit([file]);
      assert.equal(code, 1);
      assert.match(stderr, /state_dir: cannot use .*a-file\/state/);
    } finally {
      temp.remove();
    }
  });
});
