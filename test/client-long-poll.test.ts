// The real client process long-polls a server that says it holds polls, and falls back to polling
// on its interval against one that does not (the original server's behaviour).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { startClient, waitFor, waitForStatus, writeClientConfig, writeProvider } from './support/client-process.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

function scene(server: ServerProcess, name: string, interval: string) {
  const temp = makeTempDir('foodtruck-client-');
  const providers = path.join(temp.dir, 'providers');
  mkdirSync(providers);
  writeProvider(providers, 'infra', '#!/bin/sh\ncat > /dev/null\necho ran\n');
  const node = { org: 'longpoll', name: `${name}-${process.pid}` };
  const configFile = writeClientConfig(temp.dir, {
    base_url: server.url,
    auth: { type: 'apiKey', key: server.nodesKey },
    node,
    interval,
    providers_path: providers,
    state_dir: path.join(temp.dir, 'state'),
  });
  return { node, configFile, remove: temp.remove };
}

async function heldPolls(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^foodtruck_held_polls (\S+)$/m.exec(text)?.[1]);
}

describe('client long polls', () => {
  it('long-polls a server that advertises it: a task created later runs at once, whatever the interval', async () => {
    const server = await startServer();
    const { node, configFile, remove } = scene(server, 'held', '15s');
    const client = startClient(configFile);
    try {
      // The first poll comes within the interval; from its answer on, the client holds a poll.
      await waitFor(async () => ((await heldPolls(server)) === 1 ? true : undefined), 40_000, () => `never held a poll:\n${client.output()}`);
      const created = Date.now();
      const answer = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node]) });
      assert.equal(answer.status, 200);
      const running = await waitForStatus(() => server.url, server.adminKey, answer.body.id as string, `${node.org}/${node.name}`, (s) => s.status !== 'queued');
      // Polling on the 15 s interval would take up to 15 s; generous for a loaded machine.
      assert.ok(Date.now() - created < 8_000, `picked up ${Date.now() - created} ms after creation (${running.status})`);
      await waitForStatus(() => server.url, server.adminKey, answer.body.id as string, `${node.org}/${node.name}`);
      // It holds a poll again, and a stop does not wait for that poll's end.
      await waitFor(async () => ((await heldPolls(server)) === 1 ? true : undefined), 20_000, () => 'never held a poll again');
      const stopping = Date.now();
      const { code } = await client.stop();
      assert.equal(code, 0, client.output());
      assert.ok(Date.now() - stopping < 10_000, `stopped ${Date.now() - stopping} ms after SIGTERM`);
    } finally {
      await client.kill();
      await server.stop();
      server.cleanup();
      remove();
    }
  });

  it('polls on its interval, never asking to wait, against a server without long polls', async () => {
    const server = await startServer({ env: { FOODTRUCK_MAX_HELD_POLLS: '0', FOODTRUCK_LOG_LEVEL: 'debug' } });
    const { node, configFile, remove } = scene(server, 'plain', '300ms');
    const client = startClient(configFile);
    try {
      const polls = () => server.output().split('\n').filter((line) => line.includes(`/nodes/${node.name}/tasks/next`));
      await waitFor(() => (polls().length >= 4 ? true : undefined), 30_000, () => `too few polls:\n${server.output()}`);
      assert.deepEqual(polls().filter((line) => line.includes('wait=')), []);
      assert.equal(await heldPolls(server), 0);
      const answer = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([node]) });
      const done = await waitForStatus(() => server.url, server.adminKey, answer.body.id as string, `${node.org}/${node.name}`);
      assert.equal(done.status, 'success');
      assert.equal((await client.stop()).code, 0);
    } finally {
      await client.kill();
      await server.stop();
      server.cleanup();
      remove();
    }
  });
});
