#!/usr/bin/env bash
# Prints the bin directory of a Node.js of the given line (20, 22, 24, 26...) or release (20.19.0), installed from the
# npm registry's `node` package into a cache folder the first time it is asked for. Put it first in PATH to run
# anything on it:
#   PATH="$(scripts/node-line.sh 24):$PATH" npm test
set -euo pipefail

version="${1:?usage: scripts/node-line.sh MAJOR|VERSION}"
cache="${ENKASH_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-enkash-auth/node}"
dir="$cache/$version"

if ! "$dir/node_modules/.bin/node" --version >/dev/null 2>&1; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node@$version" >&2
fi
echo "$dir/node_modules/.bin"
