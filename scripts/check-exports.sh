#!/usr/bin/env bash
# check-exports.sh SO: fails unless fastcgi_module is the only dynamic symbol
# SO defines (weak and unique symbols count too). Exit 77 when SO is missing
# (ctest reports the test as skipped).
set -euo pipefail
so=${1:?usage: check-exports.sh path/to/mod_fastcgi.so}
[ -f "$so" ] || { echo "$so: not built"; exit 77; }
defined=$(nm -D --defined-only "$so" | awk '$2 ~ /^[A-Za-z]$/ {print $3}' | sort)
extra=$(grep -vxE 'fastcgi_module|_init|_fini|__bss_start|_edata|_end' <<<"$defined" || true)
if [ -n "$extra" ] || ! grep -qx fastcgi_module <<<"$defined"; then
  echo "$so exports more (or other) than fastcgi_module:"
  echo "$defined" | sed 's/^/  /'
  exit 1
fi
echo "$so: exports fastcgi_module only"
