#!/usr/bin/env bash
# Runs every test: installs dependencies, builds the module with apxs and
# with CMake, runs the unit tests and the fuzz smoke runs (ctest), then the
# end-to-end suite against the real httpd (Apache::Test, prove-style
# summary last). Usage: bash scripts/test.sh   (from anywhere; root or sudo)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
JOBS=${JOBS:-2}

bash scripts/install-deps.sh

echo "== build: apxs (Makefile.apxs)"
make -f Makefile.apxs -j"$JOBS" >/dev/null

echo "== build: CMake (module + unit tests)"
cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/cmake -j"$JOBS" >/dev/null

rc=0
echo "== fuzz smoke (clang, libFuzzer)"
CXX=clang++ CC=clang cmake -S . -B build/fuzz -DFASTCGI_BUILD_MODULE=OFF >/dev/null
cmake --build build/fuzz -j"$JOBS" >/dev/null
ctest --test-dir build/fuzz -L fuzz --output-on-failure || rc=1

echo "== unit tests (ctest)"
ctest --test-dir build/cmake --output-on-failure -j"$JOBS" || rc=1

echo "== end-to-end: Apache::Test with the real httpd"
export FASTCGI_MODULE="$top/build/apxs/mod_fastcgi.so"
perl t/TEST.PL -clean >/dev/null 2>&1 || true
perl t/TEST.PL || rc=1
perl t/TEST.PL -clean >/dev/null 2>&1 || true

exit $rc
