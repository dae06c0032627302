# Error paths that used to leak (issue 14): a failing -nph app still gets a
# status line; the headers of a response that turned out broken never reach
# the error page; an app that answered before reading its whole input gets
# no more of it, and its answer is not held back behind a slow upload.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use IO::Select;
use IO::Socket::IP;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

plan tests => 21, need_module 'fastcgi';

start_apps(qw(c raw));
my $docroot = docroot();
my $raw_log = t_dir() . '/logs/app_raw.log';


# ---- -nph: failures before the app's first byte get httpd's status line
{
    my $r = timed(path => '/ext/nph-refused.fcgi', nph => 1);
    ok t_cmp(substr($r->{raw}, 0, 12), 'HTTP/1.1 503', '-nph, connection refused: the client gets an HTTP/1.1 503 status line');
    ok t_cmp($r->{raw} =~ /\r\n\r\n.*Service Unavailable/s ? 1 : 0, 1, '... and httpd\'s error page');

    $r = timed(path => '/ext/nph-idle.fcgi?hang', nph => 1, timeout => 20);
    ok t_cmp(substr($r->{raw}, 0, 12), 'HTTP/1.1 504', '-nph, idle timeout before any output: HTTP/1.1 504 status line');
    ok t_cmp(($r->{elapsed} >= 1.8 && $r->{elapsed} < 4.5) ? 1 : 0, 1, sprintf('... after %.2f s (-idle-timeout 2)', $r->{elapsed}));

    # and a working nph app is still passed through byte for byte
    my $head = "HTTP/1.0 200 OK\r\nX-Nph: 2\r\n\r\n";
    $r = http(path => '/ext/nph.fcgi?rawhead=' . url_encode($head) . '&write=after-fix', nph => 1);
    ok t_cmp($r->{raw}, $head . 'after-fix', '-nph success unchanged');
}

# ---- headers of a broken response never reach the error page
{
    my $block = "Set-Cookie: leak=1\r\nX-Leak: yes\r\nStatus: bogus\r\n\r\n";
    my $r = http(path => '/ext/c.fcgi?rawhead=' . url_encode($block) . '&write=body');
    ok t_cmp($r->{status}, 502, 'invalid Status after other headers -> 502');
    ok t_cmp(hdr($r, 'Set-Cookie') // 'none', 'none', '... without the broken response\'s Set-Cookie');
    ok t_cmp(hdr($r, 'X-Leak') // 'none', 'none', '... nor its other headers');

    # headers complete and applied, then the app stalls: 504 without them
    $block = "Set-Cookie: leak=2\r\nX-Leak: yes\r\nContent-Type: text/x-leak\r\n\r\n";
    $r = timed(path => '/ext/idle.fcgi?rawhead=' . url_encode($block) . '&hang', timeout => 20);
    ok t_cmp($r->{status}, 504, 'headers read, then idle timeout before any body -> 504');
    ok t_cmp(hdr($r, 'Set-Cookie') // 'none', 'none', '... without the app\'s Set-Cookie');
    ok t_cmp(hdr($r, 'X-Leak') // 'none', 'none', '... nor its other headers');
    ok t_cmp((hdr($r, 'Content-Type') // '') =~ /x-leak/ ? 'leaked' : 'clean', 'clean', '... nor its Content-Type');

    # and a valid response keeps its headers
    $r = http(path => '/ext/c.fcgi?header=' . url_encode('Set-Cookie: kept=1') . '&write=fine');
    ok t_cmp((hdr($r, 'Set-Cookie') // '') . " $r->{status}", 'kept=1 200', 'valid response: Set-Cookie kept');
}

# ---- an app that answered first gets no more of the body
{
    my $mark = -s $raw_log || 0;
    my $body = 'x' x (32 * 1024 * 1024);
    my $r = http(path => '/ext/raw.fcgi?answerfirst', method => 'POST', body => $body, timeout => 60);
    ok t_cmp("$r->{status} $r->{body}", "200 answered first\n", 'app answers before reading a 32 MB body: its answer');
    my $log = FastCGITest::wait_match(sub { FastCGITest::file_since($raw_log, $mark) }, qr/answerfirst: \d+ bytes/, 10);
    my ($n) = $log =~ /answerfirst: (\d+) bytes/;
    $n //= -1;
    ok t_cmp(($n >= 0 && $n < 2 * 1024 * 1024) ? 1 : 0, 1,
             "... and the module stopped sending the body once the app had ended the request ($n bytes after the answer)");
}

# ---- a stalled upload does not hold back an answer the app already gave
{
    my $mark = -s $raw_log || 0;
    my $sock = IO::Socket::IP->new(PeerHost => server_host(), PeerPort => server_port(),
                                   Type => SOCK_STREAM, Timeout => 5);
    ok t_cmp($sock ? 1 : 0, 1, 'connected');
    my $t0 = time;
    print $sock "POST /ext/raw.fcgi?answerfirst HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              . "Content-Length: 1000000\r\n\r\n" . ('y' x 1000);
    $sock->flush;
    my $sel = IO::Select->new($sock);
    my $got = '';
    while (time - $t0 < 10 && $got !~ /answered first/) {
        last unless $sel->can_read(10 - (time - $t0));
        my $n = sysread($sock, $got, 65536, length $got);
        last unless $n;
    }
    my $elapsed = time - $t0;
    ok t_cmp($got =~ m{^HTTP/1\.1 200 } ? 1 : 0, 1, 'stalled upload: 200 from the app that answered first');
    ok t_cmp($got =~ /answered first/ ? 1 : 0, 1, '... with its body');
    ok t_cmp($elapsed < 3 ? 1 : 0, 1, sprintf('... at once (%.2f s), not after the client\'s Timeout', $elapsed));
    close $sock;
    my $log = FastCGITest::wait_match(sub { FastCGITest::file_since($raw_log, $mark) }, qr/answerfirst: \d+ bytes/, 5);
    my ($n) = $log =~ /answerfirst: (\d+) bytes/;
    ok t_cmp(defined $n && $n < 2000 ? 1 : 0, 1, 'the app got only the bytes the client sent (' . ($n // 'none') . ')');
}

# ---- and the next request is served
{
    my $r = http(path => '/ext/raw.fcgi?ok');
    ok t_cmp("$r->{status} $r->{body}", "200 raw ok\n", 'next request served');
}
