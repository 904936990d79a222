#!/usr/bin/env bash
# Installs the S3 server of the tests (npm s3rver, pinned by package-lock.json beside this file)
# into DIR (default build/node), unless that version is there already. Node.js 20 and npm are
# preinstalled on Pando's machines (Debian's npm package conflicts with them).
#   tests/io/s3/install-server.sh build/node
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-build/node}
want=$(sed -n 's/.*"s3rver": "\(.*\)".*/\1/p' "$here/package.json")
have=$(sed -n 's/^  "version": "\(.*\)",/\1/p' "$dir/node_modules/s3rver/package.json" 2>/dev/null || true)
[ "$have" = "$want" ] && exit 0
if ! command -v npm >/dev/null; then
  echo "install-server: npm not found (Node.js 20 with npm is needed for the S3 tests)" >&2
  exit 2
fi
mkdir -p "$dir"
cp "$here/package.json" "$here/package-lock.json" "$dir/"
echo "install-server: installing s3rver $want into $dir" >&2
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
