// Schemathesis (from PyPI, pinned in test/schemathesis/requirements.txt) against the real server's
// /openapi.json, in positive mode (every request valid by the document must be accepted and
// answered as documented) and negative mode (every invalid request must be refused with a
// documented 4xx; its coverage phase), with a fixed number of examples per operation and a fixed seed so the run is
// bounded in time. Install it with `bash scripts/install-schemathesis.sh`; .ci/run does, and sets
// FOODTRUCK_REQUIRE_SCHEMATHESIS=1 so that a missing schemathesis fails instead of skipping.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { call } from './support/api-client.js';
import { isExecutable } from './support/executable.js';
import { randomKey, startServer, type ServerProcess } from './support/server-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOOKS_DIR = `${ROOT}test/schemathesis`;
/** Examples per operation and phase: enough to find the cases that matter, few enough for CI. */
const MAX_EXAMPLES = Number(process.env.FOODTRUCK_SCHEMATHESIS_EXAMPLES ?? 15);
const RUN_TIMEOUT_MS = 8 * 60_000;
const ENROLLMENT_SECRET = randomKey();

function findSchemathesis(): string | undefined {
  const candidates = [process.env.FOODTRUCK_SCHEMATHESIS, `${ROOT}.venv-schemathesis/bin/schemathesis`].filter(
    (file): file is string => Boolean(file),
  );
  return candidates.find(isExecutable);
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function xmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return XML_ENTITIES[entity] ?? whole;
  });
}

/**
 * The operations schemathesis found at odds with the document, from its JUnit report: for each,
 * "METHOD /path" and what disagreed (the check, the answer, and how to reproduce it).
 */
export function disagreements(junitXml: string): string[] {
  const found: string[] = [];
  for (const testcase of junitXml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const name = /\bname="([^"]*)"/.exec(testcase[1] ?? '')?.[1];
    const body = testcase[2] ?? '';
    const problems = [...body.matchAll(/<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/g)].map((problem) => {
      const message = xmlText(/\bmessage="([^"]*)"/.exec(problem[2] ?? '')?.[1] ?? '').trim();
      const text = xmlText((problem[3] ?? '').replace(/^<!\[CDATA\[|\]\]>$/g, '')).trim();
      return [message, text.slice(0, 3000)].filter(Boolean).join('\n') || (problem[1] as string);
    });
    if (problems.length > 0) found.push(`${xmlText(name ?? '(unnamed operation)')}:\n  ${problems.join('\n').replace(/\n/g, '\n  ')}`);
  }
  return found;
}

function runSchemathesis(
  binary: string,
  server: ServerProcess,
  mode: 'positive' | 'negative',
): Promise<{ code: number | null; output: string; junit: string }> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'foodtruck-schemathesis-'));
  const junitPath = path.join(workDir, 'junit.xml');
  return new Promise((resolve) => {
    const child = spawn(
      binary,
      [
        '--config-file', `${HOOKS_DIR}/schemathesis.toml`,
        'run', `${server.url}/openapi.json`,
        '--mode', mode,
        // Negative mode runs the coverage phase only: it makes every parameter and field wrong in
        // each way its schema allows (types, patterns, bounds, missing required ones), while
        // random negative generation (fuzzing) spends minutes looking for strings outside patterns
        // such as the node names' and finds nothing coverage does not.
        ...(mode === 'negative' ? ['--phases', 'examples,coverage'] : []),
        '--max-examples', String(MAX_EXAMPLES),
        '--seed', '20261125',
        '--workers', '1',
        '--request-timeout', '30',
        // Hypothesis's health checks judge the generator (too slow on a loaded machine, a minimal
        // negative example too large for a 255-character pattern), not the document or the server.
        '--suppress-health-check', 'all',
        '--no-color',
        '--report', 'junit',
        '--report-junit-path', junitPath,
      ],
      {
        // Its cache goes to a directory of its own, not into the repository.
        cwd: workDir,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PYTHONPATH: HOOKS_DIR,
          PYTHONDONTWRITEBYTECODE: '1',
          SCHEMATHESIS_HOOKS: 'hooks',
          FOODTRUCK_ST_ADMIN_KEY: server.adminKey,
          FOODTRUCK_ST_NODES_KEY: server.nodesKey,
          FOODTRUCK_ST_ENROLLMENT_SECRET: ENROLLMENT_SECRET,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      let junit = '';
      try {
        junit = readFileSync(junitPath, 'utf8');
      } catch {
        // No report: schemathesis stopped before it wrote one; its output says why.
      }
      rmSync(workDir, { recursive: true, force: true });
      resolve({ code, output, junit });
    });
  });
}

const binary = findSchemathesis();
const skip =
  binary === undefined && process.env.FOODTRUCK_REQUIRE_SCHEMATHESIS !== '1'
    ? 'schemathesis is not installed: run `bash scripts/install-schemathesis.sh` (or set FOODTRUCK_SCHEMATHESIS)'
    : false;

// The two modes run at once, against one server, to halve the wall time.
describe('the OpenAPI document against the real server, by schemathesis', { skip, concurrency: true }, () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServer({ env: { FOODTRUCK_ENROLLMENT_SECRET: ENROLLMENT_SECRET } });
    // A node that polled, for a job's targets to pick (test/schemathesis/hooks.py, SEED_ORG).
    const poll = await call(`${server.url}/organizations/schemathesis-seed/foodtruck/nodes/seed/tasks/next`, {
      method: 'POST',
      key: server.nodesKey,
    });
    assert.equal(poll.status, 404);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  for (const mode of ['positive', 'negative'] as const) {
    it(`finds no failure in ${mode} mode`, { timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
      assert.ok(binary, 'FOODTRUCK_REQUIRE_SCHEMATHESIS=1, but schemathesis is not installed: run `bash scripts/install-schemathesis.sh`');
      const started = Date.now();
      const { code, output, junit } = await runSchemathesis(binary, server, mode);
      const summary = output.split('\n').filter((line) => /passed|failed|failures|generated/.test(line)).slice(-3).join('\n');
      console.log(`schemathesis ${mode} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary}`);
      const found = disagreements(junit);
      assert.equal(
        found.length,
        0,
        `/openapi.json and the server disagree on ${found.length} operation(s) in ${mode} mode: fix the route or its ` +
          `schema in src/server/openapi.ts / src/wire/schemas.ts (or, for a rule no schema can state, ` +
          `test/schemathesis/hooks.py):\n\n${found.join('\n\n')}`,
      );
      assert.equal(code, 0, `schemathesis exited with ${code} and no failing operation in its report:\n${output.slice(-20_000)}`);
    });
  }
});
