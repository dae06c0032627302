# FastCgiExternalServer with several addresses (issue 11): three real
# members (libfcgi responders: two on loopback TCP ports, one on a Unix
# socket) behind one application, on a throw-away httpd of its own.
#   1. round robin spreads requests evenly, -weight skews it, -keep-conn
#      keeps connections per member;
#   2. least-busy sends little to a member that is slow;
#   3. a member killed mid-load: no request that no member accepted fails,
#      the member is skipped (one log line) until it is back (one line);
#   4. nothing is replayed: a POST to a member that accepts it and dies is
#      a 502, and no other member sees it;
#   5. all members down: 503 naming the application;
#   6. health checks (connect): N failures down, M successes up, one line
#      each; GET_VALUES never answered (libfcgi) is not "down".
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use Time::HiRes qw(time sleep);
use FastCGITest;
use FastCGITest::PM;
use FastCGITest::Members;
use FastCGITest::Ports;

plan tests => 40, need_module 'fastcgi';

my $h = FastCGITest::PM->new('balance', port => FastCGITest::Ports::base() + 30);
my $dir = $h->dir;
my $m = FastCGITest::Members->new($dir);
my %addr = (
    a => '127.0.0.1:' . FastCGITest::Members::port(1),
    b => '127.0.0.1:' . FastCGITest::Members::port(2),
    c => "$dir/c.sock",
);
my $members = "-host $addr{a} -host $addr{b} -socket $addr{c} -balance round-robin";
my $htdocs = $h->htdocs;
mkdir "$htdocs/bal";
my $blackhole = FastCGITest::Members::port(3);   # a listener whose queue is full: connects time out

$h->write_conf(
    'LogLevel info',
    "FastCgiExternalServer $htdocs/bal/rr.fcgi $members",
    "FastCgiExternalServer $htdocs/bal/w.fcgi -host $addr{a} -host $addr{b} -weight 3",
    "FastCgiExternalServer $htdocs/bal/lb.fcgi $members -balance least-busy",
    "FastCgiExternalServer $htdocs/bal/down.fcgi $members",
    "FastCgiExternalServer $htdocs/bal/to.fcgi -host 127.0.0.1:$blackhole -host $addr{b} -appConnTimeout 1",
    "FastCgiExternalServer $htdocs/bal/busy.fcgi -host 127.0.0.1:$blackhole -host $addr{b} -health-check connect "
        . '-health-interval 1 -health-timeout 200 -health-fall 1',
    "FastCgiExternalServer $htdocs/bal/kc.fcgi -host $addr{a} -host $addr{b} -keep-conn -max-conns 4",
    "FastCgiExternalServer $htdocs/bal/hc.fcgi $members -health-check connect -health-interval 1 "
        . '-health-fall 2 -health-rise 2',
    "FastCgiExternalServer $htdocs/bal/gv.fcgi -host $addr{a} -host $addr{b} -health-check get-values "
        . '-health-interval 1 -health-timeout 100 -health-fall 1',
    "<Directory $htdocs/bal>",
    '    SetHandler fastcgi-script',
    '</Directory>',
    '<Location /fastcgi-status>',
    '    SetHandler fastcgi-status',
    '</Location>',
);

$m->start($_, $addr{$_}, procs => 4) for qw(a b c);
my $have_blackhole = FastCGITest::full_backlog_listener($blackhole);
my $started = $h->start;
ok t_cmp($started, 1, 'httpd with balanced FastCgiExternalServers starts' . ($started ? '' : ": $h->{error}"));

sub get { my ($path) = @_; return $h->http(path => $path) }
# the status page's members of one app: "address=state ..." in their order
sub member_states {
    my ($app) = @_;
    my $r = $h->http(path => '/fastcgi-status?auto', timeout => 5);
    my $a = FastCGITest::parse_status_auto($r->{body})->{$app} or return '';
    return join ' ', map { ($a->{"Member[$_]Address"} // '?') . '=' . ($a->{"Member[$_]State"} // '?') }
        grep { exists $a->{"Member[$_]Address"} } 0 .. 31;
}
sub member_of { FastCGITest::hdr($_[0], 'X-Member') // '-' }

sub count_members {
    my ($path, $n) = @_;
    my %c = (a => 0, b => 0, c => 0);
    my @bad;
    for (1 .. $n) {
        my $r = get($path);
        if ($r->{status} == 200) { $c{ member_of($r) }++ } else { push @bad, $r->{status} }
    }
    return (\%c, \@bad);
}

# ---------------------------------------------------------------- 1. spread
{
    my ($c, $bad) = count_members('/bal/rr.fcgi?pid', 30);
    ok t_cmp(scalar @$bad, 0, 'round robin: 30 requests, all 200');
    ok t_cmp("$c->{a} $c->{b} $c->{c}", '10 10 10', 'round robin: 10 each to a, b (TCP) and c (Unix socket)');
    ($c, $bad) = count_members('/bal/w.fcgi?pid', 40);
    ok t_cmp("$c->{a} $c->{b} " . scalar(@$bad), '10 30 0', '-weight 3 on b: 30 of 40 requests to b, 10 to a');

    # -keep-conn: connections are kept per member ("conn=<pid>:<n>" names
    # the connection an answer came over).
    my (%conns, %by);
    for (1 .. 20) {
        my $r = get('/bal/kc.fcgi?conn');
        $conns{$1} = 1 if $r->{body} =~ /conn=(\d+:\d+)/;
        $by{ member_of($r) }++;
    }
    ok t_cmp(join(' ', map { "$_=" . ($by{$_} // 0) } qw(a b)), 'a=10 b=10', '-keep-conn over two members: both serve');
    ok t_cmp(scalar(keys %conns) <= 8 ? 1 : 0, 1,
             '20 requests over ' . scalar(keys %conns) . ' connections: kept and reused per member');
}

# $clients processes, each sending requests to $path one after the other
# for $seconds (and calling nothing else); returns a list of
# [status, member, t_start, t_end] for every request.
sub load {
    my ($path, $clients, $seconds) = @_;
    my @kids;
    for my $k (1 .. $clients) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            close $rd;
            my $end = time + $seconds;
            my $i = 0;
            while (time < $end) {
                my $t0 = time;
                my $p = $path . ($path =~ /\?/ ? '&' : '?') . "pad=$k.$i";
                my $r = eval { $h->http(path => $p, timeout => 10) } || { status => 0 };
                printf $wr "%d %s %.3f %.3f\n", $r->{status}, member_of($r), $t0, time;
                $i++;
            }
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    return sub {
        my @res;
        for (@kids) {
            my ($pid, $rd) = @$_;
            while (<$rd>) { push @res, [split ' '] }
            close $rd;
            waitpid($pid, 0);
        }
        return @res;
    };
}
sub tally { my %c; $c{ $_->[1] }++ for grep { $_->[0] == 200 } @_; return \%c }
sub statuses { my %c; $c{ $_->[0] }++ for @_; return join ' ', map { "$_:$c{$_}" } sort keys %c }

# ---------------------------------------------------------------- 1b. connect timeout
SKIP: {
    skip 'cannot fill a listen queue here', 3 unless $have_blackhole;
    my $mark = $h->log_mark;
    my @r = map { FastCGITest::timed(host => '127.0.0.1', port => $h->port, path => "/bal/to.fcgi?pid&n=$_") } 1 .. 4;
    ok t_cmp(join(' ', map { "$_->{status}/" . member_of($_) } @r), '200/b 200/b 200/b 200/b',
             'a member whose connect times out (-appConnTimeout 1): every request served by the other');
    my @slow = grep { $_->{elapsed} > 0.9 } @r;
    ok t_cmp(scalar(@slow) == 1 && $slow[0]{elapsed} < 2.5 ? 1 : 0, 1,
             'one request waited the connect timeout, then failed over; the others went to b at once ('
             . join(' ', map { sprintf '%.2f', $_->{elapsed} } @r) . ' s)');
    ok t_cmp($h->log_since($mark), qr/to\.fcgi": member 127\.0\.0\.1:$blackhole is down \(connect\(\) timed out; 1 failed connect in a row\), skipped for 1\.0 s/,
             'the timed-out member is logged down once');
}

# ---------------------------------------------------------------- 2. least busy
{
    # a is slow (200 ms a request), b and c answer at once.
    $m->start('a', $addr{a}, procs => 4, delay_ms => 200);
    my @lb = load('/bal/lb.fcgi', 6, 3)->();
    my @rr = load('/bal/rr.fcgi', 6, 3)->();
    my ($lbc, $rrc) = (tally(@lb), tally(@rr));
    my $share = sub { my ($c) = @_; my $t = 0; $t += $_ for values %$c; $t ? ($c->{a} // 0) / $t : 1 };
    t_debug(sprintf "least-busy: %s (a %.1f%%); round robin: %s (a %.1f%%)",
            join(' ', map { "$_=" . ($lbc->{$_} // 0) } qw(a b c)), 100 * $share->($lbc),
            join(' ', map { "$_=" . ($rrc->{$_} // 0) } qw(a b c)), 100 * $share->($rrc));
    ok t_cmp(statuses(@lb, @rr), qr/^200:\d+$/, 'least-busy and round robin under load: every request 200');
    ok t_cmp(abs($share->($rrc) - 1 / 3) < 0.02 ? 1 : 0, 1,
             'round robin gives the slow member a its third whatever its latency');
    ok t_cmp($share->($lbc) < 0.05 ? 1 : 0, 1,
             'least-busy sends under 5% of the requests to the slow member a (6 clients, 3 s)');
    ok t_cmp(($lbc->{b} // 0) > 100 && ($lbc->{c} // 0) > 100 ? 1 : 0, 1, 'least-busy: b and c share the rest');
    $m->start('a', $addr{a}, procs => 4);
}

# ---------------------------------------------------------------- 3. a member killed mid-load
{
    my $mark = $h->log_mark;
    my $b_mark;
    my $done = load('/bal/rr.fcgi', 4, 4);
    sleep 1;
    my $killed_at = time;
    $m->kill('b');
    $b_mark = $m->mark('b');
    my @res = $done->();
    my @after = grep { $_->[2] > $killed_at + 0.05 } @res;
    my $log = $h->log_since($mark);
    ok t_cmp(scalar(grep { $_->[0] == 503 } @res), 0, 'member b killed mid-load: no 503 (each failed connect went to another member)');
    # Only a request b had accepted (in its listen queue or being answered)
    # when it was killed may fail: at most one per client.
    ok t_cmp(scalar(grep { $_->[0] != 200 } @res) <= 4 ? 1 : 0, 1,
             'at most one failed request per client, all at the kill: ' . statuses(@res));
    ok t_cmp(scalar(grep { $_->[0] != 200 } @after), 0, 'every request started after the kill: 200 (' . scalar(@after) . ')');
    ok t_cmp(scalar(grep { $_->[1] eq 'b' } @after), 0, 'no answer from b after the kill');
    my @down = $log =~ /(server "[^"]*rr\.fcgi": member \Q$addr{b}\E is down \([^;]*; 1 failed connect in a row\), skipped for 1\.0 s)/g;
    ok t_cmp(scalar @down, 1, 'one log line: the member, why and for how long it is skipped');
    t_debug($down[0] // $log);
    ok t_cmp(scalar(() = $log =~ /rr\.fcgi": member \Q$addr{b}\E is down/g) <= 4 ? 1 : 0, 1,
             'one more line at most per back-off step (1, 2 s in 3 s)');

    # b back: taken again once its back-off is over (at most 4 s here).
    my $mark2 = $h->log_mark;
    $m->start('b', $addr{b}, procs => 4);
    my $back_at = time;
    my ($seen_b, $t_b) = (0, 0);
    while (time < $back_at + 10) {
        my $r = get('/bal/rr.fcgi?pid');
        if (member_of($r) eq 'b') { $seen_b = 1; $t_b = time - $back_at; last }
        sleep 0.05;
    }
    ok t_cmp($seen_b, 1, sprintf('b serves again %.1f s after it is back', $t_b));
    ok t_cmp($h->log_since($mark2), qr/rr\.fcgi": member \Q$addr{b}\E is up again \(connected after \d+ failed connects?\)/,
             'one log line: b is up again');
}

# ---------------------------------------------------------------- 4. nothing replayed
{
    my %mk = map { ($_ => $m->mark($_)) } qw(a b c);
    my @r = map { $h->http(path => "/bal/rr.fcgi?exit=1&tag=post$_", method => 'POST', body => "x" x 1000) } 1 .. 3;
    ok t_cmp(join(' ', map { $_->{status} } @r), '502 502 502',
             'a POST to a member that accepts it and dies: 502 (three, one per member)');
    my %seen;
    for my $n (qw(a b c)) { $seen{$_}++ for grep { /tag=post/ } $m->seen($n, $mk{$n}) }
    ok t_cmp(join(' ', map { $seen{"/bal/rr.fcgi?exit=1&tag=post$_"} // 0 } 1 .. 3), '1 1 1',
             'each POST was seen by exactly one member: never sent to another');
}

# ---------------------------------------------------------------- 5. all members down
{
    my $mark = $h->log_mark;
    $m->kill($_) for qw(a b c);
    my $t0 = time;
    my $r1 = get('/bal/down.fcgi?pid');
    my $r2 = get('/bal/down.fcgi?pid');
    my $took = time - $t0;
    ok t_cmp("$r1->{status} $r2->{status}", '503 503', 'all members down: 503');
    ok t_cmp($took < 1 ? 1 : 0, 1, sprintf('at once (%.3f s for both)', $took));
    my $log = $h->log_since($mark);
    ok t_cmp($log, qr/failed to connect to server "[^"]*down\.fcgi" at \Q$addr{a}, $addr{b}, unix:$addr{c}\E: no member accepted the connection \(all 3 tried\)/,
             'the first: each member tried, one line naming the app and its members');
    ok t_cmp($log, qr/failed to connect to server "[^"]*down\.fcgi" at [^:]+:\d+, .*: all 3 members are down, next try in 1 s/,
             'the second: none tried, "all 3 members are down" and when the next try is');
    $m->start($_, $addr{$_}, procs => 4) for qw(a b c);
}

# ---------------------------------------------------------------- 6. health checks
{
    # hc.fcgi: -health-check connect -health-interval 1 -health-fall 2 -health-rise 2
    my $settle = $h->log_mark;
    sleep 2.5;   # every member probed up again after section 5
    my $mark = $h->log_mark;
    my $t_kill = time;
    $m->kill('c');
    my $down_re = qr/hc\.fcgi": health check: member unix:\Q$addr{c}\E is down \(2 failed checks in a row, last: connect: Connection refused\); requests go to the other members/;
    $h->wait_log($mark, $down_re, 6);
    my ($down) = $h->log_times($mark, $down_re);
    ok t_cmp(defined $down ? 1 : 0, 1, 'health check: member c down after 2 failed checks, one line naming app and member');
    my $t_detect = $down ? $down->[0] - $t_kill : 99;
    ok t_cmp($t_detect <= 3.2 ? 1 : 0, 1, sprintf('detected %.2f s after the kill (interval 1 s x fall 2)', $t_detect));
    my $states = member_states("$htdocs/bal/hc.fcgi");
    ok t_cmp($states, qr/^\S+=up \S+=up unix:\Q$addr{c}\E=down$/, "the status page shows c down, a and b up ($states)");
    my ($c, $bad) = count_members('/bal/hc.fcgi?pid', 30);
    ok t_cmp("$c->{a} $c->{b} $c->{c} " . scalar(@$bad), '15 15 0 0', 'while c is down: 30 requests, all 200, none tried on c');
    ok t_cmp($h->log_since($mark), qr/^(?!.*hc\.fcgi": member unix:\Q$addr{c}\E is down \().*\z/s,
             'no request had to fail over from c: the verdict kept them off it');

    my $mark2 = $h->log_mark;
    my $t_start = time;
    $m->start('c', $addr{c}, procs => 4);
    my $up_re = qr/hc\.fcgi": health check: member unix:\Q$addr{c}\E is up again \(2 good checks in a row: connected\)/;
    $h->wait_log($mark2, $up_re, 6);
    my ($up) = $h->log_times($mark2, $up_re);
    ok t_cmp(defined $up ? 1 : 0, 1, 'health check: c up again after 2 good checks, one line');
    my $t_back = $up ? $up->[0] - $t_start : 99;
    ok t_cmp($t_back <= 3.2 ? 1 : 0, 1, sprintf('back %.2f s after it listens again (interval 1 s x rise 2)', $t_back));
    $states = member_states("$htdocs/bal/hc.fcgi");
    ok t_cmp($states, qr/^\S+=up \S+=up unix:\Q$addr{c}\E=up$/, "the status page shows c up again ($states)");
    ($c, $bad) = count_members('/bal/hc.fcgi?pid', 30);
    ok t_cmp("$c->{a} $c->{b} $c->{c} " . scalar(@$bad), '10 10 10 0', 'c serves its share again');
    t_debug(sprintf 'health check: detect %.2f s, back %.2f s', $t_detect, $t_back);

    # gv.fcgi: -health-check get-values, libfcgi never answers: silence is
    # not "down", even with -health-fall 1.
    my $log = $h->log_since($settle);
    ok t_cmp($log, qr/^(?!.*gv\.fcgi": health check: member \S+ is down).*\z/s,
             'get-values to libfcgi members that never answer: never down (-health-fall 1)');
    ($c, $bad) = count_members('/bal/gv.fcgi?pid', 10);
    ok t_cmp("$c->{a} $c->{b} " . scalar(@$bad), '5 5 0', 'and both serve');
}

# busy.fcgi: a member whose listen queue is full (connects time out) is
# busy, not dead: never down by the probes, even with -health-fall 1.
SKIP: {
    skip 'cannot fill a listen queue here', 1 unless $have_blackhole;
    ok t_cmp($h->log_since(0), qr/^(?!.*busy\.fcgi": health check: member 127\.0\.0\.1:$blackhole is down).*\z/s,
             'health check: a member whose connects time out (full listen queue) is never taken down');
}

my @crash = $h->crash_lines(0);
ok t_cmp(scalar @crash, 0, 'no crash: ' . join(' | ', @crash));
$h->stop;
$m->stop_all;
