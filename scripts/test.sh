#!/usr/bin/env bash
# Runs every test: installs dependencies, builds the module with apxs and
# with CMake, runs the unit tests and the fuzz smoke runs (ctest), then the
# end-to-end suite against the real httpd (Apache::Test, prove-style
# summary last), then the Debian package in the system apache2
# (t/deb/test-package.sh). Usage: bash scripts/test.sh   (from anywhere; root or sudo)
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
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== fuzz smoke (clang, libFuzzer)"
CXX=clang++ CC=clang cmake -S . -B build/fuzz -DFASTCGI_BUILD_MODULE=OFF -DFASTCGI_BUILD_TESTS=OFF >/dev/null
cmake --build build/fuzz -j"$JOBS" >/dev/null
ctest --test-dir build/fuzz -L fuzz --output-on-failure 2>&1 | tee "$logs/fuzz" || rc=1

echo "== unit tests (ctest)"
ctest --test-dir build/cmake --output-on-failure -j"$JOBS" 2>&1 | tee "$logs/unit" || rc=1

echo "== end-to-end: Apache::Test with the real httpd"
export FASTCGI_MODULE="$top/build/apxs/mod_fastcgi.so"
perl t/TEST.PL -clean >/dev/null 2>&1 || true
perl t/TEST.PL 2>&1 | tee "$logs/e2e" || rc=1
perl t/TEST.PL -clean >/dev/null 2>&1 || true

# Last, so that no Apache::Test run inherits the system httpd's config while
# the package is installed in it.
echo "== Debian package: build, install into the system apache2, serve, purge"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO bash t/deb/test-package.sh 2>&1 | tee "$logs/deb" || rc=1

# One closing line over all runners (their own summaries are above).
total=0 failed=0
for f in fuzz unit; do
  if line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$logs/$f" | tail -1); then
    total=$((total + $(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")))
  else
    rc=1
  fi
done
if line=$(grep -E "^Files=[0-9]+, Tests=[0-9]+" "$logs/e2e" | tail -1); then
  total=$((total + $(sed -E 's/.*Tests=([0-9]+).*/\1/' <<<"$line")))
  if ! grep -q "^Result: PASS" "$logs/e2e"; then
    n=$(grep -oE "[0-9]+/[0-9]+ subtests failed" "$logs/e2e" | tail -1 | cut -d/ -f1) || true
    failed=$((failed + ${n:-1}))
    rc=1
  fi
else
  rc=1
fi
if line=$(grep -E "^package: [0-9]+ passed, [0-9]+ failed$" "$logs/deb" | tail -1); then
  p=$(sed -E 's/^package: ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
  total=$((total + p + f))
  failed=$((failed + f))
else
  rc=1
fi
[ "$failed" -eq 0 ] || rc=1
echo "$((total - failed)) passed, $failed failed"
exit $rc
