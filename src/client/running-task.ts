// A note on disk of the task whose provider is running, so that a client that dies mid-task (a
// crash, SIGKILL, a power cut) reports that task failed when it comes back, instead of leaving it
// `running` forever.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { removeFileDurably, writeFileAtomic } from './atomic-file.js';

export interface RunningTaskNote {
  job_id: string;
  provider: string;
  started_at: string;
  client_pid: number;
}

export class RunningTaskFile {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'running-task.json');
  }

  write(note: RunningTaskNote): void {
    writeFileAtomic(this.file, JSON.stringify(note));
  }

  /** The note left by a client that did not finish its task; undefined when there is none. */
  read(): RunningTaskNote | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const note = JSON.parse(text) as RunningTaskNote;
    if (typeof note?.job_id !== 'string') throw new Error(`${this.file} is not a running-task note`);
    return note;
  }

  clear(): void {
    removeFileDurably(this.file);
  }
}
