// Which executable a task may run: only foodtruck-provider-<provider>, found where the operator put it.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { executableCandidates, findProvider } from '../src/client/provider-lookup.js';
import { parseTask } from '../src/client/task.js';
import { writeProvider } from './support/client-process.js';
import { makeTempDir } from './support/temp-dir.js';

describe('provider lookup', () => {
  it('looks in providers_path first, then PATH, and only at executable files', () => {
    const temp = makeTempDir();
    try {
      const first = path.join(temp.dir, 'first');
      const onPath = path.join(temp.dir, 'on-path');
      mkdirSync(first);
      mkdirSync(onPath);
      writeProvider(onPath, 'infra', '#!/bin/sh\n');
      writeProvider(onPath, 'other', '#!/bin/sh\n');
      writeProvider(first, 'infra', '#!/bin/sh\n');
      writeFileSync(path.join(first, 'foodtruck-provider-plain'), 'not executable');
      mkdirSync(path.join(first, 'foodtruck-provider-dir'));
      const environment = { platform: 'linux' as const, env: { PATH: `relative/dir::${onPath}` } };

      assert.equal(findProvider('infra', [first], environment), path.join(first, 'foodtruck-provider-infra'));
      assert.equal(findProvider('other', [first], environment), path.join(onPath, 'foodtruck-provider-other'));
      assert.equal(findProvider('plain', [first], environment), undefined);
      assert.equal(findProvider('dir', [first], environment), undefined);
      assert.equal(findProvider('missing', [first], environment), undefined);
    } finally {
      temp.remove();
    }
  });

  it('honours PATHEXT on Windows', () => {
    const windows = (env: Record<string, string>) => ({ platform: 'win32' as const, env });
    assert.deepEqual(executableCandidates('foodtruck-provider-infra', windows({ PATHEXT: '.COM;.EXE;.BAT;.CMD' })), [
      'foodtruck-provider-infra.com',
      'foodtruck-provider-infra.exe',
      'foodtruck-provider-infra.bat',
      'foodtruck-provider-infra.cmd',
    ]);
    assert.deepEqual(executableCandidates('foodtruck-provider-x', windows({ PathExt: '.EXE;.PS1' })), [
      'foodtruck-provider-x.exe',
      'foodtruck-provider-x.ps1',
    ]);
    assert.deepEqual(executableCandidates('foodtruck-provider-tool.exe', windows({})), [
      'foodtruck-provider-tool.exe',
      'foodtruck-provider-tool.exe.com',
      'foodtruck-provider-tool.exe.exe',
      'foodtruck-provider-tool.exe.bat',
      'foodtruck-provider-tool.exe.cmd',
    ]);
    assert.deepEqual(executableCandidates('foodtruck-provider-infra', { platform: 'linux', env: { PATHEXT: '.EXE' } }), [
      'foodtruck-provider-infra',
    ]);
  });

  it('never looks up a provider name that is not a plain file name', () => {
    for (const provider of ['../../bin/sh', 'a/b', 'a\\b', '..', 'with space', '', 'tab\t']) {
      assert.throws(() => findProvider(provider, ['/usr/bin'], { platform: 'linux', env: {} }), /invalid provider name/);
    }
  });
});

describe('tasks from the server', () => {
  it('reads the task and keeps its spec as JSON for stdin', () => {
    const parsed = parseTask(
      JSON.stringify({
        job_id: '5ff7686a91072739255a4a35',
        window_start: '2020-12-25T21:06:45Z',
        window_end: '2021-12-27T21:07:00Z',
        provider: 'infra',
        spec: { url: 'https://example.com/policy.tar.gz', note: 'ünïcödé' },
        timeout: '1h30m',
      }),
    );
    assert.deepEqual(parsed, {
      ok: true,
      task: {
        jobId: '5ff7686a91072739255a4a35',
        provider: 'infra',
        specJson: '{"url":"https://example.com/policy.tar.gz","note":"ünïcödé"}',
        timeoutMs: 5_400_000,
        timeoutText: '1h30m',
      },
    });
  });

  it('refuses to run a task whose provider is not a plain name, and says why', () => {
    const parsed = parseTask(JSON.stringify({ job_id: 'j1', provider: '../../../bin/sh', spec: {} }));
    assert.deepEqual(parsed, { ok: false, jobId: 'j1', reason: 'invalid provider name "../../../bin/sh": not run' });
  });

  it('refuses a timeout that is not a Go duration', () => {
    const parsed = parseTask(JSON.stringify({ job_id: 'j1', provider: 'infra', spec: {}, timeout: 'soon' }));
    assert.deepEqual(parsed, { ok: false, jobId: 'j1', reason: 'invalid task timeout "soon": not run' });
  });

  it('cannot report a task without a job id', () => {
    assert.equal(parseTask('{"provider":"infra"}').ok, false);
    assert.equal(parseTask('not json').ok, false);
    assert.equal(parseTask('[]').ok, false);
  });
});
