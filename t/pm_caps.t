# Fail fast on overload (issue 11, items 4 and 6): -max-in-flight,
# -queue-depth and -queue-timeout of FastCgiExternalServer, FastCgiServer
# and FastCgiConfig. Beyond them the client gets 503 + Retry-After at once,
# a queued request waits at most -queue-timeout, and the caps hold across
# httpd's children: this httpd runs prefork (each request in a process of
# its own), then the burst again under event (threads of 2 children).
#
# The app is t/apps/bin/responder as a FastCgiServer with 6 processes, so
# the app itself could serve 6 at once: only the caps make anyone wait. The
# external definitions point at its socket, each with its own caps.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);

plan tests => 68, need_module 'fastcgi';

my $h = FastCGITest::PM->new('caps', mpm => 'prefork');
my $bin = app_bin();
my $htdocs = $h->htdocs;
my $dir = $h->dir;
my $resp = $h->install("$bin/responder", 'st/resp');
my $resp2 = $h->install("$bin/responder", 'st/resp2');
$h->install("$bin/responder", 'dyn/slow.fcg');
$h->put('ext/index.html', "the external apps' directory\n");
$h->put('prot/page.txt', "protected page\n");
my $app_log = "$dir/app_requests.log";
{   # the app runs as httpd's User
    open my $fh, '>', $app_log or die "$app_log: $!";
    close $fh;
    chmod 0666, $app_log;
}

my @conf = (
    "FastCgiServer $resp -processes 6 -init-start-delay 0 -socket resp.sock -initial-env FCGI_TEST_LOG=$app_log",
    "FastCgiServer $resp2 -processes 2 -init-start-delay 0 -max-in-flight 1 -queue-depth 0",
    "FastCgiExternalServer $htdocs/ext/slow.fcgi -socket resp.sock -max-in-flight 2 -queue-depth 2 -queue-timeout 5",
    "FastCgiExternalServer $htdocs/ext/qt.fcgi -socket resp.sock -max-in-flight 1 -queue-depth 1 -queue-timeout 2",
    "FastCgiExternalServer $htdocs/ext/dc.fcgi -socket resp.sock -max-in-flight 1 -queue-depth 1 -queue-timeout 10",
    "FastCgiExternalServer $htdocs/ext/authq.fcgi -socket resp.sock -max-in-flight 1 -queue-depth 0 -queue-timeout 3",
    '<Location /prot>',
    "    FastCgiAccessChecker $htdocs/ext/authq.fcgi",
    '</Location>',
    "FastCgiConfig -maxClassProcesses 1 -queue-timeout 2 -appConnTimeout 30",
    '<Location /fastcgi-status>',
    '    SetHandler fastcgi-status',
    '</Location>',
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
);
$h->write_conf(@conf);

my $started = $h->start;
ok t_cmp($started, 1, 'httpd (prefork) with capped apps starts' . ($started ? '' : ": $h->{error}"));

sub wait_ready {
    my ($path) = @_;
    my $deadline = time + 10;
    while (time < $deadline) {
        my $r = $h->http(path => $path, timeout => 5);
        return 1 if $r->{status} == 200;
        sleep 0.2;
    }
    return 0;
}
# all its instances up, so that only the caps make a request wait
sub app_up {
    my $n = scalar keys %{ $h->wait_instances($resp, 6, 15) || {} };
    return $n == 6 && wait_ready('/ext/slow.fcgi?pid') ? 1 : 0;
}
ok t_cmp(app_up(), 1, 'the static app (6 processes) serves through the external definition');

sub statuses { join ' ', map { $_->{status} } @_ }
sub retry_after { FastCGITest::hdr($_[0], 'Retry-After') // '' }
sub overload_lines {
    my ($mark, $what) = @_;
    return grep { /overloaded/ && /\Q$what\E/ } split /\n/, $h->log_since($mark);
}

# ------------------------------------------------ burst: cap 2, queue 2
# 6 requests of 2 s at once: 2 served at once, 2 queued then served, 2
# refused at once. Returns the results sorted by elapsed time.
# the status page's ?auto counters of one app (docs/status.md)
sub status_of {
    my ($app) = @_;
    my $r = $h->http(path => '/fastcgi-status?auto', timeout => 5);
    return FastCGITest::parse_status_auto($r->{body})->{$app} || {};
}
sub burst {
    my ($label) = @_;
    my $mark = $h->log_mark;
    my $slow = "$htdocs/ext/slow.fcgi";
    my $refused0 = status_of($slow)->{'Errors[overloaded]'} // 0;
    my $max_queued = 0;
    my @res = $h->parallel([map { { path => "/ext/slow.fcgi?sleep=2000&pid&pad=$_", timeout => 30 } } 1 .. 6], sub {
        my $q = status_of($slow)->{Queued} // 0;
        $max_queued = $q if $q > $max_queued;
    });
    my @ok = sort { $a->{elapsed} <=> $b->{elapsed} } grep { $_->{status} == 200 } @res;
    my @no = grep { $_->{status} == 503 } @res;
    ok t_cmp(scalar(@ok) . ' x 200, ' . scalar(@no) . ' x 503', '4 x 200, 2 x 503',
             "$label: 6 parallel 2 s requests, cap 2 + queue 2: " . statuses(@res));
    my @fast = grep { $_->{elapsed} < 1.0 } @no;
    ok t_cmp(scalar(@fast), 2, "$label: the 503s come at once (" . join(' ', map { sprintf '%.2f s', $_->{elapsed} } @no) . ')');
    ok t_cmp(join(' ', map { retry_after($_) } @no), '5 5', "$label: each 503 has Retry-After: 5 (the queue timeout)");
    my @e = map { $_->{elapsed} } @ok;
    ok t_cmp((@e == 4 && $e[0] >= 1.9 && $e[1] < 2.6 && $e[2] >= 3.9 && $e[3] < 4.8) ? 1 : 0, 1,
             "$label: two served at once, two after them (never more than 2 in flight): "
             . join(' ', map { sprintf '%.2f s', $_ } @e));
    my @lines = overload_lines($mark, "$htdocs/ext/slow.fcgi");
    ok t_cmp(scalar(@lines), 1, "$label: one warning for the burst, not one per 503");
    ok t_cmp($max_queued, 2, "$label: the status page showed the 2 queued requests (Queued: $max_queued at most)");
    my $a = status_of($slow);
    ok t_cmp(($a->{'Errors[overloaded]'} // 0) - $refused0, 2, "$label: and counts the 2 refused as Errors[overloaded]");
    ok t_cmp($a->{Queued} // -1, 0, "$label: Queued is 0 again");
    ok t_cmp($lines[0] // '', qr/overloaded, 503 with Retry-After: 5: queue full \(at -max-in-flight 2; 2 in flight, 2 queued, -queue-depth 2, -queue-timeout 5 s\)/,
             "$label: the warning names the app, the cause and the caps");
    return @res;
}
burst('prefork');

# ----------------------------------------------- queue timeout, queue full
{
    my $mark = $h->log_mark;
    my $a = $h->background(path => '/ext/qt.fcgi?sleep=5000&pid', timeout => 30);
    sleep 0.5;
    my $b = $h->background(path => '/ext/qt.fcgi?pid&pad=b', timeout => 30);
    sleep 0.5;
    my $c = $h->http(path => '/ext/qt.fcgi?pid&pad=c', timeout => 30);
    $c->{elapsed} = $c->{t_end};
    ok t_cmp($c->{status}, 503, 'cap 1, queue 1: a third request while one waits gets 503 (queue full)');
    ok t_cmp($c->{t_end} < 0.5 ? 1 : 0, 1, sprintf('... at once (%.2f s)', $c->{t_end}));
    my $rb = $h->collect($b);
    ok t_cmp($rb->{status}, 503, 'the queued request gets 503 after -queue-timeout 2');
    ok t_cmp(($rb->{elapsed} >= 1.8 && $rb->{elapsed} < 3.0) ? 1 : 0, 1,
             sprintf('... after about 2 s, not the 5 s the first request takes (%.2f s)', $rb->{elapsed}));
    ok t_cmp(retry_after($rb), '2', '... with Retry-After: 2');
    my $ra = $h->collect($a);
    ok t_cmp($ra->{status}, 200, 'the request in flight is served (200)');
    my $log = $h->log_since($mark);
    ok t_cmp($log, qr/server "\Q$htdocs\E\/ext\/qt.fcgi" overloaded, 503 with Retry-After: 2: queue timeout/,
             'log: the queue timeout is named');
    ok t_cmp($log, qr/server "\Q$htdocs\E\/ext\/qt.fcgi" overloaded, 503 with Retry-After: 2: queue full/,
             'log: the full queue is named (two causes, two lines in the same second)');
}

# --------------------------------- a client that leaves while queued
sub app_saw {
    my ($what) = @_;
    open my $fh, '<', $app_log or return 0;
    return scalar grep { /\Q$what\E/ } <$fh>;
}
{
    my $a = $h->background(path => '/ext/dc.fcgi?sleep=3000&pid', timeout => 30);
    sleep 0.3;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $h->port, Timeout => 5);
    ok t_cmp($s ? 1 : 0, 1, 'a raw client connects');
    print $s "GET /ext/dc.fcgi?pid&pad=gone HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" if $s;
    sleep 0.5;
    close $s if $s;    # leaves while queued behind the 3 s request
    sleep 0.4;
    my $t0 = time;
    my $c = $h->http(path => '/ext/dc.fcgi?pid&pad=after', timeout => 30);
    my $el = time - $t0;
    ok t_cmp($c->{status}, 200, 'the client that left gave its queue place back: the next request queues and is served');
    ok t_cmp($el >= 0.8 ? 1 : 0, 1, sprintf('... after waiting for the request in flight (%.2f s)', $el));
    ok t_cmp($h->collect($a)->{status}, 200, 'the request in flight is served');
    ok t_cmp(app_saw('pad=gone'), 0, 'the app never saw the request of the client that left');
    ok t_cmp(app_saw('pad=after'), 1, 'the app saw the request queued after it once');
}

# ------------------------------------------- app failures release the slot
{
    my $r = $h->http(path => '/ext/dc.fcgi?write=x&flush&exit=1', timeout => 30);
    ok t_cmp($r->{status} =~ /^(200|502)$/ ? 1 : 0, 1, "an app that dies mid-request ($r->{status})");
    my $t0 = time;
    my $n = $h->http(path => '/ext/dc.fcgi?pid', timeout => 30);
    ok t_cmp($n->{status}, 200, 'the next request is admitted at once: the dead request freed its slot');
    ok t_cmp(time - $t0 < 1.5 ? 1 : 0, 1, sprintf('... without queueing (%.2f s)', time - $t0));
    my $e = $h->http(path => '/ext/dc.fcgi?exit=1', timeout => 30);
    ok t_cmp($e->{status}, 502, 'an app that dies before its headers: 502');
    ok t_cmp($h->http(path => '/ext/dc.fcgi?pid', timeout => 5)->{status}, 200, '... and the slot is free again');
}

# ---------------------------------- counters back at zero after all that
{
    my @res = $h->parallel([map { { path => "/ext/dc.fcgi?sleep=1000&pid&pad=z$_", timeout => 30 } } 1 .. 3]);
    my @ok = sort { $a <=> $b } map { $_->{elapsed} } grep { $_->{status} == 200 } @res;
    my @no = grep { $_->{status} == 503 } @res;
    ok t_cmp(statuses(sort { $a->{status} <=> $b->{status} } @res), '200 200 503',
             'after the faults, cap 1 + queue 1 still admits exactly 1 and queues exactly 1 (no leaked slot)');
    ok t_cmp((@ok == 2 && $ok[0] >= 0.9 && $ok[0] < 1.8 && $ok[1] >= 1.9 && $ok[1] < 3.5) ? 1 : 0, 1,
             'one served at once, one after it: ' . join(' ', map { sprintf '%.2f s', $_ } @ok));
    ok t_cmp((@no == 1 && $no[0]{elapsed} < 0.8) ? 1 : 0, 1, 'the third refused at once');
}

# -------------------------------------------- FastCgiServer -max-in-flight
{
    ok t_cmp(wait_ready('/st/resp2?pid'), 1, 'the capped static app serves');
    my @res = $h->parallel([map { { path => "/st/resp2?sleep=1500&pid&pad=$_", timeout => 30 } } 1 .. 2]);
    my ($no) = grep { $_->{status} == 503 } @res;
    ok t_cmp(statuses(sort { $a->{status} <=> $b->{status} } @res), '200 503',
             'FastCgiServer -processes 2 -max-in-flight 1 -queue-depth 0: 2 parallel requests, one refused');
    ok t_cmp(($no && $no->{elapsed} < 0.8) ? 1 : 0, 1, '... at once');
    ok t_cmp($no ? retry_after($no) : '', '10', '... with Retry-After: 10 (the default -queue-timeout)');
}

# ------------------------------------------ an access checker at its cap
{
    my $first = $h->background(path => '/prot/page.txt?sleep=1500', timeout => 30);
    sleep 0.3;
    my $t0 = time;
    my $late = $h->http(path => '/prot/page.txt?pad=late', timeout => 30);
    $late->{elapsed} = time - $t0;
    my @res = ($h->collect($first), $late);
    my ($ok) = grep { $_->{status} == 200 } @res;
    my ($no) = grep { $_->{status} == 503 } @res;
    ok t_cmp(($ok && $ok->{body} eq "protected page\n") ? 1 : 0, 1, 'FastCgiAccessChecker on a capped app: one request granted');
    ok t_cmp(($no && $no->{elapsed} < 1.0) ? 1 : 0, 1,
             'the other: 503 at once (fail closed, but "come back later", not 500): ' . statuses(@res));
    ok t_cmp($no ? retry_after($no) : '', '3', '... with Retry-After: 3');
}

# ---------------------------- dynamic: -maxClassProcesses and -maxProcesses
# One 5 s request in flight; a second one for the same app gets 503 after
# -queue-timeout 2 (not -appConnTimeout 30). Under prefork the app is at
# -maxClassProcesses 1; under event at -maxProcesses 1 (-maxClassProcesses 3).
sub dynamic_at_cap {
    my ($label, $cause) = @_;
    ok t_cmp(wait_ready('/dyn/slow.fcg?pid'), 1, "$label: the dynamic app is started");
    my $mark = $h->log_mark;
    my $a = $h->background(path => '/dyn/slow.fcg?sleep=5000&pid', timeout => 40);
    sleep 0.5;
    my $t0 = time;
    my $b = $h->http(path => '/dyn/slow.fcg?pid&pad=b', timeout => 40);
    my $el = time - $t0;
    ok t_cmp($b->{status}, 503, "$label: a second request gets 503");
    ok t_cmp(($el >= 1.8 && $el < 3.0) ? 1 : 0, 1,
             sprintf('... after -queue-timeout 2, not -appConnTimeout 30 (%.2f s)', $el));
    ok t_cmp(retry_after($b), '2', '... with Retry-After: 2');
    ok t_cmp($h->collect($a)->{status}, 200, 'the request in flight is served');
    ok t_cmp($h->log_since($mark),
             qr/server "\Q$htdocs\E\/dyn\/slow.fcg" overloaded, 503 with Retry-After: 2: queue timeout \(\Q$cause\E;/,
             "log: queue timeout, $cause");
    ok t_cmp($h->http(path => '/dyn/slow.fcg?pid', timeout => 10)->{status}, 200,
             'afterwards the dynamic app is admitted again');
}
dynamic_at_cap('dynamic app at -maxClassProcesses 1', 'at -maxClassProcesses 1');

my @crash = $h->crash_lines;
ok t_cmp(scalar(@crash), 0, 'no crash under prefork' . (@crash ? ": $crash[0]" : ''));

# ------------------------------------------- the burst under event (threads)
my $stopped = $h->stop;
ok t_cmp(defined $stopped ? 1 : 0, 1, 'httpd stops');
$h->set_mpm('event');
$h->write_conf(map { /^FastCgiConfig/
                     ? 'FastCgiConfig -maxClassProcesses 3 -maxProcesses 1 -processSlack 1 -minProcesses 0'
                       . ' -queue-timeout 2 -appConnTimeout 30'
                     : $_ } @conf);
$started = $h->start;
ok t_cmp($started, 1, 'httpd (event: 2 children of 16 threads) starts' . ($started ? '' : ": $h->{error}"));
ok t_cmp(app_up(), 1, 'the static app (6 processes) serves');
burst('event');
dynamic_at_cap('dynamic apps at -maxProcesses 1', 'all dynamic applications together are at -maxProcesses 1');
@crash = $h->crash_lines;
ok t_cmp(scalar(@crash), 0, 'no crash under event' . (@crash ? ": $crash[0]" : ''));
$h->stop;
