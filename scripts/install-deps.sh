#!/usr/bin/env bash
# Installs the Debian 12 packages that building, the demo and the tests need.
# Idempotent and quick when everything is already there.
set -euo pipefail

PACKAGES=(
  build-essential g++ cmake pkg-config curl perl iproute2 procps
  apache2 apache2-dev libapache2-mod-perl2 libapache2-mod-fcgid
  libfcgi-dev libfcgi-bin libfcgi-perl php-cgi golang-go ruby-fcgi
  libgtest-dev clang libfuzzer-14-dev libwww-perl wrk
  debhelper dpkg-dev fakeroot
  prometheus python3-prometheus-client chromium fonts-dejavu-core
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian apache2 service is not ours: keep it from holding port 80.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet apache2 2>/dev/null; then
  $SUDO systemctl stop apache2 || true
fi
