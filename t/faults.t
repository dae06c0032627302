# Fault injection: apps written to misbehave (t/apps/raw.pl on the wire,
# t/apps/responder.c on libfcgi) in the ways t/errors.t, t/protocol.t and
# t/response.t do not already cover. For each fault: a proper 5xx (or,
# after the headers went out, a cut the client can see), one log line naming
# the app and the fault, the next request served; at the end nothing is
# left behind (descriptors, processes, memory) and httpd did not crash.
# Which fault is held where: t/README.md.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use LWP::UserAgent;
use Time::HiRes qw(time sleep);

plan tests => 79, need_module 'fastcgi';

my $parent  = httpd_pid();
my $start   = log_mark();
my $docroot = docroot();
start_apps(qw(c raw raw_keep));
my $base = 'http://' . server_host() . ':' . server_port();

sub q_enc { url_encode($_[0]) }

# the next request after a fault is served normally
sub next_ok {
    my ($what) = @_;
    my $r = http(path => '/ext/raw.fcgi?ok');
    ok t_cmp("$r->{status} $r->{body}", "200 raw ok\n", "$what: the next request is served");
}

# One fault: $o{path}; $o{expect} a status, or 'cut' (200, chunked, no final
# chunk); $o{app} the definition the log line names; $o{cause} its fault.
# Emits 4 tests.
sub fault {
    my (%o) = @_;
    my $m = log_mark();
    my $t0 = time;
    my $r = http(path => $o{path}, timeout => 20);
    my $took = time - $t0;
    if ($o{expect} eq '502 or cut') {
        ok t_cmp(($r->{status} == 502 || "$r->{status} $r->{chunked} $r->{complete}" eq '200 1 0') ? 1 : 0, 1,
                 "$o{what}: 502, or a cut the client sees ($r->{status} chunked=$r->{chunked} complete=$r->{complete})");
    } elsif ($o{expect} eq 'cut') {
        ok t_cmp("$r->{status} $r->{chunked} $r->{complete}", '200 1 0',
                 "$o{what}: headers went out, the client sees the cut (200, chunked, no last chunk)");
    } else {
        ok t_cmp($r->{status}, $o{expect}, "$o{what} -> $o{expect} (in " . sprintf('%.1f', $took) . ' s)');
    }
    # the app's own Content-Type is text/plain, httpd's error page text/html
    my $leak = $o{expect} =~ /cut/ ? qr/leaked|SMUGGLED/ : qr/leaked|SMUGGLED|text\/pl/;
    ok t_cmp(($r->{raw} =~ $leak) ? 1 : 0, 0, "$o{what}: nothing of the broken output passed on");
    my $l = log_line($m, qr/\[(?:[\w.-]+:)?error\]/, qr/\Q$docroot\E\/ext\/\Q$o{app}\E"/, $o{cause});
    ok t_cmp($l ne '' ? 1 : 0, 1, "$o{what}: an error line naming $o{app} and $o{cause}: " . substr($l, 0, 300));
    next_ok($o{what});
}

# ---- the app dies during its headers, sends END_REQUEST for another id
fault(what => 'closes in the middle of a header line', path => '/ext/raw.fcgi?closemidhead',
      expect => 502, app => 'raw.fcgi', cause => qr/incomplete headers \(\d+ bytes\)/);
# (the app closed its STDOUT first, so even without -flush its answer may
# be on its way: then the client must see it cut)
fault(what => 'END_REQUEST for request id 7', path => '/ext/raw.fcgi?wrongidend',
      expect => '502 or cut', app => 'raw.fcgi', cause => qr/protocol error/);
fault(what => 'END_REQUEST for request id 7 after the headers went out (-flush)', path => '/ext/raw-flush.fcgi?wrongidend',
      expect => 'cut', app => 'raw-flush.fcgi', cause => qr/protocol error/);

# ---- stalls: forever before any byte, and in the middle of a record
fault(what => 'stalls forever before any record', path => '/ext/raw-idle.fcgi?stall',
      expect => 504, app => 'raw-idle.fcgi', cause => qr/idle timeout/);
fault(what => 'stalls in the middle of a record', path => '/ext/raw-idle.fcgi?stallmidrecord',
      expect => 504, app => 'raw-idle.fcgi', cause => qr/idle timeout/);
{
    my $l = FastCGITest::wait_match(sub { FastCGITest::file_since(t_dir() . '/logs/app_raw.log', 0) },
                                    qr/stallmidrecord: the web server closed/, 3);
    ok t_cmp(($l =~ /stallmidrecord: the web server closed/) ? 1 : 0, 1,
             'the stalled app saw its connection closed (nothing held open)');
}

# ---- header blocks: 10,000 lines, CR/LF/NUL/control bytes, invalid Status
fault(what => '10,000 header lines', path => '/ext/c.fcgi?manyheaders=10000&write=BODYleaked',
      expect => 502, app => 'c.fcgi', cause => qr/error parsing headers/);
for my $b (['CR CR LF ending a header line', "Content-Type: text/plain\r\nX-Bad: leaked\r\r\n\r\n"],
           ['NUL inside a header name',      "Content-Type: text/plain\r\nX-N\0ame: leaked\r\n\r\n"],
           ['ESC inside a header value',     "Content-Type: text/plain\r\nX-Esc: a\x1b[31mleaked\r\n\r\n"],
           ['DEL inside a header value',     "Content-Type: text/plain\r\nX-Del: a\x7fleaked\r\n\r\n"],
           ['Status: 2OO (letter O)',        "Status: 2OO\r\nX-M: leaked\r\n\r\n"],
           ['Status: empty',                 "Status: \r\nX-M: leaked\r\n\r\n"],
           ['Status: -200',                  "Status: -200\r\nX-M: leaked\r\n\r\n"]) {
    my ($what, $head) = @$b;
    fault(what => $what, path => '/ext/c.fcgi?rawhead=' . q_enc($head) . '&write=BODYleaked',
          expect => 502, app => 'c.fcgi', cause => qr/error parsing headers/);
}
# a bare LF ends a line (allowed): two headers go out, each a proper CRLF line
{
    my $r = http(path => '/ext/c.fcgi?rawhead=' . q_enc("Content-Type: text/plain\r\nX-A: one\nX-B: two\r\n\r\n") . '&write=lf');
    ok t_cmp(join(' ', $r->{status}, hdr($r, 'X-A') // '-', hdr($r, 'X-B') // '-'), '200 one two',
             'LF inside the block ends a line: X-A and X-B are two headers');
    my $head = $r->{raw_head};
    $head =~ s/\r\n//g;
    ok t_cmp(($head =~ /[\r\n]/) ? 1 : 0, 0, 'no bare CR or LF in the header block sent to the client');
}

# ---- stderr floods: the response is not affected, every line is logged,
#      memory stays bounded, an app cannot forge log lines
{
    my $before = children_rss_map();
    my $max = {};
    my $m = log_mark();
    my $r = http(path => '/ext/raw.fcgi?stderrflood=16384', timeout => 60,
                 tick => sub { rss_sample($max) });
    rss_sample($max);
    ok t_cmp("$r->{status} $r->{body}", "200 after flood\n", '16 MiB of stderr: the response is not affected');
    my $text = FastCGITest::wait_match(sub { log_since($m) }, qr/flood 0167772/, 10);
    my $n = () = $text =~ /raw\.fcgi" stderr: flood \d{7} x+$/mg;
    ok t_cmp($n, 167773, '16 MiB of stderr: every one of the 167773 lines logged, naming the app');
    my ($growth, $who) = rss_growth($before, $max);
    ok t_cmp($growth < 8192 ? 1 : 0, 1, "16 MiB of stderr: httpd child RSS grew by $growth kB (< 8 MiB, pid $who)");
    next_ok('stderr flood');

    $m = log_mark();
    $r = http(path => '/ext/raw.fcgi?stderrlong=1024', timeout => 60);
    ok t_cmp("$r->{status} $r->{body}", "200 after long line\n", 'a 1 MiB stderr line: the response is not affected');
    $text = FastCGITest::wait_match(sub { log_since($m) }, qr/after long line|stderr: L+\n(?!.*stderr: L)/s, 5);
    my @parts = $text =~ /raw\.fcgi" stderr: (L+)$/mg;
    my $total = 0;
    my $longest = 0;
    for (@parts) { $total += length; $longest = length if length > $longest }
    ok t_cmp($total, 1048576, 'a 1 MiB stderr line: all its bytes logged (split into ' . scalar(@parts) . ' lines)');
    ok t_cmp($longest <= 8191 ? 1 : 0, 1, "a 1 MiB stderr line: no log line longer than 8191 bytes of it ($longest)");

    $m = log_mark();
    $r = http(path => '/ext/raw.fcgi?stderrctl');
    ok t_cmp("$r->{status} $r->{body}", "200 after ctl\n", 'stderr with control bytes: the response is not affected');
    $text = FastCGITest::wait_match(sub { log_since($m) }, qr/stderr: c$/m, 3);
    ok t_cmp(($text =~ /raw\.fcgi" stderr: a\\{1,2}x00b\\{1,2}x1b\[31mFAKE \[error\] line$/m) ? 1 : 0, 1,
             'NUL and ESC are written as \\xHH (httpd doubles the backslash), the CR ends the line');
    ok t_cmp(($text =~ /^FAKE|\x00|\x1b/m) ? 1 : 0, 0, 'no forged log line, no raw control byte in the log');
}

# ---- connection reuse: bytes after END_REQUEST never make a kept
#      connection dirty (raw.pl --keep serves the next request on it)
{
    FastCGITest::wait_match(sub { log_since($start) }, qr/rawk\.fcgi" at .*keeping up to/, 4);
    my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 20);
    my $get = sub { my $res = $ua->get("$base/ext/rawk.fcgi?$_[0]"); $res->code . ' ' . $res->content };
    my @c = map { $get->('conn') } 1 .. 4;
    my ($pid) = $c[-1] =~ /^200 conn=(\d+):/;
    ok t_cmp(($c[-1] =~ /^200 conn=\d+:([2-9]|\d\d)$/ && $c[-2] =~ /^200 conn=\Q$pid\E:/) ? 1 : 0, 1,
             "raw.pl --keep: the kept connection serves several requests (@c)");

    my $m = log_mark();
    my $a = $get->('afterend');
    ok t_cmp($a, "200 before end\n", 'STDOUT after END_REQUEST on a kept connection: the answer, without it');
    my $n = $get->('conn');
    ok t_cmp($n, qr/^200 conn=\d+:1$/, "the next request gets a fresh connection, not the dirty one ($n)");
    my $l = log_line($m, qr/rawk\.fcgi"/, qr/bytes after FCGI_END_REQUEST/);
    ok t_cmp($l ne '' ? 1 : 0, 1, "a warning names the app and the bytes after END_REQUEST: $l");

    # the stray record comes 300 ms later, while the connection is idle
    $n = $get->('conn');
    $a = $get->('afterendlate=300');
    ok t_cmp($a, "200 before end\n", 'STDOUT 300 ms after END_REQUEST: the answer is clean');
    sleep 0.8;
    my @after = map { $get->('conn') } 1 .. 3;
    ok t_cmp($after[0], qr/^200 conn=\d+:1$/, "a connection that turned readable while idle is not reused ($after[0])");
    ok t_cmp(scalar(grep { /^200 conn=\d+:\d+$/ } @after), 3, "no request ever gets the stray record (@after)");

    my $res = $ua->get("$base/ext/rawk.fcgi?wrongidend");
    my $cut = $res->header('X-Died') || $res->header('Client-Aborted') || '';
    ok t_cmp(($res->code == 502 || ($res->code == 200 && $cut)) ? 1 : 0, 1,
             'END_REQUEST for another id on a kept connection: 502 or a cut (' . $res->code . " $cut)");
    $n = $get->('conn');
    ok t_cmp($n, qr/^200 conn=\d+:1$/, "after the protocol error a fresh connection serves ($n)");
}

# ---- nothing left behind
leak_check('faults', 40, sub {
    my ($i) = @_;
    my @p = ('/ext/raw.fcgi?closemidhead', '/ext/raw.fcgi?wrongidend', '/ext/raw-flush.fcgi?wrongidend',
             '/ext/c.fcgi?manyheaders=10000', '/ext/c.fcgi?rawhead=' . q_enc("Status: 2OO\r\n\r\n"),
             '/ext/raw.fcgi?stderrflood=64', '/ext/raw.fcgi?stderrctl', '/ext/rawk.fcgi?afterend');
    http(path => $p[$i % @p], timeout => 20);
});
leak_check('faults (stalls)', 2, sub { http(path => '/ext/raw-idle.fcgi?stallmidrecord', timeout => 20) });
{
    my ($ok, $why) = crash_check($start, $parent);
    ok t_cmp($ok, 1, "httpd's parent is the same and no child crashed ($why)");
}
