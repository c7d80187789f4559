// Runs every compiled test file with Node's own test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = new URL('../dist/test/', import.meta.url).pathname;
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.js'))
  .filter((file) => process.argv.length <= 2 || process.argv.slice(2).some((wanted) => file.includes(wanted)))
  .sort()
  .map((file) => path.join(root, file));
// Given no files, node --test would look for tests on its own, and find the TypeScript sources.
if (files.length === 0) {
  console.error(`run-tests: no test file under dist/test matches ${process.argv.slice(2).join(' ')}`);
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
