# Process manager, dynamic applications: a fastcgi-script file with no
# definition, in a directory with Options ExecCGI, is started by the first
# request and reused by the next ones; refusals (no ExecCGI, missing file,
# not executable) start nothing; an instance that exits by itself is
# restarted when it was the last one (-singleThreshold 0); -autoUpdate
# replaces the instances when the file is newer than the socket.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use Time::HiRes qw(time sleep);

plan tests => 52, need_module 'fastcgi';

my $h = FastCGITest::PM->new('dynamic');
my $bin = app_bin();
my $htdocs = $h->htdocs;
my $ipc = $h->ipc;
my $uid = FastCGITest::PM::run_uid();
my $app    = $h->install("$bin/responder", 'dyn/app.fcg');
my $auto   = $h->install("$bin/responder", 'dyn/auto.fcg');
my $plain  = $h->install("$bin/responder", 'dyn/plain.fcg', 0644);
my $noexec = $h->install("$bin/responder", 'noexec/app.fcg');

$h->write_conf(
    '# -restart-delay 1: a dynamic instance that exits is back after 1 s',
    'FastCgiConfig -autoUpdate -initial-env DYNVAR=1 -initial-env HOME -restart-delay 1 -startDelay 1',
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
    "<Directory $htdocs/noexec>",
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
);
$h->{env}{HOME} = '/nonexistent/dyn-home';

my $started = $h->start;
ok t_cmp($started, 1, 'httpd for dynamic apps starts' . ($started ? '' : ": $h->{error}"));
my $pm = $h->pm_pid // 0;
my $app_sock = "$ipc/dynamic/" . FastCGITest::PM::md5_name($app, '-', '-');

sub pid_of { my ($r) = @_; return $r->{body} =~ /pid=(\d+)/ ? $1 : 0 }

# ------------------------------------------------------- first request
my $p1;
{
    ok t_cmp(scalar(keys %{ $h->instances }), 0, 'no instance before the first request');
    my $m = $h->log_mark;
    my $r = $h->http(path => '/dyn/app.fcg?pid', timeout => 20);
    ok t_cmp($r->{status}, 200, 'first request to a dynamic app: 200');
    $p1 = pid_of($r);
    my $log = $h->wait_log($m, qr/\(dynamic\) server "\Q$app\E" started \(pid $p1\)/, 3);
    ok t_cmp($log, qr/FastCGI: \(dynamic\) server "\Q$app\E" started \(pid $p1\)/,
             'log: FastCGI: (dynamic) server "<p>" started (pid N), N served the request');
    my $i = $h->info($p1) || { cmdline => [], environ => {} };
    ok t_cmp(join(' ', @{ $i->{cmdline} }), $app, 'argv is the full path');
    ok t_cmp($i->{cwd} // '', "$htdocs/dyn", "cwd is the app's directory");
    ok t_cmp(join(' ', map { "$_=$i->{environ}{$_}" } sort keys %{ $i->{environ} }),
             'DYNVAR=1 HOME=/nonexistent/dyn-home', 'environment is exactly FastCgiConfig -initial-env');
    ok t_cmp($i->{ppid} // 0, $pm, 'parent is the process manager');
    ok t_cmp(($i->{uid} // -1) . '/' . ($i->{euid} // -1), "$uid/$uid", "runs as httpd's User");
    ok t_cmp(($i->{pgrp} // 0) == $p1 ? 1 : 0, 1, 'leads its own process group');
    my @st = stat $app_sock;
    ok t_cmp(-S $app_sock ? 1 : 0, 1, 'socket FastCgiIpcDir/dynamic/md5(path . "-" . "-")');
    ok t_cmp(@st ? sprintf('%04o', $st[2] & 07777) : 'none', '0600', 'dynamic socket mode 0600');
    ok t_cmp(($i->{fds}{0} // '') =~ /^socket:/ ? 1 : 0, 1, 'fd 0 is the listening socket');
}

# ------------------------------------------------- later requests reuse it
{
    my $m = $h->log_mark;
    my $r = $h->http(path => '/dyn/app.fcg?pid');
    ok t_cmp(pid_of($r), $p1, 'second request: same pid');
    $r = $h->http(path => '/dyn/app.fcg/some/path?env');
    my $e = parse_env($r->{body});
    ok t_cmp($e->{SCRIPT_NAME} // '', '/dyn/app.fcg', 'SCRIPT_NAME of a dynamic app');
    ok t_cmp($e->{PATH_INFO} // '', '/some/path', 'PATH_INFO of a dynamic app');
    ok t_cmp($e->{SCRIPT_FILENAME} // '', $app, 'SCRIPT_FILENAME of a dynamic app');
    my @res = $h->parallel([map { { path => '/dyn/app.fcg?pid' } } 1 .. 4]);
    ok t_cmp(join(' ', map { pid_of($_) } @res), "$p1 $p1 $p1 $p1", 'four quick parallel requests: same pid');
    ok t_cmp($h->log_since($m), qr/^(?!.*\(dynamic\) server "\Q$app\E" started)/s, 'no second start');
    ok t_cmp(scalar(keys %{ $h->instances($app) }), 1, 'one instance');
}

# ------------------------------------------------------------ refusals
{
    my $m = $h->log_mark;
    my $r = $h->http(path => '/noexec/app.fcg');
    ok t_cmp($r->{status}, 403, 'fastcgi-script without Options ExecCGI: 403');
    ok t_cmp($h->wait_log($m, qr/ExecCGI/, 2),
             qr/FastCGI: "ExecCGI Option" is off in this directory: \/noexec\/app\.fcg; likely fix: Options \+ExecCGI in the <Directory> that holds "\Q$noexec\E"/,
             'log: "ExecCGI Option" is off in this directory, with the fix (docs/troubleshooting.md 7)');
    $m = $h->log_mark;
    $r = $h->http(path => '/dyn/missing.fcg');
    ok t_cmp($r->{status}, 404, 'missing dynamic app file: 404');
    $m = $h->log_mark;
    $r = $h->http(path => '/dyn/plain.fcg');
    ok t_cmp($r->{status}, 403, 'file not executable by httpd\'s User: 403');
    ok t_cmp($h->wait_log($m, qr/execute not allowed/, 2),
             qr/FastCGI: invalid \(dynamic\) server "\Q$plain\E": access for server \(uid $uid, gid \d+\) not allowed: execute not allowed; likely fix: chmod \+x \Q$plain\E \(httpd's User must execute it\)/,
             'log: access for server ... not allowed: execute not allowed, with the fix (docs/troubleshooting.md 7)');
    sleep 0.3;
    ok t_cmp(join(' ', sort $h->ipc_files), 'dynamic/' . FastCGITest::PM::md5_name($app, '-', '-') . ' pm.sock',
             'refused requests created no socket');
    ok t_cmp(scalar(keys %{ $h->instances }), 1, 'refused requests started no process');
}

# ------------------------------- an instance that exits by itself is restarted
{
    my $m = $h->log_mark;
    my $r = $h->http(path => '/dyn/app.fcg?exit=3');
    ok t_cmp($r->{status}, 502, 'dynamic instance exits during a request: 502');
    my $log = $h->wait_log($m, qr/\(dynamic\) server "\Q$app\E" restarted \(pid \d+\)/, 4);
    ok t_cmp($log, qr/FastCGI: \(dynamic\) server "\Q$app\E" \(pid $p1\) terminated by calling exit with status '3'/,
             "log: (dynamic) server ... terminated by calling exit with status '3'");
    my ($p2) = $log =~ /\(dynamic\) server "\Q$app\E" restarted \(pid (\d+)\)/;
    ok t_cmp(defined $p2 ? 1 : 0, 1, 'the last instance is restarted (-singleThreshold 0)');
    ok t_cmp(FastCGITest::PM::exists_pid($p1), 0, 'the old one was reaped');
    $r = $h->http(path => '/dyn/app.fcg?pid');
    ok t_cmp(pid_of($r), $p2 // -1, 'the restarted instance serves');
    $p1 = pid_of($r);
}

# ---------------------------------------------------------- -autoUpdate
{
    my $r = $h->http(path => '/dyn/auto.fcg?pid', timeout => 20);
    my $a1 = pid_of($r);
    ok t_cmp($a1 ? 1 : 0, 1, "auto.fcg started (pid $a1)");
    my $t0 = time;
    $r = $h->http(path => '/dyn/auto.fcg?pid');
    ok t_cmp(pid_of($r), $a1, 'unchanged file: same pid');
    ok t_cmp(time - $t0 < 0.5 ? 1 : 0, 1, 'unchanged file: no 1 s pause');

    sleep 0.1;               # the file must end up newer than the socket
    utime undef, undef, $auto;
    my $m = $h->log_mark;
    $t0 = time;
    $r = $h->http(path => '/dyn/auto.fcg?pid', timeout => 20);
    my $took = time - $t0;
    my $a2 = pid_of($r);
    ok t_cmp($r->{status}, 200, 'request after touching the app file: 200');
    ok t_cmp(($a2 && $a2 != $a1) ? 1 : 0, 1, "served by a new instance ($a1 -> $a2)");
    ok t_cmp($took >= 0.9 ? 1 : 0, 1, sprintf('the request waited %.2f s (1 s for the old ones to go)', $took));
    my $log = $h->wait_log($m, qr/\(pid $a1\) terminated/, 3);
    ok t_cmp($log, qr/FastCGI: restarting old server "\Q$auto\E" processes, newer version found/,
             'log: restarting old server "<p>" processes, newer version found');
    ok t_cmp($log, qr/FastCGI: \(dynamic\) server "\Q$auto\E" \(pid $a1\) terminated/, 'log: the old instance terminated');
    ok t_cmp(FastCGITest::PM::exists_pid($a1), 0, 'the old instance is gone');
    ok t_cmp(join(' ', keys %{ $h->instances($auto) }), $a2, 'one instance of auto.fcg: the new one');

    $m = $h->log_mark;
    $t0 = time;
    $r = $h->http(path => '/dyn/auto.fcg?pid');
    ok t_cmp(pid_of($r), $a2, 'next request: the new instance again');
    ok t_cmp(time - $t0 < 0.5 ? 1 : 0, 1, 'next request: no pause (the socket is newer than the file now)');
    ok t_cmp($h->log_since($m) =~ /restarting old server/ ? 1 : 0, 0, 'no second restart');
    ok t_cmp(pid_of($h->http(path => '/dyn/app.fcg?pid')), $p1, 'the other dynamic app was not touched');

    # a second change of the file in the same second, after the restart
    # for the first one: the next request gets that version too, and
    # requests do not keep paying the 1 s pause
    my $frac = time - int(time);
    sleep(1.02 - $frac) if $frac > 0.3;     # start early in a second
    utime undef, undef, $auto;
    my $ma = $h->log_mark;
    my @bg;
    my $t1 = time;
    my ($first) = $h->parallel([{ path => '/dyn/auto.fcg?pid', timeout => 20 }], sub {
        # while that request sleeps its 1 s: change the file again
        if (!@bg && time - $t1 > 0.2) { utime undef, undef, $auto; push @bg, time - $t1 }
    });
    my $a3 = pid_of($first);
    my $same_second = int($t1) == int($t1 + ($bg[0] // 9)) ? 1 : 0;
    ok t_cmp(($a3 && $a3 != $a2) ? 1 : 0, 1, "first change: new instance ($a2 -> $a3)");
    $t0 = time;
    $r = $h->http(path => '/dyn/auto.fcg?pid', timeout => 20);
    my $a4 = pid_of($r);
    ok t_cmp(($a4 && $a4 != $a3) ? 1 : 0, 1,
             "second change (same second: $same_second) after that restart: new instance again ($a3 -> $a4)");
    $t0 = time;
    $r = $h->http(path => '/dyn/auto.fcg?pid', timeout => 20);
    ok t_cmp(time - $t0 < 0.5 ? 1 : 0, 1, sprintf('and then no more pauses (%.2f s)', time - $t0));
}

# ---------------------------------------------------------------- leaks
$h->leak_check('dynamic apps', 30, sub {
    my $i = shift;
    my @p = ('/dyn/app.fcg?pid', '/dyn/auto.fcg?pid', '/dyn/missing.fcg', '/noexec/app.fcg', '/dyn/plain.fcg',
             '/dyn/app.fcg?size=50000');
    $h->http(path => $p[$i % @p]);
});

{
    my @bad = $h->unexpected_errors(0, qr/"ExecCGI Option" is off/, qr/stat\(\) of "\Q$htdocs\E\/dyn\/missing\.fcg" failed/,
                                    qr/\Q$plain\E.*execute not allowed/, qr/incomplete headers.*\Q$app\E/);
    ok t_cmp(scalar(@bad), 0, "no unexpected error lines:\n" . join("\n", @bad));
}
