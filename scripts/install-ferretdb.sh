#!/usr/bin/env bash
# Builds FerretDB (the MongoDB-protocol server the MongoDB driver is tested against) into
# $HOME/go/bin/ferretdb. `go install github.com/FerretDB/FerretDB/cmd/ferretdb@VERSION` is not
# enough: such a build lacks build/version/version.txt and panics at start-up ("Invalid
# build/version/version.txt file content"), so the module's source is built with that file added.
set -euo pipefail

version="${FERRETDB_VERSION:-v1.24.2}"
target="${1:-$HOME/go/bin/ferretdb}"
source_dir="$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$source_dir/." "$work/"
chmod -R u+w "$work"
echo "$version" > "$work/build/version/version.txt"
mkdir -p "$(dirname "$target")"
(cd "$work" && GOFLAGS=-mod=mod go build -o "$target" ./cmd/ferretdb)
"$target" --version | sed -n 1p
