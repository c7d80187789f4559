// The OpenAPI document describes every route the server answers, and real answers match it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { buildApp } from '../src/server/app.js';
import { OPERATIONS, openApiPath } from '../src/server/openapi.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { documentedCreateJobRequestSchema, documentedNodeFactsSchema, documentedStatusReportSchema } from '../src/wire/schemas.js';
import { call, jobBody } from './support/api-client.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>>;
}

describe('OpenAPI document', () => {
  let server: ServerProcess;
  let document: OpenApiDocument;
  const ajv = new Ajv({ strict: false, validateFormats: false });

  before(async () => {
    server = await startServer();
    const answer = await call(`${server.url}/openapi.json`);
    assert.equal(answer.status, 200);
    document = answer.body as OpenApiDocument;
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  /** Checks a real answer against the document's schema for that route and status. */
  const assertDescribed = (method: string, route: string, answer: { status: number; body: unknown }) => {
    const operation = document.paths[openApiPath(route)]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${route} is not in the document`);
    const response = operation.responses[String(answer.status)];
    assert.ok(response, `${method} ${route} answered ${answer.status}, which the document does not list`);
    const schema = response.content['application/json']?.schema;
    assert.ok(schema, `${method} ${route} ${answer.status} has no JSON schema`);
    const validate = ajv.compile(schema);
    assert.ok(validate(answer.body), `${method} ${route} ${answer.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body)}`);
  };

  it('is served without a key as OpenAPI 3.1', () => {
    assert.equal(document.openapi, '3.1.0');
  });

  it('describes request bodies with every field the server requires and every pattern it enforces', () => {
    const body = (path: string) =>
      (document.paths[path]?.post as unknown as { requestBody: { content: Record<string, { schema: object }> } }).requestBody
        .content['application/json']?.schema;
    // The test server runs with the default FOODTRUCK_MAX_JOB_NODES.
    assert.deepEqual(body('/admin/jobs'), documentedCreateJobRequestSchema(100_000));
    assert.deepEqual(body('/organizations/{org}/foodtruck/nodes/{name}/tasks/status'), documentedStatusReportSchema);
    const facts = (document.paths['/organizations/{org}/foodtruck/nodes/{name}/facts']?.put as unknown as {
      requestBody: { content: Record<string, { schema: object }> };
    }).requestBody.content['application/json']?.schema;
    assert.deepEqual(facts, documentedNodeFactsSchema);
  });

  it('answers 405 with an Allow header and a JSON message for a method a path does not serve, 404 for no path', async () => {
    const cases: Array<[string, string, string]> = [
      ['PUT', '/admin/jobs', 'GET, HEAD, POST'],
      ['DELETE', '/admin/jobs/5ff7686a91072739255a4a35', 'GET, HEAD'],
      ['GET', '/admin/jobs/5ff7686a91072739255a4a35/cancel', 'POST'],
      ['GET', '/organizations/org/foodtruck/nodes/n1/tasks/next', 'POST'],
      ['POST', '/healthz/', 'GET, HEAD'],
      ['PATCH', '/openapi.json', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await call(`${server.url}${path}?x=1`, { method, key: server.adminKey });
      assert.equal(answer.status, 405, `${method} ${path}`);
      assert.equal(answer.headers.get('allow'), allow, `${method} ${path}`);
      assert.equal(answer.body.message, `method ${method} is not allowed on ${path}: use ${allow}`);
    }
    const missing = await call(`${server.url}/admin/nothing-here`, { method: 'PUT' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'no route for PUT /admin/nothing-here');
  });

  it('lists every route the server registers, and nothing it does not', async () => {
    const temp = makeTempDir();
    const store = SqliteStore.open(temp.dir);
    const { app, routes } = await buildApp({
      store,
      keys: { admin: 'a'.repeat(20), nodes: 'n'.repeat(20) },
      maxJobNodes: 10,
      jobBodyLimitBytes: 1024,
      logger: false,
    });
    try {
      await app.ready();
      // HEAD routes are the GET routes Fastify answers without a body.
      const answered = routes.filter((route) => route.method !== 'HEAD');
      assert.ok(answered.length >= 10);
      for (const route of answered) {
        assert.ok(
          document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()],
          `${route.method} ${route.url} is answered but not described`,
        );
      }
      for (const operation of OPERATIONS) {
        assert.ok(app.hasRoute({ method: operation.method, url: operation.path }), `${operation.method} ${operation.path} is described but not answered`);
      }
    } finally {
      await app.close();
      await store.close();
      temp.remove();
    }
  });

  it('describes the answers the server really gives', async () => {
    const admin = (path: string, init: Parameters<typeof call>[1] = {}) => call(`${server.url}${path}`, { key: server.adminKey, ...init });
    const node = { org: 'docs', name: 'node-1' };
    const nodePath = `/organizations/${node.org}/foodtruck/nodes/${node.name}/tasks`;
    const nodeCall = (verb: string, json?: unknown) =>
      call(`${server.url}${nodePath}/${verb}`, { method: 'POST', key: server.nodesKey, ...(json === undefined ? {} : { json }) });

    const created = await admin('/admin/jobs', { json: jobBody([node, { org: 'docs', name: 'node-2' }], { timeout: '5m' }) });
    assertDescribed('POST', '/admin/jobs', created);
    const id = created.body.id as string;
    assertDescribed('POST', '/admin/jobs', await admin('/admin/jobs', { json: { nodes: [] } }));
    assertDescribed('GET', '/admin/jobs', await admin('/admin/jobs?limit=1'));
    assertDescribed('GET', '/admin/jobs', await call(`${server.url}/admin/jobs`));
    const claimed = await nodeCall('next');
    assertDescribed('POST', '/organizations/:org/foodtruck/nodes/:name/tasks/next', claimed);
    assertDescribed('POST', '/organizations/:org/foodtruck/nodes/:name/tasks/next', await nodeCall('next'));
    const report = { job_id: id, status: 'failed', result: { exit_code: 3, reason: 'exit error', output: 'boom\n' } };
    assertDescribed('POST', '/organizations/:org/foodtruck/nodes/:name/tasks/status', await nodeCall('status', report));
    assertDescribed('POST', '/organizations/:org/foodtruck/nodes/:name/tasks/status', await nodeCall('status', report));
    assertDescribed('GET', '/admin/jobs/:job_id', await admin(`/admin/jobs/${id}`));
    assertDescribed('GET', '/admin/jobs/:job_id', await admin(`/admin/jobs/${id}?fetchStatuses=true&limit=1`));
    assertDescribed('GET', '/admin/jobs/:job_id', await admin('/admin/jobs/5ff7686a91072739255a4a35'));
    assertDescribed('GET', '/admin/jobs/:job_id/summary', await admin(`/admin/jobs/${id}/summary`));
    assertDescribed('GET', '/admin/jobs/:job_id/statuses', await admin(`/admin/jobs/${id}/statuses?status=failed`));
    assertDescribed('GET', '/admin/jobs/:job_id/statuses', await admin(`/admin/jobs/${id}/statuses?status=nope`));
    const rerun = await admin(`/admin/jobs/${id}/rerun`, { method: 'POST' });
    assert.equal(rerun.status, 200, JSON.stringify(rerun.body));
    assertDescribed('POST', '/admin/jobs/:job_id/rerun', rerun);
    assertDescribed('POST', '/admin/jobs/:job_id/cancel', await admin(`/admin/jobs/${id}/cancel?node=docs/nobody`, { method: 'POST' }));
    assertDescribed('POST', '/admin/jobs/:job_id/cancel', await admin(`/admin/jobs/${id}/cancel?node=bad`, { method: 'POST' }));
    const other = { org: 'docs', name: 'node-2' };
    await call(`${server.url}/organizations/${other.org}/foodtruck/nodes/${other.name}/tasks/next`, { method: 'POST', key: server.nodesKey });
    assertDescribed('POST', '/admin/jobs/:job_id/cancel', await admin(`/admin/jobs/${id}/cancel`, { method: 'POST' }));
    const stopAnswer = await call(`${server.url}/organizations/${other.org}/foodtruck/nodes/${other.name}/tasks/status`, {
      method: 'POST',
      key: server.nodesKey,
      json: { job_id: id, status: 'running', heartbeat_interval: '30s' },
    });
    assert.deepEqual(stopAnswer.body, { cancel: true });
    assertDescribed('POST', '/organizations/:org/foodtruck/nodes/:name/tasks/status', stopAnswer);
    assertDescribed('GET', '/admin/nodes', await admin('/admin/nodes'));
    const factsPath = '/organizations/:org/foodtruck/nodes/:name/facts';
    const putFacts = (json: unknown) =>
      call(`${server.url}/organizations/docs/foodtruck/nodes/node-1/facts`, { method: 'PUT', key: server.nodesKey, json });
    assertDescribed('PUT', factsPath, await putFacts({ os: 'ubuntu', platform: 'linux', tags: ['web'], attributes: { role: 'x' } }));
    assertDescribed('PUT', factsPath, await putFacts({ tags: 'web' }));
    assertDescribed('GET', '/admin/nodes', await admin('/admin/nodes?tag=web'));
    assertDescribed('GET', '/admin/nodes', await admin('/admin/nodes?tag=no%20word'));
    assertDescribed('POST', '/admin/nodes/resolve', await admin('/admin/nodes/resolve', { json: { targets: { tags_all: ['web'] } } }));
    assertDescribed('POST', '/admin/nodes/resolve', await admin('/admin/nodes/resolve', { json: { targets: {} } }));
    const targeted = await admin('/admin/jobs', { json: { ...jobBody([]), targets: { tags_all: ['web'] } } });
    assertDescribed('POST', '/admin/jobs', targeted);
    assertDescribed('GET', '/admin/jobs/:job_id', await admin(`/admin/jobs/${targeted.body.id}`));
    assertDescribed('GET', '/admin/jobs', await admin('/admin/jobs?limit=1'));
    assertDescribed('GET', '/healthz', await call(`${server.url}/healthz`));
    assertDescribed('GET', '/openapi.json', await call(`${server.url}/openapi.json`));
    assertDescribed('GET', '/admin/jobs', await admin('/admin/jobs?cursor=a&cursor=b'));
    assertDescribed('POST', '/admin/jobs', await admin('/admin/jobs', { body: 'x', headers: { 'content-type': 'text/plain' } }));
  });
});
