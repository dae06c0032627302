#!/usr/bin/env bash
# Builds the module and starts a demo: httpd on localhost with mod_fastcgi
# and two sample FastCGI applications (php-cgi and a C app on libfcgi).
#   bash scripts/demo.sh          # start (PORT=8080 by default)
#   bash scripts/demo.sh stop     # stop httpd and the apps
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
PORT=${PORT:-8080}
D="$top/build/demo"

stop() {
  [ -f "$D/logs/httpd.pid" ] && apache2 -d "$D" -f "$D/httpd.conf" -k stop 2>/dev/null || true
  for p in "$D"/run/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; rm -f "$p"; done
  sleep 0.5
}
if [ "${1:-}" = stop ]; then stop; echo "demo stopped"; exit 0; fi

bash scripts/install-deps.sh
make -f Makefile.apxs -j2 >/dev/null
make -C t/apps >/dev/null
stop
mkdir -p "$D"/{htdocs,logs,run}
cp demo/index.html demo/hello.php "$D/htdocs/"
touch "$D/htdocs/app.fcgi" "$D/htdocs/stream.fcgi"

if [ "$(id -u)" -eq 0 ]; then RUNAS=(setpriv --reuid=www-data --regid=www-data --clear-groups); USERLINE="User www-data
Group www-data"; else RUNAS=(); USERLINE=""; fi
mods=/usr/lib/apache2/modules
cat > "$D/httpd.conf" <<CONF
ServerRoot "$D"
ServerName localhost
Listen 127.0.0.1:$PORT
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
LoadModule dir_module $mods/mod_dir.so
LoadModule fastcgi_module $top/build/apxs/mod_fastcgi.so
$USERLINE
PidFile logs/httpd.pid
ErrorLog logs/error_log
CustomLog logs/access_log common
TypesConfig /etc/mime.types
DocumentRoot "$D/htdocs"
DirectoryIndex index.html
<Directory "$D/htdocs">
    Require all granted
</Directory>
FastCgiIpcDir "$D/ipc"
FastCgiExternalServer "$D/htdocs/hello.php" -socket php.sock
FastCgiExternalServer "$D/htdocs/app.fcgi" -socket app.sock
FastCgiExternalServer "$D/htdocs/stream.fcgi" -socket app.sock -flush
CONF

apache2 -d "$D" -f "$D/httpd.conf" -k start
for i in $(seq 50); do [ -d "$D/ipc" ] && break; sleep 0.1; done
rm -f "$D/ipc/php.sock" "$D/ipc/app.sock"
# The apps outlive this script: detach them from its terminal and output.
PHP_FCGI_CHILDREN=2 PHP_FCGI_MAX_REQUESTS=0 setsid "${RUNAS[@]}" php-cgi -b "$D/ipc/php.sock" \
  </dev/null >>"$D/logs/apps.log" 2>&1 &
echo $! > "$D/run/php.pid"
setsid "${RUNAS[@]}" "$top/t/apps/bin/responder" "$D/ipc/app.sock" </dev/null >>"$D/logs/apps.log" 2>&1 &
echo $! > "$D/run/app.pid"
for i in $(seq 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/hello.php" || true)
  [ "$code" = 200 ] && break
  sleep 0.1
done
echo
echo "mod_fastcgi demo is running (hello.php answered $code)."
echo "Open http://localhost:$PORT/   (logs: $D/logs/error_log; stop: bash scripts/demo.sh stop)"
