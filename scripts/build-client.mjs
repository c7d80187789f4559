// Builds the node client for distribution (`npm run build:client`):
//   dist/foodtruck-client.cjs              one self-contained JavaScript file, for any Node.js >= 18
//   bin/foodtruck-client-<os>-<arch>[.exe] a single executable application for this platform
//
// Options:
//   --bundle-only      only the JavaScript file
//   --outdir DIR       where the JavaScript file goes (default: dist)
//   --bindir DIR       where the executable goes (default: bin)
//   --node FILE        the node executable to turn into the binary (default: the one running this);
//                      give another platform's node.exe / node of the same Node.js version to build for it
//   --target OS-ARCH   the binary's name suffix when --node is another platform's (e.g. windows-amd64)
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: options } = parseArgs({
  options: {
    'bundle-only': { type: 'boolean', default: false },
    outdir: { type: 'string', default: path.join(root, 'dist') },
    bindir: { type: 'string', default: path.join(root, 'bin') },
    node: { type: 'string', default: process.execPath },
    target: { type: 'string' },
  },
});

const bundle = path.join(path.resolve(options.outdir), 'foodtruck-client.cjs');
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

const result = await build({
  stdin: {
    contents: [
      "import { main } from './src/client/main.ts';",
      'main(process.argv.slice(2)).then(',
      '  (code) => { process.exitCode = code; },',
      '  (error) => { console.error(error); process.exitCode = 2; },',
      ');',
    ].join('\n'),
    resolveDir: root,
    sourcefile: 'foodtruck-client-entry.ts',
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  // CommonJS: what Node's single executable applications run, and what every Node.js >= 18 loads.
  format: 'cjs',
  target: 'node18',
  outfile: bundle,
  metafile: true,
  legalComments: 'none',
  define: { FOODTRUCK_CLIENT_VERSION: JSON.stringify(version) },
  banner: { js: `#!/usr/bin/env node\n// foodtruck-client ${version}: the Foodtruck node client, built by npm run build:client.` },
  logLevel: 'warning',
});

// The client has no runtime dependencies: anything but Node's own modules would be a mistake.
const builtins = new Set(builtinModules);
const foreign = Object.values(result.metafile.outputs)
  .flatMap((output) => output.imports)
  .map((entry) => entry.path)
  .filter((name) => !(name.startsWith('node:') || builtins.has(name)));
if (foreign.length > 0) {
  console.error(`build-client: the bundle imports something other than Node's own modules: ${foreign.join(', ')}`);
  process.exit(1);
}
const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('src/client/') && input !== 'foodtruck-client-entry.ts');
writeFileSync(`${bundle.slice(0, -4)}.meta.json`, JSON.stringify(result.metafile, null, 2));
chmodSync(bundle, 0o755);
console.log(`build-client: ${path.relative(root, bundle)} (also bundled: ${inputs.join(', ') || 'nothing else'})`);

if (!options['bundle-only']) buildExecutable();

/** Node's single executable application: the node binary with the bundle injected into it. */
function buildExecutable() {
  const suffix = options.target ?? `${goOs(process.platform)}-${goArch(process.arch)}`;
  const windows = suffix.startsWith('windows');
  const binary = path.join(path.resolve(options.bindir), `foodtruck-client-${suffix}${windows ? '.exe' : ''}`);
  const work = mkdtempSync(path.join(tmpdir(), 'foodtruck-sea-'));
  try {
    const blob = path.join(work, 'foodtruck-client.blob');
    const config = path.join(work, 'sea-config.json');
    writeFileSync(
      config,
      JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }),
    );
    run(process.execPath, ['--experimental-sea-config', config]);
    mkdirSync(path.dirname(binary), { recursive: true });
    rmSync(binary, { force: true });
    copyFileSync(options.node, binary);
    chmodSync(binary, 0o755);
    const macos = suffix.startsWith('darwin');
    // Debian's node carries its debug information and symbol table (99 MB); the executable needs
    // neither. Stripped before the bundle is injected (stripping after would drop the injected note).
    if (!windows && !macos) strip(binary);
    if (macos && process.platform === 'darwin') run('codesign', ['--remove-signature', binary]);
    run(process.execPath, [
      path.join(root, 'node_modules', 'postject', 'dist', 'cli.js'),
      binary,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      ...(macos ? ['--macho-segment-name', 'NODE_SEA'] : []),
    ]);
    if (macos && process.platform === 'darwin') run('codesign', ['--sign', '-', binary]);
    console.log(`build-client: ${path.relative(root, binary) || binary} (${megabytes(statSync(binary).size)})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `strip --strip-all` where binutils' strip is installed; the binary works unstripped, only larger. */
function strip(binary) {
  const before = statSync(binary).size;
  const child = spawnSync('strip', ['--strip-all', binary], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (child.error || child.status !== 0) {
    console.warn(`build-client: not stripped (${child.error ? child.error.message : child.stderr.trim()}); the executable stays larger`);
    return;
  }
  console.log(`build-client: stripped the node executable from ${megabytes(before)} to ${megabytes(statSync(binary).size)}`);
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Runs a build step; its chatter (postject warns about ELF notes it skips) shows only if it fails. */
function run(command, args) {
  const child = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (child.error || child.status !== 0) {
    console.error(`${child.stdout ?? ''}${child.stderr ?? ''}`);
    console.error(`build-client: ${command} ${args.join(' ')} failed${child.error ? `: ${child.error.message}` : ''}`);
    process.exit(1);
  }
}

/** The seed's platform names (Go's): linux-amd64, windows-amd64, darwin-amd64, solaris-amd64, aix-ppc64. */
function goOs(platform) {
  return { win32: 'windows', sunos: 'solaris' }[platform] ?? platform;
}

function goArch(arch) {
  return { x64: 'amd64', ia32: '386', arm: 'arm' }[arch] ?? arch;
}
