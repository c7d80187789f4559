// Named admin keys (FOODTRUCK_ADMIN_KEYS_FILE): jobs say who created and cancelled them, every admin
// write makes an audit line, and SIGHUP adds or revokes a key without a restart.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, jobBody } from './support/api-client.js';
import { runFoodtruck } from './support/cli-process.js';
import { waitFor } from './support/client-process.js';
import { randomKey, runServerToExit, startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('named admin keys', () => {
  const temp = makeTempDir('foodtruck-admin-keys-');
  const file = path.join(temp.dir, 'admin-keys');
  const alice = randomKey();
  const bob = randomKey();
  const carol = randomKey();
  let server: ServerProcess;

  const reload = async (content: string, expect: RegExp) => {
    const before = server.output().length;
    writeFileSync(file, content);
    server.child.kill('SIGHUP');
    await waitFor(() => (expect.test(server.output().slice(before)) ? true : undefined), 10_000, () => `no ${expect} after SIGHUP:\n${server.output().slice(before)}`);
  };

  before(async () => {
    writeFileSync(file, `# who may run jobs\nalice:${sha256(alice)}\n\nbob:${sha256(bob)}\n`);
    server = await startServer({ env: { FOODTRUCK_ADMIN_KEYS_FILE: file } });
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
    temp.remove();
  });

  it('records who created and who cancelled a job, and shows it in every job answer', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: alice, json: jobBody([{ org: 'o', name: 'n1' }]) });
    assert.equal(created.status, 200);
    const id = created.body.id as string;
    const job = await call(`${server.url}/admin/jobs/${id}`, { key: bob });
    assert.deepEqual([job.body.job.created_by, job.body.job.cancelled_by], ['alice', null]);
    const cancelled = await call(`${server.url}/admin/jobs/${id}/cancel`, { method: 'POST', key: bob });
    assert.equal(cancelled.status, 200);
    for (const url of [`/admin/jobs/${id}/summary`, `/admin/jobs/${id}`, `/admin/jobs/${id}?fetchStatuses=true`, `/admin/jobs/${id}?fetchStatuses=true&limit=1`]) {
      const answer = await call(`${server.url}${url}`, { key: server.adminKey });
      const shown = answer.body.job ?? answer.body;
      assert.deepEqual([shown.created_by, shown.cancelled_by], ['alice', 'bob'], url);
    }
    const listed = (await call(`${server.url}/admin/jobs`, { key: server.adminKey })).body.jobs.find((entry: { id: string }) => entry.id === id);
    assert.deepEqual([listed.created_by, listed.cancelled_by], ['alice', 'bob']);
    const byAdmin = await call(`${server.url}/admin/jobs`, { key: server.adminKey, json: jobBody([{ org: 'o', name: 'n2' }]) });
    assert.equal((await call(`${server.url}/admin/jobs/${byAdmin.body.id as string}/summary`, { key: alice })).body.created_by, 'admin');

    // One audit line per write, naming who, what and which job.
    await waitFor(
      () => (/"audit":\{"admin":"alice","action":"POST \/admin\/jobs","job_id":"[0-9a-f]{24}","status":200\}/.test(server.output()) ? true : undefined),
      5_000,
      () => `no audit line for alice's job:\n${server.output().slice(-2000)}`,
    );
    assert.match(server.output(), new RegExp(`"audit":\\{"admin":"bob","action":"POST /admin/jobs/:job_id/cancel","job_id":"${id}","status":200\\}`));
    assert.doesNotMatch(server.output(), /"audit":\{[^}]*"action":"GET /);
    assert.ok(!server.output().includes(alice) && !server.output().includes(bob), 'no key is ever logged');

    const env = { FOODTRUCK_URL: server.url, ADMIN_API_KEY: carol };
    const shown = await runFoodtruck(['jobs', 'get', id, '--key', alice], { env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Created by\s+alice/);
    assert.match(shown.stdout, /Cancelled by\s+bob/);
  });

  it('records the canceller of one node\'s task (?node=) and the admin who reran a job as its creator', async () => {
    const created = await call(`${server.url}/admin/jobs`, { key: alice, json: jobBody([{ org: 'o', name: 'r1' }, { org: 'o', name: 'r2' }]) });
    assert.equal(created.status, 200);
    const id = created.body.id as string;
    const cancelled = await call(`${server.url}/admin/jobs/${id}/cancel?node=o/r1`, { method: 'POST', key: bob });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.cancelled, 1);
    const summary = (await call(`${server.url}/admin/jobs/${id}/summary`, { key: alice })).body;
    assert.deepEqual([summary.created_by, summary.cancelled_by], ['alice', 'bob']);

    const rerun = await call(`${server.url}/admin/jobs/${id}/rerun`, { method: 'POST', key: bob, json: { statuses: ['cancelled'] } });
    assert.equal(rerun.status, 200, JSON.stringify(rerun.body));
    const again = rerun.body.id as string;
    const job = (await call(`${server.url}/admin/jobs/${again}`, { key: alice })).body.job;
    assert.deepEqual([job.created_by, job.cancelled_by, job.rerun_of], ['bob', null, id]);
    assert.deepEqual(job.nodes, [{ org: 'o', name: 'r1' }]);
    await waitFor(
      () =>
        new RegExp(`"audit":\\{"admin":"bob","action":"POST /admin/jobs/:job_id/rerun","job_id":"${again}","rerun_of":"${id}","status":200\\}`).test(server.output())
          ? true
          : undefined,
      5_000,
      () => `no audit line for bob's rerun:\n${server.output().slice(-2000)}`,
    );
    assert.match(server.output(), new RegExp(`"audit":\\{"admin":"bob","action":"POST /admin/jobs/:job_id/cancel","job_id":"${id}","status":200\\}`));
  });

  it('revokes and adds keys on SIGHUP without a restart, and keeps the previous keys when the file is bad', async () => {
    const pid = server.child.pid;
    assert.equal((await call(`${server.url}/admin/jobs`, { key: bob })).status, 200);
    await reload(`alice:${sha256(alice)}\ncarol:${sha256(carol)}\n`, /SIGHUP: named admin keys reloaded/);
    assert.equal((await call(`${server.url}/admin/jobs`, { key: bob })).status, 401, 'bob was revoked');
    assert.equal((await call(`${server.url}/admin/jobs`, { key: carol })).status, 200, 'carol was added');
    assert.equal((await call(`${server.url}/admin/jobs`, { key: alice })).status, 200);
    assert.equal((await call(`${server.url}/admin/jobs`, { key: server.adminKey })).status, 200);

    await reload(`alice:${sha256(alice)}\ncarol:not-a-hash\n`, /the admin keys file is not valid; keeping the previous keys/);
    assert.match(server.output(), /line 2: expected NAME:SHA256-HEX/);
    assert.equal((await call(`${server.url}/admin/jobs`, { key: carol })).status, 200, 'the previous set stays');
    assert.equal(server.child.pid, pid);
    assert.equal(server.child.exitCode, null);
    // Node keys never open admin routes.
    assert.equal((await call(`${server.url}/admin/jobs`, { key: server.nodesKey })).status, 401);
  });

  it('stops the server at start when the file is bad or names a node key, saying which line', async () => {
    const bad = path.join(temp.dir, 'bad-keys');
    const base = { FOODTRUCK_DATA_DIR: temp.dir, FOODTRUCK_LISTEN_ADDR: '127.0.0.1:0', ADMIN_API_KEY: randomKey() };
    writeFileSync(bad, `ok:${sha256(alice)}\nadmin:${sha256(bob)}\n`);
    const reserved = await runServerToExit({ ...base, NODES_API_KEY: randomKey(), FOODTRUCK_ADMIN_KEYS_FILE: bad });
    assert.equal(reserved.code, 2);
    assert.match(reserved.output, /line 2: the name "admin" is ADMIN_API_KEY's/);
    const nodesKey = randomKey();
    writeFileSync(bad, `ops:${sha256(nodesKey)}\n`);
    const nodes = await runServerToExit({ ...base, NODES_API_KEY: nodesKey, FOODTRUCK_ADMIN_KEYS_FILE: bad });
    assert.equal(nodes.code, 2);
    assert.match(nodes.output, /the key of "ops" is NODES_API_KEY, which must never open admin routes/);
    const missing = await runServerToExit({ ...base, NODES_API_KEY: randomKey(), FOODTRUCK_ADMIN_KEYS_FILE: path.join(temp.dir, 'nope') });
    assert.equal(missing.code, 2);
    assert.match(missing.output, /FOODTRUCK_ADMIN_KEYS_FILE .*nope: cannot read it/);
  });
});
