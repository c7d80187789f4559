// The real client process reports its facts to the real server, once per change, and a job
// targeted by one of its tags reaches it.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { startClient, waitFor, waitForStatus, writeClientConfig, writeProvider, type ClientProcess } from './support/client-process.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('client facts', () => {
  let server: ServerProcess;
  let temp: { dir: string; remove: () => void };
  const clients: ClientProcess[] = [];

  before(async () => {
    server = await startServer();
    temp = makeTempDir('foodtruck-client-facts-');
  });
  after(async () => {
    for (const client of clients) await client.kill();
    await server?.stop();
    server?.cleanup();
    temp?.remove();
  });

  const tag = `canary-${process.pid}`;
  const node = { org: 'factsorg', name: `node-${process.pid}` };
  const reportsOnServer = () =>
    server.output().split('\n').filter((line) => line.includes('node facts recorded') && line.includes(`${node.org}/${node.name}`)).length;
  const reportsOf = (client: ClientProcess) => client.output().split('\n').filter((line) => line.includes(' facts reported')).length;
  const listed = async () => {
    const answer = await call(`${server.url}/admin/nodes?org=${node.org}&name=${node.name}`, { key: server.adminKey });
    return answer.body.nodes[0] as { facts?: Record<string, unknown> } | undefined;
  };

  function writeConfig(tags: string[]): string {
    const providers = path.join(temp.dir, 'providers');
    mkdirSync(providers, { recursive: true });
    writeProvider(providers, 'hello', '#!/bin/sh\necho "hello from $FOODTRUCK_NODE_NAME"\n');
    return writeClientConfig(temp.dir, {
      base_url: server.url,
      auth: { type: 'apiKey', key: server.nodesKey },
      node,
      interval: '200ms',
      providers_path: providers,
      state_dir: path.join(temp.dir, 'state'),
      tags,
      attributes: { role: 'frontend', rack: 'r-12' },
    });
  }
  function start(configFile: string): ClientProcess {
    const client = startClient(configFile);
    clients.push(client);
    return client;
  }

  it('reports its system, version, tags and attributes at start, and not again while nothing changes', async () => {
    const client = start(writeConfig(['web', tag]));
    await client.waitForOutput(/ facts reported/);
    const facts = (await waitFor(listed, 10_000, () => 'the node never showed'))?.facts;
    assert.ok(facts, 'facts shown in the node list');
    assert.equal(facts.platform, process.platform);
    assert.equal(facts.arch, process.arch);
    assert.equal(facts.client_version, packageVersion);
    assert.equal(typeof facts.os, 'string');
    assert.equal(typeof facts.hostname, 'string');
    assert.deepEqual(facts.tags, ['web', tag]);
    assert.deepEqual(facts.attributes, { role: 'frontend', rack: 'r-12' });
    // Many polls later (interval 200 ms), still the one report.
    await sleep(1500);
    assert.equal(reportsOf(client), 1, client.output());
    assert.equal(reportsOnServer(), 1);
  });

  it('runs a job targeted by its tag, to success', async () => {
    const created = await call(`${server.url}/admin/jobs`, {
      key: server.adminKey,
      json: { ...jobBody([], { provider: 'hello', spec: null }), targets: { tags_all: [tag], attributes: { role: 'frontend' } } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.node_count, 1);
    const status = await waitForStatus(() => server.url, server.adminKey, created.body.id, `${node.org}/${node.name}`);
    assert.equal(status.status, 'success', JSON.stringify(status));
    assert.match(status.result?.output ?? '', new RegExp(`hello from ${node.name}`));
  });

  it('sends nothing after a restart with the same facts, and the new facts after a change', async () => {
    const first = clients.pop() as ClientProcess;
    assert.equal((await first.stop()).code, 0);
    const same = start(writeConfig(['web', tag]));
    await same.waitForOutput(/foodtruck-client started/);
    await sleep(1500);
    assert.equal(reportsOf(same), 0, same.output());
    assert.equal(reportsOnServer(), 1);
    assert.equal((await same.stop()).code, 0);
    clients.pop();

    const changed = start(writeConfig(['db', tag]));
    await changed.waitForOutput(/ facts reported/);
    assert.equal(reportsOnServer(), 2);
    assert.deepEqual((await listed())?.facts?.tags, ['db', tag]);
  });
});
