// The embedded store belongs to one process. The lock is an exclusive SQLite transaction held on a
// file of its own in the data directory: SQLite takes it with the operating system's file locks,
// which the system releases when the process ends in any way (SIGKILL and power loss included), so
// a crash never leaves a stale lock behind, and no process id is ever guessed at.

import path from 'node:path';
import { openSqliteDatabase } from './sqlite-binding.js';

export const LOCK_FILE_NAME = 'foodtruck.lock';

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `the data directory ${dataDir} is in use by another foodtruck-server (it holds ${path.join(dataDir, LOCK_FILE_NAME)}): ` +
        'stop that one first, or give this one another FOODTRUCK_DATA_DIR',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the data directory for this process, or throws DataDirInUseError at once when another holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const lock = openSqliteDatabase(path.join(dataDir, LOCK_FILE_NAME));
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new DataDirInUseError(dataDir);
    throw error;
  }
  return {
    release: () => {
      if (!lock.open) return;
      lock.exec('ROLLBACK');
      lock.close();
    },
  };
}
