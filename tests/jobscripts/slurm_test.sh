#!/usr/bin/env bash
# The Slurm jobscripts for real: a one-node Slurm on 127.0.0.1 (slurm_cluster.sh), demo.sbatch
# and frame.sbatch submitted with sbatch, and a copy of the installed frame.sbatch (as a user
# copies the template, run with the installed apps only), waited for by polling squeue; the jobs
# must end COMPLETED with the right results in their output files. The daemons are stopped by
# PID at the end, pass or fail.
#   slurm_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src="$1" build="$2"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/slurm_cluster.sh"
tmp=$(mktemp -d /tmp/pando-slurm-XXXXXX)
cleanup() { slurm_stop; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "slurm_test: $*" >&2; exit 1; }

slurm_start "$tmp/slurm" || fail "could not start Slurm"
export PANDO_BUILD_DIR="$build"   # where pando-run finds the apps

# A small CSV for pando-frame.
mkdir -p "$tmp/data"
{
  echo "id,amount,flag"
  for i in $(seq 1 200); do echo "$i,$((i % 17)).5,$([ $((i % 3)) = 0 ] && echo True || echo False)"; done
} >"$tmp/data/part-1.csv"
cp "$tmp/data/part-1.csv" "$tmp/data/part-2.csv"

demo=$(sbatch --parsable --chdir="$tmp" --output="$tmp/demo-%j.out" \
  "$src/jobscripts/demo.sbatch" --workdir "$tmp/demo") || fail "sbatch demo.sbatch failed"
frame=$(sbatch --parsable --chdir="$tmp" --output="$tmp/frame-%j.out" \
  "$src/jobscripts/frame.sbatch" "$tmp/data/part-*.csv" --agg amount:sum,id:count --chunk-size 512 \
  --progress on) \
  || fail "sbatch frame.sbatch failed"
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || fail "cmake --install failed"
cp "$tmp/prefix/share/pando/jobscripts/frame.sbatch" "$tmp/my-frame.sbatch"
installed=$(sbatch --parsable --chdir="$tmp" --output="$tmp/installed-%j.out" \
  --export=ALL,PANDO_BUILD_DIR= "$tmp/my-frame.sbatch" "$tmp/data/part-*.csv" --agg amount:sum,id:count) \
  || fail "sbatch of the installed frame.sbatch failed"

state=$(slurm_wait "$demo")
[ "$state" = COMPLETED ] || { cat "$tmp/demo-$demo.out" >&2; fail "demo job ended $state"; }
state=$(slurm_wait "$frame")
[ "$state" = COMPLETED ] || { cat "$tmp/frame-$frame.out" >&2; fail "frame job ended $state"; }

grep -q "^pando-demo on 2 ranks" "$tmp/demo-$demo.out" || fail "demo output lacks its first line"
grep -q "^All three examples done" "$tmp/demo-$demo.out" || { cat "$tmp/demo-$demo.out" >&2; fail "demo did not finish"; }
# amount: i % 17 + 0.5 over i = 1..200, twice (two files).
want=$(awk 'BEGIN { s = 0; for (i = 1; i <= 200; i++) s += (i % 17) + 0.5; printf "%.1f,400", 2 * s }')
# Progress goes to the same file (stderr): plain lines, then the summary.
got=$(grep -v '^pando: ' "$tmp/frame-$frame.out" | tail -1)
[ "$got" = "$want" ] || { cat "$tmp/frame-$frame.out" >&2; fail "frame job printed '$got', expected '$want'"; }
grep -q "^pando: done: .* on 2 ranks" "$tmp/frame-$frame.out" \
  || { cat "$tmp/frame-$frame.out" >&2; fail "frame job's output lacks the progress summary"; }
grep -q $'\r' "$tmp/frame-$frame.out" && fail "progress redrawn in place in a Slurm output file"
state=$(slurm_wait "$installed")
[ "$state" = COMPLETED ] || { cat "$tmp/installed-$installed.out" >&2; fail "installed frame job ended $state"; }
got=$(grep -v '^pando: ' "$tmp/installed-$installed.out" | tail -1)
[ "$got" = "$want" ] || { cat "$tmp/installed-$installed.out" >&2; fail "installed frame job printed '$got', expected '$want'"; }
echo "slurm_test: demo job $demo, frame job $frame and installed frame job $installed COMPLETED with the right results"
