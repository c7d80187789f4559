// The client's durable outbox and its waits between attempts.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { backoffDelay, spread } from '../src/client/backoff.js';
import { Outbox } from '../src/client/outbox.js';
import { RunningTaskFile } from '../src/client/running-task.js';
import { makeTempDir } from './support/temp-dir.js';

describe('outbox of undelivered statuses', () => {
  it('keeps one entry per job, the latest status replacing an undelivered earlier one', () => {
    const temp = makeTempDir();
    try {
      const outbox = Outbox.open(path.join(temp.dir, 'outbox'));
      outbox.put({ job_id: 'job-a', status: 'running' });
      outbox.put({ job_id: 'job-b', status: 'running' });
      outbox.put({ job_id: 'job-a', status: 'failed', result: { exit_code: 2, reason: 'exit error', output: 'ünïcödé' } });
      const entries = outbox.entries();
      assert.deepEqual(
        entries.map((entry) => entry.report),
        [
          { job_id: 'job-b', status: 'running' },
          { job_id: 'job-a', status: 'failed', result: { exit_code: 2, reason: 'exit error', output: 'ünïcödé' } },
        ],
        'oldest first: job-a now holds the newest status',
      );
      // Reopened (a restarted client), the entries are still there.
      assert.equal(Outbox.open(path.join(temp.dir, 'outbox')).entries().length, 2);
    } finally {
      temp.remove();
    }
  });

  it('removes a delivered entry only if no newer status replaced it meanwhile', () => {
    const temp = makeTempDir();
    try {
      const outbox = Outbox.open(path.join(temp.dir, 'outbox'));
      const running = outbox.put({ job_id: 'job-a', status: 'running' });
      const final = outbox.put({ job_id: 'job-a', status: 'success', result: { exit_code: 0, reason: '' } });
      outbox.remove(running);
      assert.deepEqual(outbox.get('job-a')?.report.status, 'success');
      outbox.remove(final);
      assert.equal(outbox.get('job-a'), undefined);
      assert.deepEqual(outbox.entries(), []);
    } finally {
      temp.remove();
    }
  });

  it('writes owner-only files, leaves no temporary file behind, and drops those of an interrupted write', () => {
    const temp = makeTempDir();
    try {
      const dir = path.join(temp.dir, 'outbox');
      const outbox = Outbox.open(dir);
      outbox.put({ job_id: 'job-a', status: 'running' });
      const files = readdirSync(dir);
      assert.equal(files.length, 1);
      assert.match(files[0] as string, /^[0-9a-f]{40}\.json$/);
      assert.equal(statSync(path.join(dir, files[0] as string)).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);

      writeFileSync(path.join(dir, `${files[0] as string}.123.1.tmp`), '{"half": ');
      Outbox.open(dir);
      assert.deepEqual(readdirSync(dir), files);
    } finally {
      temp.remove();
    }
  });

  it('sets an unreadable entry aside instead of sending it or stopping on it', () => {
    const temp = makeTempDir();
    try {
      const dir = path.join(temp.dir, 'outbox');
      const outbox = Outbox.open(dir);
      outbox.put({ job_id: 'job-a', status: 'running' });
      writeFileSync(path.join(dir, 'broken.json'), 'not json');
      const problems: string[] = [];
      const entries = outbox.entries((problem) => problems.push(path.basename(problem.file)));
      assert.deepEqual(entries.map((entry) => entry.report.job_id), ['job-a']);
      assert.deepEqual(problems, ['broken.json']);
      assert.equal(readFileSync(path.join(dir, 'broken.json.corrupt'), 'utf8'), 'not json');
    } finally {
      temp.remove();
    }
  });

  it('remembers the running task until it is cleared', () => {
    const temp = makeTempDir();
    try {
      const note = { job_id: 'job-a', provider: 'infra', started_at: '2021-01-07T21:07:00.000Z', client_pid: 42 };
      new RunningTaskFile(temp.dir).write(note);
      assert.deepEqual(new RunningTaskFile(temp.dir).read(), note);
      new RunningTaskFile(temp.dir).clear();
      assert.equal(new RunningTaskFile(temp.dir).read(), undefined);
    } finally {
      temp.remove();
    }
  });
});

describe('waits between attempts', () => {
  it('doubles from the base up to the cap, never below half of it', () => {
    const low = () => 0;
    const high = () => 0.999999;
    assert.deepEqual([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, 1000, 60_000, low)), [500, 1000, 2000, 4000]);
    assert.equal(Math.round(backoffDelay(3, 1000, 60_000, high)), 8000);
    assert.equal(backoffDelay(20, 1000, 60_000, low), 30_000);
    assert.equal(Math.round(backoffDelay(1000, 1000, 60_000, high)), 60_000);
  });

  it('spreads a regular wait by at most 10%', () => {
    assert.equal(spread(10_000, () => 0), 9000);
    assert.equal(Math.round(spread(10_000, () => 0.999999)), 11_000);
  });
});
