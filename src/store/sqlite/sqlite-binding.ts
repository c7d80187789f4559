// better-sqlite3, in the build that works on the Node.js running us.
//
// Node.js 24.19 and later abort (`Assertion failed: (env) != nullptr`) when the garbage collector
// frees a statement of better-sqlite3 12, which wraps its objects with Node's own ObjectWrap;
// better-sqlite3 13 moved to Node-API and is safe there, but it requires Node.js 22 and crashes
// on Node.js 20. So both are installed (13 under the alias `better-sqlite3-napi`, with prebuilt
// binaries; 12 as an optional dependency built from source), and the one that suits this Node.js
// is loaded. Their JavaScript API is the same.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The first Node.js major version that better-sqlite3 13 supports. */
const NODE_API_BUILD_FROM_MAJOR = 22;

function loadBinding(): typeof BetterSqlite3 {
  const major = Number(process.versions.node.split('.')[0]);
  const packageName = major >= NODE_API_BUILD_FROM_MAJOR ? 'better-sqlite3-napi' : 'better-sqlite3';
  try {
    return require(packageName) as typeof BetterSqlite3;
  } catch (error) {
    throw new Error(
      `the embedded store needs the package ${packageName} on Node.js ${process.versions.node}, ` +
        `and it could not be loaded (run npm ci with this Node.js): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The better-sqlite3 `Database` class. Loaded on first use, so a MongoDB-only server never needs it. */
let binding: typeof BetterSqlite3 | undefined;

export function openSqliteDatabase(file: string, options?: BetterSqlite3.Options): BetterSqlite3.Database {
  binding ??= loadBinding();
  return new binding(file, options);
}

export type SqliteDatabase = BetterSqlite3.Database;
