# The fastcgi-status page and its counters, as a user sees them: requests
# served, errors by cause, requests in flight, the processes of a static and
# a dynamic app, restarts; ?auto parsed; the OpenMetrics form read by a
# strict OpenMetrics parser and by promtool; the section in mod_status's
# server-status; and the HTML page drawn by a real browser (headless
# Chromium): the busy/idle bar has the widths its numbers say, and the page
# fits a 375 px wide phone screen without horizontal scrolling.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Copy qw(copy);
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my $promtool = `command -v promtool 2>/dev/null`;
chomp $promtool;
my $chromium = `command -v chromium 2>/dev/null`;
chomp $chromium;
my $om_parser = -x '/usr/bin/python3'
    && system('/usr/bin/python3', '-c', 'import prometheus_client.openmetrics.parser') == 0;

plan tests => 61, need_module 'fastcgi';

my $mark = log_mark();
start_apps('c');
my $t = t_dir();
my $c_app = docroot() . '/ext/c.fcgi';
my $refused = docroot() . '/ext/refused.fcgi';
my $idle = docroot() . '/ext/idle.fcgi';
my $three = "$t/apps/status_app.sh";
my $dyn = docroot() . '/dyn/status.fcgi';

# ?auto as { filename => { key => value } }, from "FastCGIApp[i]Key: value".
sub auto {
    my ($path) = @_;
    my $r = http(path => $path // '/fastcgi-status?auto');
    return FastCGITest::parse_status_auto($r->{body});
}
sub counter { my ($app, $key) = @_; auto()->{$app}{$key} // -1 }
sub wait_for {
    my ($what, $timeout) = @_;
    my $end = time + ($timeout || 10);
    while (time < $end) { return 1 if $what->(); sleep 0.1 }
    return $what->() ? 1 : 0;
}
# A request in the background; returns its pid (the status is the exit code / 100).
sub background {
    my ($path) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        my $r = http(path => $path, timeout => 60);
        POSIX::_exit(int(($r->{status} || 0) / 100));
    }
    return $pid;
}
sub collect { my ($pid) = @_; waitpid($pid, 0); $? >> 8 }
sub processes { my $a = auto()->{$_[0]} || {}; ($a->{ProcessesBusy} // 0) + ($a->{ProcessesIdle} // 0) }

# ---- the page, its forms and its query
my $page = http(path => '/fastcgi-status');
ok t_cmp($page->{status}, 200, 'GET /fastcgi-status: 200');
ok t_cmp(hdr($page, 'Content-Type'), 'text/html; charset=utf-8', 'HTML page');
ok t_cmp($page->{body} =~ /<meta name="viewport" content="width=device-width, initial-scale=1">/ ? 1 : 0, 1,
         'the page has a viewport meta (phones)');
ok t_cmp($page->{body} =~ /http-equiv="refresh"/ ? 1 : 0, 0, 'no refresh unless asked');
my $refresh = http(path => '/fastcgi-status?refresh=7');
ok t_cmp($refresh->{body} =~ /<meta http-equiv="refresh" content="7">/ ? 1 : 0, 1, '?refresh=7 refreshes every 7 s');
ok t_cmp(http(path => '/fastcgi-status', method => 'POST', body => 'x')->{status}, 405, 'POST: 405');
my $denied = http(path => '/fastcgi-status-monitor?auto');
ok t_cmp($denied->{status}, 403, 'a status page under "Require ip 192.0.2.10": 403 for this client');
ok t_cmp($denied->{body} =~ /FastCGIApp/ ? 1 : 0, 0, '... and no counter in the answer');
my $auto_r = http(path => '/fastcgi-status?auto');
ok t_cmp(hdr($auto_r, 'Content-Type'), 'text/plain; charset=utf-8', '?auto is text/plain');
ok t_cmp(scalar(grep { !/^[A-Za-z0-9_\[\]]+: / } split /\n/, $auto_r->{body}), 0, '?auto: every line is "Key: value"');
my $apps = auto();
ok t_cmp($apps->{$c_app}{Kind}, 'external', "?auto: $c_app is an external app");
ok t_cmp($apps->{$c_app}{Address}, 'unix:' . ipc_dir() . '/c.sock', '... with its address');
ok t_cmp($apps->{$c_app}{'Member[0]State'}, 'up', '... and its one member up');
ok t_cmp($apps->{$three}{Kind}, 'static', 'the FastCgiServer is a static app');
my $only = auto('/fastcgi-status?auto&app=status_app');
ok t_cmp(join(',', keys %$only), $three, '?app=status_app: only that app');

# ---- counters move as requests are served
my $served = $apps->{$c_app}{Served};
for (1 .. 3) { http(path => '/ext/c.fcgi?write=x') }
ok t_cmp(counter($c_app, 'Served'), $served + 3, 'three requests: Served + 3');
ok t_cmp(counter($c_app, 'ServiceTimeP50') > 0 ? 1 : 0, 1, '... and a service time (p50 > 0)');

my $unreachable = $apps->{$refused}{'Errors[unreachable]'};
ok t_cmp(http(path => '/ext/refused.fcgi')->{status}, 503, 'refused app: 503');
ok t_cmp(counter($refused, 'Errors[unreachable]'), $unreachable + 1, '... counted as Errors[unreachable]');
ok t_cmp(counter($refused, 'Served'), 0, '... and not as served');

my $bad = $apps->{$c_app}{'Errors[bad_headers]'};
ok t_cmp(http(path => '/ext/c.fcgi?status=abc')->{status}, 502, 'invalid Status: 502');
ok t_cmp(counter($c_app, 'Errors[bad_headers]'), $bad + 1, '... counted as Errors[bad_headers]');

my $timeouts = $apps->{$idle}{'Errors[idle_timeout]'};
ok t_cmp(http(path => '/ext/idle.fcgi?hang')->{status}, 504, '-idle-timeout 2: 504');
ok t_cmp(counter($idle, 'Errors[idle_timeout]'), $timeouts + 1, '... counted as Errors[idle_timeout]');

# ---- in flight while a slow request runs
$served = counter($c_app, 'Served');
my $slow = background('/ext/c.fcgi?sleep=2500&write=slow');
ok t_cmp(wait_for(sub { counter($c_app, 'InFlight') == 1 }, 5), 1, 'a slow request: InFlight 1 while it runs');
ok t_cmp(collect($slow), 2, '... it gets its 200');
ok t_cmp(counter($c_app, 'InFlight'), 0, '... InFlight 0 afterwards');
ok t_cmp(counter($c_app, 'Served'), $served + 1, '... Served + 1');

# ---- processes of a static app: -processes 3, one busy during a slow request
ok t_cmp(wait_for(sub { processes($three) == 3 }, 15), 1, 'static app: 3 processes');
my $slow3 = background('/status3/app?sleep=12000&write=slow');
ok t_cmp(wait_for(sub { (auto()->{$three}{ProcessesBusy} // 0) == 1 }, 5), 1, 'a slow request: 1 busy');
ok t_cmp(auto()->{$three}{ProcessesIdle}, 2, '... 2 idle');

# ---- the HTML page in a real browser (while that request runs)
my $shot = "$t/logs/status-screenshot.png";
SKIP: {
    skip 'chromium not installed (scripts/install-deps.sh installs it)', 6 unless $chromium;
    my @chrome = ($chromium, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
                  '--window-size=375,800', '--virtual-time-budget=5000');
    my $base = 'http://' . server_host() . ':' . server_port();
    # first the screenshot, while the slow request still holds a process
    unlink $shot;
    system("@chrome --screenshot='$shot' '$base/fastcgi-status?app=status_app' >/dev/null 2>&1");
    my $png = '';
    if (open my $fh, '<:raw', $shot) { local $/; $png = <$fh> }
    my ($pw, $ph) = length($png) > 24 ? unpack('NN', substr($png, 16, 8)) : (0, 0);
    ok t_cmp("${pw}x$ph", '375x800', "screenshot $shot is 375x800");
    # a blank page compresses to about 2.5 KB; text, table and bar to tens of KB
    ok t_cmp(length($png) > 15000 ? 1 : 0, 1, sprintf('... and has something drawn (%d bytes)', length $png));
    print "# status page screenshot: $shot\n";
    # the probe frames the real page at 375 px and writes what was laid out
    my $dom = qx{@chrome --dump-dom '$base/status-probe.html?app=status_app' 2>/dev/null};
    my ($m) = $dom =~ m{<pre id="measure">(.*?)</pre>}s;
    $m //= '';
    t_debug("laid out (app=status_app):\n$m");
    my ($bar) = $m =~ /^bar app-0 (.*)$/m;
    my ($b, $i, $s, $w, $wb, $wi, $ws) = split ' ', $bar // '';
    ok t_cmp("$b/$i/$s", '1/2/0', 'Chromium: the bar of the static app is drawn for 1 busy, 2 idle');
    ok t_cmp(($w // 0) > 300 && abs(($wb // 0) - $w / 3) <= 1 && abs(($wi // 0) - 2 * $w / 3) <= 1 ? 1 : 0, 1,
             sprintf('... its busy part is a third of its %.1f px (%.2f px), its idle part two thirds (%.2f px)',
                     $w // 0, $wb // 0, $wi // 0));
    my $full = qx{@chrome --dump-dom '$base/status-probe.html' 2>/dev/null};
    my ($fm) = $full =~ m{<pre id="measure">(.*?)</pre>}s;
    $fm //= '';
    my ($frame) = $fm =~ /^frame (\d+)/m;
    my ($sw) = $fm =~ /^scrollWidth (\d+)/m;
    my ($cw) = $fm =~ /^clientWidth (\d+)/m;
    ok t_cmp($frame, 375, 'Chromium: the whole page (every app, long paths) laid out 375 px wide');
    ok t_cmp(defined $sw && defined $cw && $sw <= $cw ? 1 : 0, 1,
             sprintf('... no horizontal scrolling: scrollWidth %s <= clientWidth %s', $sw // '?', $cw // '?'));
}
ok t_cmp(collect($slow3), 2, 'the slow request to the static app: 200');
ok t_cmp(wait_for(sub { (auto()->{$three}{ProcessesIdle} // 0) == 3 }, 5), 1, '... then 3 idle');

# ---- a restart: one process of the static app killed
my $restarts = counter($three, 'Restarts');
my ($victim) = map { /^(\d+) \Q$three\E$/ ? $1 : () } do {
    open my $fh, '<', ipc_dir() . '/pm.instances' or die "pm.instances: $!";
    <$fh>;
};
ok t_cmp(defined $victim ? 1 : 0, 1, 'a process of the static app (pm.instances)');
kill 'KILL', $victim if $victim;
ok t_cmp(wait_for(sub { counter($three, 'Restarts') == $restarts + 1 && processes($three) == 3 }, 15), 1,
         'killed: Restarts + 1, and 3 processes again');

# ---- a dynamic app is counted once it is seen
my $d = http(path => '/dyn/status.fcgi?write=dyn');
ok t_cmp($d->{body}, 'dyn', 'dynamic app answers');
my $da = auto()->{$dyn} || {};
ok t_cmp($da->{Kind}, 'dynamic', '?auto: the dynamic app, kind dynamic');
ok t_cmp(($da->{Served} // 0) >= 1 ? 1 : 0, 1, '... Served >= 1');
ok t_cmp(wait_for(sub { processes($dyn) >= 1 }, 5), 1, '... with its process');
ok t_cmp(join(',', keys %{ auto('/fastcgi-status?auto&app=%2Fdyn%2Fstatus.fcgi') }), $dyn,
         '?app=%2Fdyn%2Fstatus.fcgi (URL-encoded): only the dynamic app');

# ---- OpenMetrics: a strict parser, promtool, and the same numbers as ?auto
my $om = http(path => '/fastcgi-status?metrics');
ok t_cmp(hdr($om, 'Content-Type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8',
         '?metrics: OpenMetrics content type');
ok t_cmp(substr($om->{body}, -6), "# EOF\n", '... ends in # EOF');
my $om_file = "$t/logs/status-metrics.txt";
{ open my $fh, '>', $om_file or die $!; print $fh $om->{body} }
SKIP: {
    skip 'python3-prometheus-client not installed (scripts/install-deps.sh installs it)', 1 unless $om_parser;
    my $py = q{import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
for f in parse(open(sys.argv[1]).read()):
    for s in f.samples:
        if s.name == "fastcgi_requests_total" and s.labels["app"] == sys.argv[2]: print(int(s.value))};
    my $v = qx{/usr/bin/python3 -c '$py' '$om_file' '$c_app' 2>&1};
    chomp $v;
    ok t_cmp($v, counter($c_app, 'Served'), 'strict OpenMetrics parser: fastcgi_requests_total of c.fcgi = Served of ?auto');
}
SKIP: {
    skip 'promtool not installed (scripts/install-deps.sh installs prometheus)', 2 unless $promtool;
    # promtool reads Prometheus' text format (0.0.4): ?format=prometheus must lint clean
    my $prom = http(path => '/fastcgi-status?format=prometheus');
    my $prom_file = "$t/logs/status-metrics.prom";
    { open my $fh, '>', $prom_file or die $!; print $fh $prom->{body} }
    my $out = qx{'$promtool' check metrics < '$prom_file' 2>&1};
    ok t_cmp("rc=$? $out", 'rc=0 ', 'promtool check metrics: ?format=prometheus lints clean');
    # the OpenMetrics form parses too; its counter families are named
    # without _total, so promtool's only remarks are their HELP lines
    $out = qx{'$promtool' check metrics < '$om_file' 2>&1};
    my @other = grep { !/^fastcgi_\w+_total no help text$/ } split /\n/, $out;
    ok t_cmp(join("\n", @other), '', 'promtool check metrics: ?metrics parses (no other remark)');
}

# ---- the section in mod_status's server-status
SKIP: {
    skip 'mod_status not loaded', 3 unless have_module('status');
    my $ss = http(path => '/server-status');
    ok t_cmp($ss->{body} =~ m{<h2>FastCGI applications</h2>} ? 1 : 0, 1, 'server-status: a FastCGI section');
    ok t_cmp($ss->{body} =~ m{<h3>\Q$three\E</h3>} ? 1 : 0, 1, '... with the static app');
    my $ssa = auto('/server-status?auto');
    ok t_cmp($ssa->{$c_app}{Served}, counter($c_app, 'Served'), 'server-status?auto: FastCGIApp lines, same Served');
}

# ---- graceful restart: the new generation counts from 0 in a new segment,
# while a request in flight finishes in an old child (old segment)
# Not under the sanitizers: this httpd has Debian's mod_perl loaded, and
# after a graceful restart the ASan-preloaded parent jumps into the unmapped
# old libperl.so (a SEGV with its PC in libperl, no frame of this module);
# graceful restarts under ASan are covered by t/pm_drain.t and t/pm_reload.t,
# whose httpds load no mod_perl.
my $asan = (Apache::Test::vars('httpd') // '') =~ /asan-httpd/;
if ($asan) {
    skip('graceful restart of a mod_perl httpd under ASan (see above)') for 1 .. 6;
} else {
    my $parent = httpd_pid();
    my $gmark = log_mark();
    my $across = background('/ext/c.fcgi?sleep=2000&write=across');
    wait_for(sub { counter($c_app, 'InFlight') == 1 }, 5);
    kill 'USR1', $parent;
    ok t_cmp(wait_log($gmark, qr/resuming normal operations/, 15) =~ /resuming normal operations/ ? 1 : 0, 1,
             'graceful restart');
    ok t_cmp(collect($across), 2, '... a request in flight across it gets its 200');
    ok t_cmp(counter($c_app, 'Served') . '/' . counter($c_app, 'InFlight'), '0/0',
             '... the new generation starts at Served 0, InFlight 0 (counters restart at 0)');
    http(path => '/ext/c.fcgi?write=x');
    ok t_cmp(counter($c_app, 'Served'), 1, '... and counts its own requests');
    ok t_cmp(wait_for(sub { processes($three) == 3 }, 15), 1, '... the new process manager publishes its 3 processes');
    my ($alive, $why) = crash_check($mark, $parent);
    ok t_cmp($alive, 1, "no crash: $why");
}

ok t_cmp(join("\n", unexpected_errors($mark, qr/failed to connect to server "[^"]*refused\.fcgi"/, qr/invalid Status 'abc'/,
                                          qr/idle\.fcgi.*idle timeout/, qr/AH01630: .*fastcgi-status-monitor/)),
         '', 'no other error logged');
