#!/usr/bin/env bash
# Runs every test: installs dependencies, builds the module with apxs and
# with CMake, runs the unit tests and the fuzz smoke runs (ctest), the unit
# tests again under ASan+UBSan, then the end-to-end suite against the real
# httpd twice: with the normal module, and with an ASan+UBSan build of it in
# an httpd that has the sanitizer runtime preloaded (scripts/asan-httpd);
# that run fails on any sanitizer report (t/logs/asan/asan.*). Then the
# Debian package in the system apache2 (t/deb/test-package.sh). Prove-style
# summaries, then one closing line. Usage: bash scripts/test.sh   (from
# anywhere; root or sudo)
#   SANITIZE=0 skips the two sanitizer runs.
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

SANITIZE=${SANITIZE:-1}
if [ "$SANITIZE" = 1 ]; then
  echo "== build: apxs with ASan+UBSan (Makefile.apxs SANITIZE=1)"
  make -f Makefile.apxs SANITIZE=1 OUT=build/asan -j"$JOBS" >/dev/null
  echo "== build: unit tests with ASan+UBSan (FASTCGI_SANITIZE)"
  cmake -S . -B build/cmake-asan -DCMAKE_BUILD_TYPE=Debug -DFASTCGI_SANITIZE=ON -DFASTCGI_BUILD_MODULE=OFF >/dev/null
  cmake --build build/cmake-asan -j"$JOBS" >/dev/null
fi

echo "== fuzz smoke (clang, libFuzzer)"
CXX=clang++ CC=clang cmake -S . -B build/fuzz -DFASTCGI_BUILD_MODULE=OFF -DFASTCGI_BUILD_TESTS=OFF >/dev/null
cmake --build build/fuzz -j"$JOBS" >/dev/null
ctest --test-dir build/fuzz -L fuzz --output-on-failure 2>&1 | tee "$logs/fuzz" || rc=1

echo "== unit tests (ctest)"
ctest --test-dir build/cmake --output-on-failure -j"$JOBS" 2>&1 | tee "$logs/unit" || rc=1

if [ "$SANITIZE" = 1 ]; then
  echo "== unit tests under ASan+UBSan (ctest)"
  ctest --test-dir build/cmake-asan --output-on-failure -j"$JOBS" 2>&1 | tee "$logs/unit-asan" || rc=1
fi

echo "== end-to-end: Apache::Test with the real httpd"
export FASTCGI_MODULE="$top/build/apxs/mod_fastcgi.so"
perl t/TEST.PL -clean >/dev/null 2>&1 || true
perl t/TEST.PL 2>&1 | tee "$logs/e2e" || rc=1
perl t/TEST.PL -clean >/dev/null 2>&1 || true

if [ "$SANITIZE" = 1 ]; then
  echo "== end-to-end under ASan+UBSan: the same suite, sanitized module, libasan preloaded"
  export FASTCGI_MODULE="$top/build/asan/mod_fastcgi.so"
  rm -rf t/logs/asan
  perl t/TEST.PL -clean >/dev/null 2>&1 || true
  # All but t/pm_parent.t, which times the httpd parent's own loop (1.0 s
  # against a 1.7 s bound); under the sanitizers' slowdown that is a
  # measure of ASan, not of the module.
  asan_files=$(ls t/*.t | grep -v '^t/pm_parent\.t$')
  perl t/TEST.PL -httpd "$top/scripts/asan-httpd" $asan_files 2>&1 | tee "$logs/e2e-asan" || rc=1
  if ls t/logs/asan/asan.* >/dev/null 2>&1; then
    echo "== sanitizer reports:"
    for f in t/logs/asan/asan.*; do echo "--- $f"; head -40 "$f"; done
    echo "$(ls t/logs/asan/asan.* | wc -l) sanitizer report(s) in t/logs/asan/" >>"$logs/e2e-asan"
    rc=1
  fi
  perl t/TEST.PL -clean >/dev/null 2>&1 || true
fi

# Last, so that no Apache::Test run inherits the system httpd's config while
# the package is installed in it.
echo "== Debian package: build, install into the system apache2, serve, purge"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO bash t/deb/test-package.sh 2>&1 | tee "$logs/deb" || rc=1

# One closing line over all runners (their own summaries are above).
total=0 failed=0
units="fuzz unit"
[ "$SANITIZE" = 1 ] && units="$units unit-asan"
for f in $units; do
  if line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$logs/$f" | tail -1); then
    total=$((total + $(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")))
  else
    rc=1
  fi
done
e2es="e2e"
[ "$SANITIZE" = 1 ] && e2es="$e2es e2e-asan"
for f in $e2es; do
  if line=$(grep -E "^Files=[0-9]+, Tests=[0-9]+" "$logs/$f" | tail -1); then
    total=$((total + $(sed -E 's/.*Tests=([0-9]+).*/\1/' <<<"$line")))
    if ! grep -q "^Result: PASS" "$logs/$f"; then
      n=$(grep -oE "[0-9]+/[0-9]+ subtests failed" "$logs/$f" | tail -1 | cut -d/ -f1) || true
      failed=$((failed + ${n:-1}))
      rc=1
    fi
    if grep -q "sanitizer report(s)" "$logs/$f"; then failed=$((failed + 1)); fi
  else
    rc=1
  fi
done
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
