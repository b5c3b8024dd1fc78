#!/usr/bin/env bash
# scripts/test.sh: run every test twice: the Release build (build/) and the ASan+UBSan build
# (build-sanitize/). Expects scripts/setup.sh to have run (the README command chains them).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

echo "== Release build: tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS"

echo "== Sanitize build (ASan + UBSan): tests"
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Sanitize >/dev/null
cmake --build build-sanitize -j"$JOBS"
# HDF5 keeps some global state until exit; leaks inside libhdf5 are not ours.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j"$JOBS" -LE slow
