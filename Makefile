# Pando's front door. The build itself is CMake (CMakePresets.json); this file only chains the
# steps a newcomer needs: install missing Debian packages, configure, build, run.
#
#   make demo     the demo job on 2 ranks
#   make test     the test suite (library tests at 1-4 ranks, apps, Slurm), under 15 minutes
#   make test-heavy   the long tests make test skips (fault sweep, memory, 2.5 GiB transfers)
#   make test-asan    the library tests at 1 and 2 ranks under AddressSanitizer + UBSan
#   make bench    Pando beside Dask, pandas, NumPy, DuckDB and Polars (SCALE=small|medium|large)
#   PRESET=debug make test    (presets: release, debug, asan)

PRESET ?= release
BUILD  := build/$(PRESET)
SCALE  ?= small

export MAKEFLAGS += --no-print-directory

.PHONY: all deps build test test-heavy test-asan demo bench clean

all: build

deps:
	@cmake/install-deps.sh build test
	@tests/io/s3/install-server.sh build/node

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET)

test: build
	@ctest --preset $(PRESET)

test-heavy: build
	@ctest --preset heavy

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan --target library_tests
	@ctest --preset asan

demo: build
	@jobscripts/pando-run -n 2 $(BUILD)/apps/pando-demo

bench:
	@cmake/install-deps.sh build bench
	@cd bench/peers/node && npm ci --no-audit --no-fund --loglevel=error
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@/usr/bin/python3 bench/run.py --build build/release --scale $(SCALE)

clean:
	rm -rf build
