// Whether a tool the tests or the bench run (FerretDB, schemathesis, PostgreSQL's binaries) is there.

import { accessSync, constants } from 'node:fs';

/** True when `file` exists and this process may execute it. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
