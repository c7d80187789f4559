// Statuses on their way to the server, kept on disk until it accepts them, so that no result is
// lost to a server outage, a network failure or a client restart. One file per job: a newer
// status of a job replaces an undelivered older one (a final result makes `running` moot).

import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { removeFileDurably, TEMP_SUFFIX, writeFileAtomic } from './atomic-file.js';
import type { StatusReport } from './node-api.js';

export interface OutboxEntry {
  /** Tells this version of the job's entry from a later one. */
  seq: string;
  queued_at: string;
  report: StatusReport;
}

export interface OutboxProblem {
  file: string;
  message: string;
}

let sequence = 0;

export class Outbox {
  private constructor(private readonly dir: string) {}

  /** Opens the outbox in `dir`, creating it if needed; throws if it (or its parent, the state directory) is not writable. */
  static open(dir: string): Outbox {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Found out now rather than when a result has to be kept.
    accessSync(dir, constants.W_OK);
    accessSync(path.dirname(dir), constants.W_OK);
    for (const name of readdirSync(dir)) {
      // A write interrupted before its rename; the entry it was replacing is still there.
      if (name.endsWith(TEMP_SUFFIX)) unlinkSync(path.join(dir, name));
    }
    return new Outbox(dir);
  }

  put(report: StatusReport): OutboxEntry {
    const entry: OutboxEntry = {
      // Zero-padded so that entries queued within one millisecond still sort in order.
      seq: `${Date.now()}-${process.pid}-${String(++sequence).padStart(12, '0')}`,
      queued_at: new Date().toISOString(),
      report,
    };
    writeFileAtomic(this.fileOf(report.job_id), JSON.stringify(entry));
    return entry;
  }

  get(jobId: string): OutboxEntry | undefined {
    return this.read(this.fileOf(jobId));
  }

  /** Oldest first. Unreadable files are moved aside (`.corrupt`) and reported, never re-sent. */
  entries(onProblem: (problem: OutboxProblem) => void = () => undefined): OutboxEntry[] {
    const entries: OutboxEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      try {
        const entry = this.read(file);
        if (entry) entries.push(entry);
      } catch (error) {
        renameSync(file, `${file}.corrupt`);
        onProblem({ file, message: (error as Error).message });
      }
    }
    return entries.sort((a, b) => a.queued_at.localeCompare(b.queued_at) || a.seq.localeCompare(b.seq));
  }

  /** Removes the entry once delivered, unless a newer status of the job replaced it meanwhile. */
  remove(entry: OutboxEntry): void {
    const file = this.fileOf(entry.report.job_id);
    let current: OutboxEntry | undefined;
    try {
      current = this.read(file);
    } catch {
      return;
    }
    if (current?.seq === entry.seq) removeFileDurably(file);
  }

  private read(file: string): OutboxEntry | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const entry = JSON.parse(text) as OutboxEntry;
    if (typeof entry?.seq !== 'string' || typeof entry.report?.job_id !== 'string' || typeof entry.report.status !== 'string') {
      throw new Error('not an outbox entry');
    }
    return entry;
  }

  /** Job ids come from the server: hashed, they make safe file names on every platform. */
  private fileOf(jobId: string): string {
    return path.join(this.dir, `${createHash('sha256').update(jobId).digest('hex').slice(0, 40)}.json`);
  }
}
