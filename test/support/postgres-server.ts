// A throwaway PostgreSQL server for FerretDB's PostgreSQL backend: the bench's, and the test of a
// whole job reporting at once on it. Its data lives in a temporary directory, it listens on a
// loopback port only, and it is stopped (and the directory removed) by `remove`, or killed when the
// process exits without doing so. PostgreSQL refuses to run as root, so as root it runs as the
// `postgres` user (`runuser`).

import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './mongodb-server.js';
import { isExecutable } from './executable.js';

const STOP_TIMEOUT_S = 20;

export interface PostgresServer {
  /** e.g. "PostgreSQL 15.14" */
  version: string;
  /** A `postgres://` URL of a database made for the caller. */
  url: string;
  remove: () => void;
}

/** The directory holding initdb, pg_ctl and postgres: the newest /usr/lib/postgresql/N/bin, else PATH. */
export function findPostgresBinDir(): string | undefined {
  const candidates: string[] = [];
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => `/usr/lib/postgresql/${version}/bin`));
  } catch {
    // No Debian-style installation.
  }
  candidates.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
  return candidates.find((dir) => isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'pg_ctl')));
}

/** Why PostgreSQL cannot run here, or undefined when it can. */
export function postgresUnavailableReason(): string | undefined {
  if (!findPostgresBinDir()) return 'no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH';
  if (userInfo().uid === 0 && !userExists('postgres')) return 'running as root and there is no "postgres" user to run PostgreSQL as';
  return undefined;
}

export async function startPostgres(databaseName: string): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const reason = postgresUnavailableReason();
  if (!binDir || reason) throw new Error(reason ?? 'no PostgreSQL');
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'foodtruck-postgres-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (program: string, args: string[]) => {
    const [file, fileArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(binDir, program), ...args]] : [path.join(binDir, program), args];
    // Run from the data's parent: the postgres user may not be allowed into the current directory.
    const result = spawnSync(file, fileArgs, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${program} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
    return result.stdout;
  };
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const stop = (mode: 'fast' | 'immediate') => {
    try {
      run('pg_ctl', ['-D', dataDir, '-m', mode, '-t', String(STOP_TIMEOUT_S), 'stop']);
    } catch {
      // Not running (any more).
    }
  };
  const killOnExit = () => {
    stop('immediate');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    process.once('exit', killOnExit);
    // Defaults otherwise (fsync on): the durability a deployment would have.
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`;
    run('pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start']);
    run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', databaseName]);
    const version = run('postgres', ['--version']).trim().replace(/^postgres \(PostgreSQL\) /, 'PostgreSQL ');
    return {
      version,
      url: `postgres://postgres@127.0.0.1:${port}/${databaseName}`,
      remove: () => {
        stop('fast');
        process.off('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stop('immediate');
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function userExists(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}
