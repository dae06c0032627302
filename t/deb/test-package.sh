#!/usr/bin/env bash
# The Debian package end to end, in the system httpd: builds
# libapache2-mod-fastcgi with dpkg-buildpackage from a clean copy of the
# checkout (tracked and unignored files only: nothing of build/), installs it
# with apt into /etc/apache2 while the system apache2 runs, does the documented
# set-up (a2enmod fastcgi, reload), serves two requests through a dynamic
# Perl FCGI application in a .fcgi file, then stops apache2, purges the
# package and puts the configuration back as it was.
#
#   bash t/deb/test-package.sh        (root; Debian 12; apache2 not running)
#
# The system apache2 listens on 127.0.0.1:$FCGI_PKG_TEST_PORT only (default:
# a free port): ports.conf is replaced for the run and restored afterwards.
# mod_fcgid claims .fcgi too; if it is enabled it is disabled for the run and
# enabled again afterwards. Each check prints "ok N - ..." or "not ok N - ...";
# the last line is "package: P passed, F failed" (scripts/test.sh counts it).
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

pass=0 fail=0 n=0
check() {  # check "what" command...
    local what=$1; shift
    n=$((n + 1))
    if "$@"; then pass=$((pass + 1)); echo "ok $n - $what"
    else fail=$((fail + 1)); echo "not ok $n - $what"; fi
}
note() { echo "# $*"; }
finish() { echo "package: $pass passed, $fail failed"; exit $(( fail > 0 )); }

pkg=libapache2-mod-fastcgi
if [ "$(id -u)" -ne 0 ]; then
    check "runs as root (installs into the system httpd)" false; finish
fi
# The system apache2 (not the test suites' httpds, also named apache2).
pidfile=$(set +u; . /etc/apache2/envvars && echo "${APACHE_PID_FILE:-/var/run/apache2/apache2.pid}")
system_httpd_running() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
stop_system_httpd() {
    local pid; pid=$(cat "$pidfile" 2>/dev/null)
    apache2ctl -k stop >/dev/null 2>&1
    for _ in $(seq 100); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}
if system_httpd_running; then
    check "the system apache2 is not running before the test" false; finish
fi
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    check "$pkg is not installed before the test (it would be purged)" false; finish
fi

work=$(mktemp -d /tmp/fastcgi-pkgtest.XXXXXX)
docroot=/var/www/fastcgi-pkgtest
snippet=/etc/apache2/conf-enabled/zz-fastcgi-pkgtest.conf
ports=/etc/apache2/ports.conf
errlog=/var/log/apache2/error.log
port=${FCGI_PKG_TEST_PORT:-$(perl -MIO::Socket::INET -e \
    'print IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport')}
fcgid_was_enabled=0
started=0

cp -p "$ports" "$work/ports.conf.orig"
(cd /etc/apache2 && find . -type f -o -type l | sort | xargs md5sum 2>/dev/null) >"$work/etc.before"

restore() {
    [ "$started" = 1 ] && stop_system_httpd
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "installed"; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$pkg" "$pkg-dbgsym" >/dev/null 2>&1
    fi
    rm -f "$snippet"
    cp -p "$work/ports.conf.orig" "$ports"
    if [ "$fcgid_was_enabled" = 1 ]; then a2enmod -q fcgid >/dev/null; fcgid_was_enabled=0; fi
    rm -rf "$docroot"
}
trap 'restore; rm -rf "$work"' EXIT

# 1. build from a clean copy (what a clone has: no build/, no generated files)
mkdir -p "$work/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" ls-files -co --exclude-standard -z | (cd "$top" && xargs -0 cp --parents -t "$work/src")
else
    tar -C "$top" --exclude=./build --exclude=./t/logs -cf - . | tar -C "$work/src" -xf -
fi
check "no build/ in the copy the package is built from" test ! -e "$work/src/build"
(cd "$work/src" && dpkg-buildpackage -us -uc -b -j"${JOBS:-2}") >"$work/build.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -30 "$work/build.log" | sed 's/^/# /'
check "dpkg-buildpackage -us -uc -b builds $pkg" test $rc -eq 0
deb=$(ls "$work"/${pkg}_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then finish; fi
contents=$(dpkg-deb -c "$deb")
for f in ./usr/lib/apache2/modules/mod_fastcgi.so ./etc/apache2/mods-available/fastcgi.load \
         ./etc/apache2/mods-available/fastcgi.conf; do
    check "the package holds $f" grep -qF " $f" <<<"$contents"
done

# 2. the system apache2 running on a localhost port, without the module
printf '# fastcgi package test (t/deb/test-package.sh), restored afterwards\nListen 127.0.0.1:%s\n' "$port" >"$ports"
mkdir -p "$docroot"
cat >"$snippet" <<CONF
# fastcgi package test (t/deb/test-package.sh), removed afterwards
ServerName 127.0.0.1
<VirtualHost 127.0.0.1:$port>
    DocumentRoot $docroot
    <Directory $docroot>
        Options +ExecCGI
        Require all granted
    </Directory>
</VirtualHost>
CONF
cat >"$docroot/hello.fcgi" <<'APP'
#!/usr/bin/perl
# A dynamic FastCGI application: the process manager starts it on the
# first request with its listen socket as fd 0; it answers many requests.
use strict;
use warnings;
use FCGI;
my $req = FCGI::Request();
my $n = 0;
while ($req->Accept() >= 0) {
    $n++;
    print "Content-Type: text/plain\r\n\r\n";
    print "hello from pid $$, request $n, uid $<, script $ENV{SCRIPT_FILENAME}\n";
}
APP
chmod 0755 "$docroot" "$docroot/hello.fcgi"
if [ -e /etc/apache2/mods-enabled/fcgid.load ]; then
    fcgid_was_enabled=1
    note "mod_fcgid also claims .fcgi: disabled for the test"
    a2dismod -q fcgid >/dev/null
fi
log_mark=$(stat -c %s "$errlog" 2>/dev/null || echo 0)
apache2ctl start >"$work/start.log" 2>&1 && started=1
check "the system apache2 starts on 127.0.0.1:$port" test "$started" = 1
[ "$started" = 1 ] || { sed 's/^/# /' "$work/start.log"; finish; }

# 3. the documented set-up: apt install ./*.deb && a2enmod fastcgi && reload
(cd "$work" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ./*.deb) >"$work/apt.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$work/apt.log"
check "apt-get install ./*.deb" test $rc -eq 0
check "/var/lib/apache2/fastcgi: www-data:www-data, mode 700" \
    test "$(stat -c '%U:%G %a' /var/lib/apache2/fastcgi 2>/dev/null)" = "www-data:www-data 700"
check "a2enmod fastcgi" a2enmod -q fastcgi
quiet() { "$@" >"$work/cmd.log" 2>&1 || { sed 's/^/# /' "$work/cmd.log"; return 1; }; }
check "apache2ctl configtest" quiet apache2ctl configtest
check "reload (apache2ctl graceful)" quiet apache2ctl graceful
check "fastcgi_module is loaded after the reload" \
    bash -c 'for _ in $(seq 50); do apache2ctl -M 2>/dev/null | grep -q fastcgi_module && exit 0; sleep 0.2; done; exit 1'

# 4. requests through the dynamic application
get() { curl -s --max-time 20 -o "$work/body$1" -w '%{http_code}' "http://127.0.0.1:$port/hello.fcgi"; }
sleep 1   # the graceful restart replaces the children
code1=$(get 1); code2=$(get 2)
note "answers: $code1 $(cat "$work/body1" 2>/dev/null) / $code2 $(cat "$work/body2" 2>/dev/null)"
check "GET /hello.fcgi: 200" test "$code1" = 200
check "the body comes from the application" grep -q "^hello from pid [0-9]*, request 1, uid 33, script $docroot/hello.fcgi$" "$work/body1"
pid1=$(sed -nE 's/^hello from pid ([0-9]+).*/\1/p' "$work/body1")
check "a second request: same process, request 2 (FastCGI, not CGI)" \
    grep -q "^hello from pid ${pid1:-x}, request 2," "$work/body2"
check "the dynamic app's socket is under /var/lib/apache2/fastcgi/dynamic" \
    bash -c 'ls /var/lib/apache2/fastcgi/dynamic/ 2>/dev/null | grep -q .'
tail -c +$((log_mark + 1)) "$errlog" 2>/dev/null | grep -i fastcgi | sed 's/^/# log: /' | head -20

# 5. stop, purge, and nothing of the package or the test is left
httpd_pid=$(cat "$pidfile" 2>/dev/null)
stop_system_httpd
started=0
sleep 0.5   # the PM's SIGTERM to the app
gone() { [ -n "$1" ] && ! kill -0 "$1" 2>/dev/null; }
check "apache2 (pid ${httpd_pid:-?}) stopped" gone "$httpd_pid"
check "the application (pid ${pid1:-?}) ended with it" gone "$pid1"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$pkg" "$pkg-dbgsym" >"$work/purge.log" 2>&1
check "apt-get purge $pkg" test $? -eq 0
check "purge removed the module, its config and /var/lib/apache2/fastcgi" \
    bash -c '! ls -d /usr/lib/apache2/modules/mod_fastcgi.so /etc/apache2/mods-available/fastcgi.load \
             /etc/apache2/mods-available/fastcgi.conf /etc/apache2/mods-enabled/fastcgi.load \
             /var/lib/apache2/fastcgi 2>/dev/null | grep -q .'
restore
(cd /etc/apache2 && find . -type f -o -type l | sort | xargs md5sum 2>/dev/null) >"$work/etc.after"
diff "$work/etc.before" "$work/etc.after" | sed 's/^/# /' | head
check "/etc/apache2 is as before the test" cmp -s "$work/etc.before" "$work/etc.after"
finish
