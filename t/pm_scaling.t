# Process manager, dynamic scaling: requests that wait -startDelay make the
# PM start more instances of a single-threaded dynamic app, never more than
# -maxClassProcesses; once idle, the kill policy (every -killInterval, load
# under -multiThreshold / -singleThreshold, -minProcesses 0) signals one
# instance per pass, the youngest first, each only after it ran a whole
# -killInterval; afterwards a request still gets an instance started.
#
# Timeline (startDelay 1, init-start-delay 1, 6 requests of 1.5 s): the 1st
# instance starts at once, the 2nd after ~1 s, the 3rd after ~2 s; the last
# request ends at ~4.5 s, before the youngest instance is 4 s old, so no
# request is ever cut by a kill.  Then, after a graceful restart with
# -maxProcesses 2, two apps together never get more than 2 instances.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use Time::HiRes qw(time sleep);

plan tests => 31, need_module 'fastcgi';

my $h = FastCGITest::PM->new('scaling');
my $bin = app_bin();
my $htdocs = $h->htdocs;
my $app = $h->install("$bin/responder", 'dyn/slow.fcg');
my $kill_interval = 4;

$h->write_conf(
    "FastCgiConfig -startDelay 1 -killInterval $kill_interval -updateInterval 1 -maxClassProcesses 3"
        . ' -minProcesses 0 -multiThreshold 90 -singleThreshold 90 -restart-delay 1',
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
);

my $started = $h->start;
ok t_cmp($started, 1, 'httpd for the scaling test starts' . ($started ? '' : ": $h->{error}"));
my $pm = $h->pm_pid // 0;

sub pid_of { my ($r) = @_; return $r->{body} =~ /pid=(\d+)/ ? $1 : 0 }
sub live   { my $i = $h->instances($app); return grep { $i->{$_}{state} ne 'Z' } keys %$i }

# ------------------------------------------------------------------ grow
my $m0 = $h->log_mark;
my ($max, %ever) = (0);
my $sample = sub {
    my @l = live();
    $max = @l if @l > $max;
    $ever{$_} = 1 for @l;
};
my $t0 = time;
my @res = $h->parallel([map { { path => "/dyn/slow.fcg?sleep=1500&pid&pad=$_", timeout => 30 } } 1 .. 6], $sample);
my $wave = time - $t0;
$sample->();
my @served = map { pid_of($_) } @res;
my %served = map { $_ => 1 } grep { $_ } @served;
ok t_cmp(join(' ', map { $_->{status} } @res), '200 200 200 200 200 200', sprintf('6 parallel 1.5 s requests: all 200 (%.1f s)', $wave));
ok t_cmp(scalar(keys %served) >= 2 ? 1 : 0, 1, 'the app grew beyond one instance: served by ' . join(' ', sort keys %served));
ok t_cmp(($max >= 2 && $max <= 3) ? 1 : 0, 1, "at most -maxClassProcesses 3 instances at any time (max seen $max)");
ok t_cmp(scalar(keys %ever) <= 3 ? 1 : 0, 1, 'no more than 3 different instances ever: ' . join(' ', sort keys %ever));

my @starts = $h->log_times($m0, qr/\(dynamic\) server "\Q$app\E" (?:started|restarted) \(pid \d+\)/);
my @start_pids = map { $_->[1] =~ /\(pid (\d+)\)/ ? $1 : () } @starts;
ok t_cmp(scalar(@starts), $max, 'one "(dynamic) server ... started" line per instance: ' . join(' ', @start_pids));
{
    my @gaps = map { defined $starts[$_][0] && defined $starts[$_ - 1][0] ? $starts[$_][0] - $starts[$_ - 1][0] : -1 } 1 .. $#starts;
    ok t_cmp((grep { $_ < 0.8 } @gaps) ? 0 : 1, 1,
             'instances start at least -init-start-delay (1 s) apart: ' . join(' ', map { sprintf '%.2f', $_ } @gaps));
}
if ($max == 3) {
    ok t_cmp($h->log_since($m0),
             qr/FastCGI: \(dynamic\) server "\Q$app\E": scheduled the start of the last \(dynamic\) process: reached dynamicMaxClassProcs \(3\)/,
             'log: scheduled the start of the last (dynamic) process: reached dynamicMaxClassProcs (3)');
} else {
    skip "only $max instances were needed", 1;
}
ok t_cmp($h->log_since($m0) =~ /termination signaled/ ? 1 : 0, 0, 'nothing was killed while the requests ran');
ok t_cmp(scalar(grep { $_->{body} =~ /^pid=\d+\n$/ } @res), 6, 'every answer is complete');

# ---------------------------------------------------------------- shrink
my @order = reverse @start_pids;     # youngest first
my $ms = $h->log_mark;
my $deadline = time + ($kill_interval + 1) * (scalar(@order) + 1) + 2;
while (time < $deadline) {
    my $n = () = $h->log_since($ms) =~ /termination signaled/g;
    last if $n >= @order && !live();
    sleep 0.2;
}
my @kills = $h->log_times($ms, qr/FastCGI: \(dynamic\) server "\Q$app\E" \(pid \d+\) termination signaled/);
my @killed = map { $_->[1] =~ /\(pid (\d+)\)/ ? $1 : () } @kills;
ok t_cmp(scalar(@kills), scalar(@order), 'idle: every instance gets "(dynamic) server ... (pid N) termination signaled"');
ok t_cmp("@killed", "@order", 'the youngest instance is killed first');
ok t_cmp(scalar(live()), 0, 'no instance left (-minProcesses 0, -singleThreshold 90)');
{
    my @gaps = map { defined $kills[$_][0] && defined $kills[$_ - 1][0] ? $kills[$_][0] - $kills[$_ - 1][0] : -1 } 1 .. $#kills;
    ok t_cmp((grep { $_ < $kill_interval - 0.5 } @gaps) ? 0 : 1, 1,
             "one kill per -killInterval ($kill_interval s) pass: gaps " . join(' ', map { sprintf '%.2f', $_ } @gaps));
    my %start_t = map { ($starts[$_][1] =~ /\(pid (\d+)\)/)[0] => $starts[$_][0] } 0 .. $#starts;
    my @young = grep { defined $start_t{ $killed[$_] } && defined $kills[$_][0]
                       && $kills[$_][0] - $start_t{ $killed[$_] } < $kill_interval - 0.1 } 0 .. $#killed;
    ok t_cmp(scalar(@young), 0, 'no instance is killed before it ran a whole -killInterval');
}
{
    my $log = $h->log_since($ms);
    my @exit = map { ($log =~ /\(dynamic\) server "\Q$app\E" \(pid $_\) terminated/) ? 1 : 0 } @order;
    ok t_cmp(join('', @exit), '1' x @order, 'each killed instance was reaped (terminated line)');
    ok t_cmp($log =~ /\(dynamic\) server "\Q$app\E" (?:started|restarted)/ ? 1 : 0, 0,
             'instances the PM killed are not restarted');
    ok t_cmp(scalar(grep { FastCGITest::PM::exists_pid($_) } @order), 0, 'their processes are gone');
    ok t_cmp(scalar($h->zombies), 0, 'no zombie among the PM children');
    ok t_cmp(-S "$h->{ipc}/dynamic/" . FastCGITest::PM::md5_name($app, '-', '-') ? 1 : 0, 1,
             'the socket stays (the PM keeps listening)');
}

# --------------------------------------------- after all of them were killed
{
    my $m = $h->log_mark;
    my $t = time;
    my $r = $h->http(path => '/dyn/slow.fcg?pid', timeout => 30);
    my $took = time - $t;
    my $p = pid_of($r);
    ok t_cmp($r->{status}, 200, sprintf('a request after the kills still gets an answer (%.2f s)', $took));
    ok t_cmp(($p && !grep { $_ == $p } @order) ? 1 : 0, 1, "from a new instance ($p)");
    # the PM logs the start after the exec: the answer may be quicker
    ok t_cmp($h->wait_log($m, qr/\(dynamic\) server "\Q$app\E" (?:started|restarted) \(pid $p\)/, 3),
             qr/\(dynamic\) server "\Q$app\E" (?:started|restarted) \(pid $p\)/, 'log: ... (re)started (pid N)');
}

# ------------------------------- -maxProcesses, after a graceful restart
# Two apps, two 1.5 s requests each, -maxProcesses 2: each app gets one
# instance; the request that waits is refused a third instance and is
# served when the first one is done.
{
    my $a = $h->install("$bin/responder", 'dyn/a.fcg');
    my $b = $h->install("$bin/responder", 'dyn/b.fcg');
    $h->write_conf(
        'FastCgiConfig -startDelay 1 -maxProcesses 2 -processSlack 1 -maxClassProcesses 3'
            . ' -killInterval 100 -updateInterval 100',
        "<Directory $htdocs/dyn>",
        '    Options +ExecCGI',
        '    AddHandler fastcgi-script .fcg',
        '</Directory>',
    );
    my $new_pm = $h->graceful;
    ok t_cmp(($new_pm && $new_pm != $pm) ? 1 : 0, 1, 'graceful restart with -maxProcesses 2: new PM');
    my $m = $h->log_mark;
    my $most = 0;
    my @r = $h->parallel([map { { path => "/dyn/$_.fcg?sleep=1500&pid", timeout => 30 } } qw(a a b b)], sub {
        my $i = $h->instances;
        my $n = grep { $i->{$_}{state} ne 'Z' } keys %$i;
        $most = $n if $n > $most;
    });
    ok t_cmp(join(' ', map { $_->{status} } @r), '200 200 200 200', '2 + 2 parallel requests to two apps: all 200');
    ok t_cmp($most, 2, 'never more than -maxProcesses 2 dynamic instances in all');
    my %pa = map { pid_of($_) => 1 } @r[0, 1];
    my %pb = map { pid_of($_) => 1 } @r[2, 3];
    ok t_cmp(scalar(keys %pa) . ' ' . scalar(keys %pb), '1 1', 'each app served by one instance');
    ok t_cmp($h->log_since($m),
             qr/FastCGI: \(dynamic\) server "\Q$htdocs\E\/dyn\/[ab]\.fcg": can't schedule the start of another \(dynamic\) process: exceeded dynamicMaxProcs \(2\)/,
             "log: can't schedule the start of another (dynamic) process: exceeded dynamicMaxProcs (2)");
}

$h->leak_check('scaling', 20, sub {
    my $i = shift;
    $h->http(path => '/dyn/' . ($i % 2 ? 'a' : 'b') . '.fcg?pid', timeout => 20);
});

{
    my @bad = $h->unexpected_errors(0);
    ok t_cmp(scalar(@bad), 0, "no error lines:\n" . join("\n", @bad));
}
