// Files that are either wholly the old content or wholly the new one, even if the machine loses
// power mid-write: write a temporary file, flush it to disk, rename it over the old one.

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

let counter = 0;

export const TEMP_SUFFIX = '.tmp';

export function writeFileAtomic(file: string, content: string): void {
  const temp = `${file}.${process.pid}.${++counter}${TEMP_SUFFIX}`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  syncDirectory(path.dirname(file));
}

export function removeFileDurably(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  syncDirectory(path.dirname(file));
}

/** Makes a rename or an unlink in `dir` durable; Windows cannot open directories, and needs not. */
function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
