#!/usr/bin/env bash
# Runs the library's jest suite on another Node.js line or release, installed by scripts/node-line.sh when missing:
#   npm run test:node -- 24                   # the whole suite on the newest Node 24
#   npm run test:node -- 22.12.0 test/soak    # jest's arguments after the version
set -euo pipefail

version="${1:?usage: npm run test:node -- MAJOR|VERSION [jest arguments]}"
shift
bin="$("$(dirname "${BASH_SOURCE[0]}")/node-line.sh" "$version")"
export PATH="$bin:$PATH"
echo "Running the suite on Node $(node --version)" >&2
exec npm test -- "$@"
