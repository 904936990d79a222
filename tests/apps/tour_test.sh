#!/usr/bin/env bash
# Runs the README's tour (docs/examples/tour.cpp) at 2 ranks on data made by pando-gen.
#   tour_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1" build="$2"
tmp=$(mktemp -d /tmp/pando-tour-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
run="$src/jobscripts/pando-run -n 2"
$run "$build/apps/pando-gen" table --rows 20000 --files 2 --out "$tmp" >/dev/null
$run "$build/apps/pando-gen" array --shape 300,300 --chunks 128,128 --out "$tmp/x.h5:/x" >/dev/null
$run "$build/docs/examples/pando-example-tour" "$tmp"
echo "tour_test: the README's tour ran"
