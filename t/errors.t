# Failures: app unreachable, timeouts, app dies before/after the headers.
# Each error gives the right status and one error_log line naming the app,
# its address and the cause; httpd never crashes; nothing leaks.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use Time::HiRes qw(time);

plan tests => 46, need_module 'fastcgi';

my $parent  = httpd_pid();
my $mark    = log_mark();
my $docroot = docroot();
my $ipc     = ipc_dir();
start_apps(qw(c raw));

# number of error-level log lines after $m that name $app (waits 0.3 s first)
sub n_error_lines {
    my ($m, $app) = @_;
    select undef, undef, undef, 0.3;
    return scalar grep { /\[(?:[\w.-]+:)?(error|crit|alert|emerg)\]/ && /\Q$docroot\E\/ext\/\Q$app\E\b/ }
        split /\n/, log_since($m);
}


# ---- unix socket file missing
{
    unlink "$ipc/nosuch.sock";
    my $m = log_mark();
    my $r = timed(path => '/ext/nosock.fcgi');
    ok t_cmp($r->{status}, 503, 'socket file missing -> 503');
    ok t_cmp($r->{elapsed} < 1.5 ? 1 : 0, 1, sprintf('socket file missing: fast answer (%.2f s)', $r->{elapsed}));
    my $l = log_line($m, qr/\Q$docroot\E\/ext\/nosock\.fcgi/, qr/\Q$ipc\E\/nosuch\.sock/, qr/No such file or directory/);
    ok t_cmp($l ne '' ? 1 : 0, 1, "log line names app, socket path and ENOENT: $l");
    ok t_cmp(n_error_lines($m, 'nosock.fcgi'), 1, 'socket file missing: exactly one error line');
}

# ---- unix socket file present, nobody listening
{
    make_stale_socket("$ipc/stale.sock");
    my $m = log_mark();
    my $r = timed(path => '/ext/stale.fcgi');
    ok t_cmp($r->{status}, 503, 'stale socket file (nobody listening) -> 503');
    my $l = log_line($m, qr/\Q$docroot\E\/ext\/stale\.fcgi/, qr/\Q$ipc\E\/stale\.sock/, qr/Connection refused/);
    ok t_cmp($l ne '' ? 1 : 0, 1, "log line names app, socket path and ECONNREFUSED: $l");
}

# ---- TCP port refused
{
    my $port = port('refused');
    my $m = log_mark();
    my $r = timed(path => '/ext/refused.fcgi');
    ok t_cmp($r->{status}, 503, 'TCP connection refused -> 503');
    ok t_cmp($r->{elapsed} < 1.5 ? 1 : 0, 1, sprintf('refused: fast answer (%.2f s)', $r->{elapsed}));
    my $l = log_line($m, qr/\Q$docroot\E\/ext\/refused\.fcgi/, qr/127\.0\.0\.1:$port/, qr/Connection refused/);
    ok t_cmp($l ne '' ? 1 : 0, 1, "log line names app, host:port and 'Connection refused': $l");
    ok t_cmp(n_error_lines($m, 'refused.fcgi'), 1, 'connection refused: exactly one error line');
}

# ---- connect timeout (-appConnTimeout 2) against a listener with a full backlog
{
    my $port = port('backlog');
    if (full_backlog_listener($port)) {
        my $m = log_mark();
        my $r = timed(path => '/ext/conntimeout.fcgi', timeout => 20);
        ok t_cmp($r->{status} =~ /^50[34]$/ ? 1 : 0, 1, "connect timeout -> 503 or 504 (got $r->{status})");
        ok t_cmp(($r->{elapsed} >= 1.5 && $r->{elapsed} < 5) ? 1 : 0, 1,
                 sprintf('connect timeout after %.2f s (-appConnTimeout 2)', $r->{elapsed}));
        my $l = log_line($m, qr/\Q$docroot\E\/ext\/conntimeout\.fcgi/, qr/127\.0\.0\.1:$port/, qr/time/i);
        ok t_cmp($l ne '' ? 1 : 0, 1, "log line names app, host:port and the timeout: $l");
    } else {
        skip 'could not make a connect() hang on loopback' for 1 .. 3;
    }
}

# ---- idle timeout (-idle-timeout 2)
{
    my $m = log_mark();
    my $r = timed(path => '/ext/idle.fcgi?hang', timeout => 20);
    ok t_cmp($r->{status}, 504, 'idle timeout (app hangs) -> 504');
    ok t_cmp(($r->{elapsed} >= 1.8 && $r->{elapsed} < 4.5) ? 1 : 0, 1,
             sprintf('idle timeout after %.2f s (-idle-timeout 2)', $r->{elapsed}));
    my $l = log_line($m, qr/\Q$docroot\E\/ext\/idle\.fcgi/, qr/\Q$ipc\E\/c\.sock/, qr/idle timeout/i);
    ok t_cmp($l ne '' ? 1 : 0, 1, "log line names app, socket and 'idle timeout': $l");
    ok t_cmp(n_error_lines($m, 'idle.fcgi'), 1, 'idle timeout: exactly one error line');

    $r = timed(path => '/ext/idle.fcgi?sleep=5000&write=late', timeout => 20);
    ok t_cmp($r->{status}, 504, 'idle timeout (app sleeps 5 s) -> 504');
    ok t_cmp(($r->{elapsed} >= 1.8 && $r->{elapsed} < 4.5) ? 1 : 0, 1, sprintf('after %.2f s', $r->{elapsed}));

    # idle timeout after the headers went out: the client connection is aborted
    $r = timed(path => '/ext/idle.fcgi?size=100000&flush&hang', timeout => 20, sink => 1);
    ok t_cmp("$r->{status} $r->{chunked} $r->{complete}", '200 1 0', 'idle timeout mid-body: 200, chunked, no terminating chunk');
    ok t_cmp(($r->{elapsed} >= 1.8 && $r->{elapsed} < 4.5) ? 1 : 0, 1, sprintf('... aborted after %.2f s', $r->{elapsed}));

    # the same app without -idle-timeout 2 (default 30 s) waits for a 2.5 s sleep
    $r = timed(path => '/ext/c.fcgi?sleep=2500&write=late-but-ok', timeout => 20);
    ok t_cmp("$r->{status} $r->{body}", '200 late-but-ok', 'default idle timeout tolerates a 2.5 s pause');
}

# ---- app closes before the headers
{
    my $m = log_mark();
    my $r = http(path => '/ext/c.fcgi?exit=1');
    ok t_cmp($r->{status}, 502, 'app exits before writing anything -> 502');
    my $l = log_line($m, qr/\Q$docroot\E\/ext\/c\.fcgi/, qr/\Q$ipc\E\/c\.sock/, qr/incomplete|closed|end of file|EOF/i);
    ok t_cmp($l ne '' ? 1 : 0, 1, "log line names app, socket and the cause: $l");
    ok t_cmp(n_error_lines($m, 'c.fcgi'), 1, 'app exits before headers: exactly one error line');

    $r = http(path => '/ext/c.fcgi?nohead&write=' . url_encode("Content-Type: text/plain\r\n") . '&exit=1');
    ok t_cmp($r->{status}, 502, 'app exits in the middle of its headers -> 502');
    ok t_cmp($r->{raw} !~ /Content-Type: text\/plain\r\n\r\n$/ ? 1 : 0, 1, 'partial app headers not passed on');

    $r = http(path => '/ext/c.fcgi?nohead&write=' . url_encode("Content-Type: text/plain\r\nX-Y: 1\r\n"));
    ok t_cmp($r->{status}, 502, 'app ends the request (END_REQUEST) without finishing its headers -> 502');

    $m = log_mark();
    $r = http(path => '/ext/raw.fcgi?closeearly');
    ok t_cmp($r->{status}, 502, 'raw app closes without any record -> 502');
    $l = log_line($m, qr/\Q$docroot\E\/ext\/raw\.fcgi/, qr/\Q$ipc\E\/raw\.sock/);
    ok t_cmp($l ne '' ? 1 : 0, 1, "log line names app and socket: $l");
}

# ---- app dies after the headers went out: the client connection is aborted
{
    my $r = http(path => '/ext/flush.fcgi?write=abc&flush&pause=300&exit=1');
    ok t_cmp($r->{status}, 200, 'headers went out before the app died: 200');
    ok t_cmp($r->{chunked}, 1, 'HTTP/1.1 response is chunked');
    ok t_cmp($r->{complete}, 0, 'terminating 0-chunk missing: the client sees the abort');
    ok t_cmp($r->{body}, 'abc', 'the bytes before the death arrived');

    $r = http(path => '/ext/c.fcgi?size=200000&flush&exit=1', sink => 1);
    ok t_cmp("$r->{status} $r->{chunked} $r->{complete}", '200 1 0',
             'no -flush, 200000 bytes then exit: 200, chunked, no terminating chunk');

    $r = http(path => '/ext/flush.fcgi?write=abc&flush&pause=300&exit=0');
    ok t_cmp($r->{complete}, 0, 'exit(0) without END_REQUEST is an abort too');

    # HTTP/1.1 keep-alive: the connection must be closed after the abort
    $r = http(path => '/ext/flush.fcgi?write=abc&flush&pause=300&exit=1', headers => ['Connection' => 'keep-alive'],
              timeout => 10);
    ok t_cmp(($r->{eof} && !$r->{timeout}) ? 1 : 0, 1, 'keep-alive connection is closed after the abort');

    $r = http(path => '/ext/raw.fcgi?closemidbody');
    ok t_cmp(($r->{status} == 502 || ($r->{status} == 200 && !$r->{complete})) ? 1 : 0, 1,
             "raw closemidbody (no -flush): 502 or an aborted 200, never a clean short body "
             . "(status $r->{status}, complete $r->{complete})");
}

# ---- the server still works
{
    my $r = http(path => '/ext/c.fcgi?write=still-ok');
    ok t_cmp("$r->{status} $r->{body} $r->{complete}", '200 still-ok 1', 'normal request after all the failures');
}

# ---- leaks with failing requests
leak_check('errors', 50, sub {
    my $i = shift;
    my @p = ('/ext/nosock.fcgi', '/ext/refused.fcgi', '/ext/c.fcgi?exit=1', '/ext/raw.fcgi?closeearly',
             '/ext/stale.fcgi', '/ext/flush.fcgi?write=abc&flush&exit=1', '/ext/c.fcgi?write=ok');
    http(path => $p[$i % @p]);
});
# the hung worker of "hang" must be gone too: the app saw the close
{
    my $r = http(path => '/ext/idle.fcgi?hang', timeout => 20);
    ok t_cmp($r->{status}, 504, 'second idle timeout -> 504');
    sleep 1.5;
    leak_check('idle timeouts', 3, sub { http(path => '/ext/idle.fcgi?hang', timeout => 20) });
}

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/\Q$docroot\E\/ext\/(nosock|stale|refused|conntimeout|idle|c|flush|raw)\.fcgi/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
