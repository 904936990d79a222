#!/usr/bin/env bash
# Pando as an HPC site installs it, and three ways a code uses it; each consumer runs
# consumer/main.cpp on 2 ranks and its output is checked.
#   consumer_test.sh MODE BUILD_DIR TEST_SRC WORK_DIR PANDO_RUN [BUILD_TYPE]
# MODE:
#   layout      the installed tree: exactly the public headers, apps and pando-run in bin, the
#               Slurm templates, pando.pc, the modulefiles; the installed pando-run runs the
#               installed apps
#   consumer    a CMake project: find_package(Pando) against the installed tree
#   pkgconfig   a Makefile: module load pando (Lmod, the installed modulefile), then
#               pkg-config --cflags --libs pando; run with the installed pando-run
#   subproject  a CMake project that builds Pando's source tree with add_subdirectory
set -euo pipefail
mode="$1" build="$2" src="$3" work="$4" run="$5" type="${6:-Release}"
pando_src="$(cd "$src/../.." && pwd)"
prefix="$work/prefix"
want="^consumer: 2 ranks, sum of ranks 1, result 42, array sum 499500$"
fail() { echo "consumer_test $mode: $*" >&2; exit 1; }
# Runs a step quietly into LOG; on failure shows LOG and stops.
step() {
  local log="$1"; shift
  "$@" >"$work/$log" 2>&1 || { cat "$work/$log" >&2; fail "'$*' failed (log above)"; }
}
check_output() {
  echo "$1"
  grep -q "$want" <<<"$1" || fail "expected a line matching '$want'"
}

rm -rf "$work"
mkdir -p "$work"
if [ "$mode" != subproject ]; then
  step install.log cmake --install "$build" --prefix "$prefix"
  version=$(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/pando.pc")
fi

# The headers reachable by #include from the entry headers, one per line (pando/...).
reachable_headers() {
  local -A seen=()
  local todo=(pando/pando.hpp pando/frame/csv.hpp) h includes
  while [ ${#todo[@]} -gt 0 ]; do
    h="${todo[0]}"; todo=("${todo[@]:1}")
    [ -z "${seen[$h]:-}" ] || continue
    seen[$h]=1
    echo "$h"
    [ -f "$prefix/include/$h" ] || continue
    mapfile -t includes < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\(pando\/[^>]*\)>.*/\1/p' "$prefix/include/$h")
    todo+=("${includes[@]}")
  done
}

case "$mode" in
layout)
  # Exactly the headers a user's #include can reach: one missing breaks a consumer's build, one
  # extra is an internal header outside a detail/ folder (cmake/PandoInstall.cmake skips those).
  reachable_headers | sort >"$work/reachable"
  (cd "$prefix/include" && find pando -name '*.hpp' | sort) >"$work/installed"
  missing=$(comm -23 "$work/reachable" "$work/installed")
  extra=$(comm -13 "$work/reachable" "$work/installed")
  [ -z "$missing" ] || fail "included by public headers but not installed: $missing"
  [ -z "$extra" ] || fail "installed but no public header includes them (internal? move them into their module's detail/): $extra"
  for f in bin/pando-run bin/pando-array bin/pando-demo bin/pando-frame bin/pando-gen; do
    [ -x "$prefix/$f" ] || fail "$f is not installed"
  done
  for f in array demo frame; do
    grep -q "^run=\"$prefix/bin/pando-run\"$" "$prefix/share/pando/jobscripts/$f.sbatch" \
      || fail "share/pando/jobscripts/$f.sbatch does not name the installed pando-run"
  done
  grep -qx "prefix=$prefix" "$prefix/lib/pkgconfig/pando.pc" || fail "pando.pc names another prefix"
  grep -q "local prefix = \"$prefix\"" "$prefix/share/pando/modulefiles/pando/$version.lua" \
    || fail "no Lua modulefile pando/$version.lua for this prefix"
  grep -q "set prefix \"$prefix\"" "$prefix/share/pando/modulefiles/pando/$version" \
    || fail "no Tcl modulefile pando/$version for this prefix"
  # The installed pando-run, from elsewhere, with nothing pointing at the build: it must find
  # the installed apps beside itself.
  cd "$work"
  out=$(env -u PANDO_BUILD_DIR "$prefix/bin/pando-run" -n 2 pando-gen table --rows 1000 --files 2 --out data)
  echo "$out"
  out=$(env -u PANDO_BUILD_DIR "$prefix/bin/pando-run" -n 2 pando-frame 'data/transactions-*.csv' --agg id:count)
  echo "$out"
  [ "$(tail -1 <<<"$out")" = 1000 ] || fail "the installed apps counted '$out' rows, not 1000"
  ;;
consumer)
  step configure.log cmake -S "$src/consumer" -B "$work/build" -DCMAKE_BUILD_TYPE="$type" \
    -DCMAKE_PREFIX_PATH="$prefix"
  step build.log cmake --build "$work/build"
  check_output "$("$run" -n 2 "$work/build/consumer")"
  ;;
pkgconfig)
  lmod=/usr/share/lmod/lmod/init/bash
  [ -f "$lmod" ] || fail "needs Lmod (Debian's lmod, in cmake/packages.txt): no $lmod"
  # shellcheck disable=SC1090
  source "$lmod"
  module use "$prefix/share/pando/modulefiles"
  module load pando || fail "module load pando failed"
  [ "$(command -v pando-run)" = "$prefix/bin/pando-run" ] || fail "pando-run on PATH is not the installed one"
  step build.log make -C "$work" -f "$src/pkgconfig/Makefile"
  check_output "$(pando-run -n 2 "$work/consumer")"
  # The Tcl modulefile (Environment Modules), through Lmod, which reads Tcl too.
  module purge
  mkdir -p "$work/tcl/pando"
  cp "$prefix/share/pando/modulefiles/pando/$version" "$work/tcl/pando/"
  module use "$work/tcl"
  module load pando || fail "module load pando (Tcl modulefile) failed"
  [ "$(pkg-config --variable=prefix pando)" = "$prefix" ] || fail "the Tcl modulefile did not set PKG_CONFIG_PATH"
  [ "${LD_LIBRARY_PATH%%:*}" = "$prefix/lib" ] || fail "the Tcl modulefile did not set LD_LIBRARY_PATH"
  ;;
subproject)
  # No build type and static libraries, chosen by the parent: Pando must keep to both
  # (subproject/CMakeLists.txt checks).
  step configure.log cmake -S "$src/subproject" -B "$work/build" -DPANDO_SOURCE_DIR="$pando_src"
  step build.log cmake --build "$work/build" -j 2
  check_output "$("$run" -n 2 "$work/build/consumer")"
  ;;
*)
  fail "unknown mode (layout, consumer, pkgconfig, subproject)"
  ;;
esac
echo "consumer_test $mode: passed"
