#!/usr/bin/env bash
# consumer_test.sh BUILD_DIR CONSUMER_SRC WORK_DIR PANDO_RUN BUILD_TYPE
set -euo pipefail
build="$1" src="$2" work="$3" run="$4" type="${5:-Release}"
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE="$type" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
out=$("$run" -n 2 "$work/build/consumer")
echo "$out"
grep -q "^consumer: 2 ranks, sum of ranks 1, result 42$" <<<"$out"
