#!/usr/bin/env bash
# Runs the library's jest suite on another Node.js line, installed by scripts/node-line.sh when missing:
#   npm run test:node -- 24                   # the whole suite on Node 24
#   npm run test:node -- 22 test/soak         # jest's arguments after the major
set -euo pipefail

major="${1:?usage: npm run test:node -- MAJOR [jest arguments]}"
shift
bin="$("$(dirname "${BASH_SOURCE[0]}")/node-line.sh" "$major")"
export PATH="$bin:$PATH"
echo "Running the suite on Node $(node --version)" >&2
exec npm test -- "$@"
