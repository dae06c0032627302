# httpd's parent while it restarts a process manager that keeps dying, in an
# httpd of its own (issue 14, defect 5). The parent's main loop wakes about
# once a second (ap_wait_or_timeout), reaps, and runs the other-child
# callback that restarts the PM. That callback used to sleep a second
# before forking a PM that had lived less than 5 s, so each death cost the
# MPM loop a second of doing nothing (no children spawned or reaped) and the
# successor came 1-2 s after the death. Now the pause is the new PM's own:
# the parent forks at once, and a PM that dies at once is still restarted at
# most about once a second.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use Time::HiRes qw(time sleep);

plan tests => 11, need_module 'fastcgi';

my $h = FastCGITest::PM->new('parent');
my $resp = $h->install(app_bin() . '/responder', 'st/resp.fcgi');
$h->put('index.html', "hello\n");
$h->write_conf("FastCgiServer $resp -init-start-delay 0");

my $started = $h->start;
ok t_cmp($started, 1, 'httpd starts' . ($started ? '' : ": $h->{error}"));
my $mark = $h->log_mark;

# Kill each PM as soon as it is there (it dies "at once"), six times; the
# time from each kill to the successor's appearance is how long the parent
# took to notice and fork: one turn of its loop (~1 s) when it does not
# sleep, two (~2 s) when it sleeps in the callback.
my @lat;
my $pm = $h->pm_pid;
my $killed = 0;
for my $i (1 .. 6) {
    last unless $pm;
    kill 'KILL', $pm;
    ++$killed;
    my $t0 = time;
    my $next;
    while (time < $t0 + 6) {
        my $p = $h->pm_pid;
        if ($p && $p != $pm) { $next = $p; last }
        sleep 0.01;
    }
    push @lat, time - $t0;
    $pm = $next;
}
my @sorted = sort { $a <=> $b } @lat;
my $median = @sorted ? $sorted[ int(@sorted / 2) ] : 99;
t_debug(sprintf 'kill -> successor: %s s', join ' ', map { sprintf '%.2f', $_ } @lat);
ok t_cmp(scalar(@lat), 6, 'every killed PM got a successor');
ok t_cmp($median < 1.5 ? 1 : 0, 1, sprintf('successor within one turn of the parent\'s loop (median %.2f s)', $median));
ok t_cmp((grep { $_ > 1.7 } @lat) ? 0 : 1, 1, sprintf('no death cost the parent a stall (max %.2f s)', $sorted[-1] // 99));

my $log = $h->log_since($mark);
my $deaths = () = $log =~ /FastCGI: process manager \(pid \d+\) died, restarting it/g;
ok t_cmp($deaths, $killed, 'one "died, restarting it" line per death');

# The httpd children served meanwhile, and still do.
my $r = $h->http(path => '/index.html');
ok t_cmp($r->{status}, 200, 'httpd serves a file after the storm');

# The last successor, left alone, comes up after its own pause (a PM that
# died young is not restarted in a tight loop) and runs its apps.
my $txt = $h->wait_log($mark, qr/process manager initialized \(pid $pm\)/, 5);
ok t_cmp($txt =~ /process manager initialized \(pid $pm\)/ ? 1 : 0, 1, 'the last PM initializes');
my @died = $h->log_times($mark, qr/died, restarting it/);
my @init = $h->log_times($mark, qr/process manager initialized \(pid $pm\)/);
my $pause = (@died && @init && defined $died[-1][0] && defined $init[0][0]) ? $init[0][0] - $died[-1][0] : -1;
ok t_cmp($pause >= 0.9 ? 1 : 0, 1, sprintf('a young PM\'s successor waits about a second before it runs (%.2f s)', $pause));
$r = $h->http(path => '/st/resp.fcgi', timeout => 10);
ok t_cmp($r->{status}, 200, 'its static app answers');

# A stop while a successor is still in its pause ends it at once (httpd's
# SIGTERM, not the SIGKILL three seconds later).
kill 'KILL', $pm;
my $t0 = time;
my $paused;
while (time < $t0 + 5) {
    my $p = $h->pm_pid;
    if ($p && $p != $pm) { $paused = $p; last }
    sleep 0.01;
}
my $took = $h->stop;
ok t_cmp((defined $took && $took < 2.5) ? 1 : 0, 1,
    sprintf('stop with a PM in its pause takes %s s', defined $took ? sprintf('%.2f', $took) : 'too long'));
ok t_cmp(($paused && !FastCGITest::PM::exists_pid($paused)) ? 1 : 0, 1, 'the paused PM is gone');
