# Process manager lifecycle, in an httpd of its own: a PM killed with
# SIGKILL is restarted by httpd and its instances die with it (GETs waiting
# in their backlogs are sent again, a POST is not); graceful and
# restart replace the PM and every instance; stop leaves no process and no
# socket file, and an instance that ignores SIGTERM is killed after 2 s.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use Time::HiRes qw(time sleep);

plan tests => 55, need_module 'fastcgi';

my $h = FastCGITest::PM->new('lifecycle');
my $bin = app_bin();
my $htdocs = $h->htdocs;
my $ipc = $h->ipc;
my $resp = $h->install("$bin/responder", 'st/resp.fcgi');
my $dyn  = $h->install("$bin/responder", 'dyn/app.fcg');
my $stubborn = $h->put('stubborn/app.fcgi',
    "#!$^X\n# ignores SIGTERM: only SIGKILL ends it\n\$SIG{TERM} = 'IGNORE';\nsleep 1 while 1;\n", 0755);
my $resp_sock = FastCGITest::PM::md5_name($resp);
my $dyn_sock = 'dynamic/' . FastCGITest::PM::md5_name($dyn, '-', '-');

my @base = (
    'FastCgiConfig -startDelay 1',
    "FastCgiServer $resp -processes 2 -init-start-delay 0",
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
);
$h->write_conf(@base);

my %all;    # every PM and instance pid seen: none may survive the stop
sub pid_of { my ($r) = @_; return $r->{body} =~ /pid=(\d+)/ ? $1 : 0 }
sub statics {
    my $i = $h->wait_instances($resp, 2, 5);
    my @p = sort { $a <=> $b } grep { $i->{$_}{state} ne 'Z' } keys %$i;
    $all{$_} = 1 for @p;
    return @p;
}
sub dynamic_pid {
    my $r = $h->http(path => '/dyn/app.fcg?pid', timeout => 20);
    my $p = pid_of($r);
    $all{$p} = 1 if $p;
    return ($p, $r);
}
sub all_gone {
    my ($timeout, @pids) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my @left = grep { FastCGITest::PM::exists_pid($_) } @pids;
        return @left if !@left || time > $deadline;
        sleep 0.05;
    }
}
# waits until $pid ignores SIGTERM (perl has run the script's first line)
sub ignores_term {
    my ($pid) = @_;
    my $deadline = time + 5;
    while (time < $deadline) {
        my $ign = FastCGITest::PM::status_field($pid, 'SigIgn') // '0';
        return 1 if hex($ign) & (1 << 14);
        sleep 0.05;
    }
    return 0;
}
sub disjoint { my ($a, $b) = @_; my %x = map { $_ => 1 } @$a; return (grep { $x{$_} } @$b) ? 0 : 1 }

my $started = $h->start;
ok t_cmp($started, 1, 'httpd starts' . ($started ? '' : ": $h->{error}"));
my $parent = $h->pid // 0;
my $pm0 = $h->pm_pid // 0;
$all{$pm0} = 1;
my @s0 = statics();
ok t_cmp(scalar(@s0), 2, "two static instances (@s0)");
my ($d0) = dynamic_pid();
ok t_cmp($d0 ? 1 : 0, 1, "dynamic instance started ($d0)");

# ------------------------------------------------------- kill -9 the PM
my ($pm1, @s1, $d1);
{
    my $m = $h->log_mark;
    kill 'KILL', $pm0;
    my $log = $h->wait_log($m, qr/process manager initialized \(pid \d+\)/, 5);
    ok t_cmp($log, qr/\[fastcgi:error\].*FastCGI: process manager \(pid $pm0\) died, restarting it/,
             'log: FastCGI: process manager (pid N) died, restarting it');
    ($pm1) = $log =~ /process manager initialized \(pid (\d+)\)/;
    $pm1 //= 0;
    $all{$pm1} = 1;
    ok t_cmp(($pm1 && $pm1 != $pm0 && ($h->pm_pid // 0) == $pm1) ? 1 : 0, 1, "a new PM runs under httpd ($pm0 -> $pm1)");
    ok t_cmp($h->pid // 0, $parent, 'the httpd parent is the same process');
    my @left = all_gone(3, @s0, $d0);
    ok t_cmp(scalar(@left), 0, "the old PM's instances died with it (@left left)");
    @s1 = statics();
    ok t_cmp(scalar(@s1), 2, "two new static instances under the new PM (@s1)");
    ok t_cmp(disjoint(\@s0, \@s1), 1, 'with new pids');
    my $r = $h->http(path => '/st/resp.fcgi?pid');
    my $p = pid_of($r);
    ok t_cmp(($r->{status} == 200 && grep { $_ == $p } @s1) ? 1 : 0, 1, "static app answers from a new instance ($p)");
    my $t = time;
    ($d1, $r) = dynamic_pid();
    ok t_cmp($r->{status}, 200, sprintf('dynamic app answers again (%.2f s; its old socket file was left behind)', time - $t));
    ok t_cmp(($d1 && $d1 != $d0) ? 1 : 0, 1, "from a new instance ($d0 -> $d1)");
    ok t_cmp(scalar($h->zombies), 0, 'no zombie among the new PM children');
    my $died = () = $h->log_since($m) =~ /died, restarting it/g;
    ok t_cmp($died, 1, 'the PM was restarted once');
}

# ------------- kill -9 the PM while requests wait behind a busy dynamic
# instance: the one it holds it finishes (the libfcgi test app ends after
# the request on the SIGTERM of its PM's death) or loses, the GETs waiting in its
# listen backlog, which it never took, are sent once more and answered by a
# new instance; a POST waiting there is never sent again (502).
{
    my ($dp) = dynamic_pid();
    my $slow = $h->background(path => '/dyn/app.fcg?sleep=3000', timeout => 20);
    sleep 0.3;
    my @queued = map { $h->background(path => '/dyn/app.fcg?pid', timeout => 20) } 1 .. 3;
    my $post = $h->background(path => '/dyn/app.fcg?pid', method => 'POST', body => 'x' x 100, timeout => 20);
    sleep 0.4;    # all in the backlog, well before -startDelay 1 adds an instance
    my $m = $h->log_mark;
    my $pm = $h->pm_pid // 0;
    kill 'KILL', $pm;
    my @r = map { $h->collect($_) } @queued;
    my ($s, $p) = ($h->collect($slow), $h->collect($post));
    # (answered when the instance finishes it within the new PM's grace
    # for leftovers, cut when not: it is the one request the kill may cost)
    ok t_cmp(($s->{status} == 200 || $s->{status} == 502) ? 1 : 0, 1,
             "PM killed under load: the request its dynamic instance held is answered or cut ($s->{status})");
    my @pids = map { pid_of($_) } @r;
    ok t_cmp(join(' ', map { $_->{status} } @r), '200 200 200',
             sprintf('the 3 GETs waiting in its backlog are answered (after %.1f s at most)', (sort { $b <=> $a } map { $_->{elapsed} } @r)[0]));
    ok t_cmp((grep { $_ && $_ != $dp } @pids) == 3 ? 1 : 0, 1, "by a new instance ($dp -> @pids)");
    ok t_cmp($p->{status}, 502, 'the POST waiting there is not sent again: 502');
    my $log = $h->log_since($m);
    my $again = () = $log =~ /reset the connection before reading the request \(its process ended\?\); sending it once more/g;
    ok t_cmp($again, 3, 'log: one "sending it once more" warning per GET sent again');
    all_gone(3, $dp);
    $pm1 = $h->pm_pid // 0;
    $all{$pm1} = 1;
    @s1 = statics();
    ($d1) = dynamic_pid();
}

# -------------------------------------------------------------- graceful
my ($pm2, @s2, $d2);
{
    my $m = $h->log_mark;
    $pm2 = $h->graceful // 0;
    $all{$pm2} = 1;
    ok t_cmp(($pm2 && $pm2 != $pm1) ? 1 : 0, 1, "graceful: a new PM ($pm1 -> $pm2)");
    ok t_cmp($h->pid // 0, $parent, 'graceful: same httpd parent');
    my @left = all_gone(5, $pm1, @s1, $d1);
    ok t_cmp(scalar(@left), 0, "graceful: the old PM and all its instances are gone (@left left)");
    ok t_cmp($h->log_since($m), qr/FastCGI: process manager \(pid $pm1\) exiting/, 'log: process manager (pid N) exiting');
    @s2 = statics();
    ok t_cmp(scalar(@s2), 2, "graceful: two new static instances (@s2)");
    ok t_cmp(disjoint([@s0, @s1], \@s2), 1, 'graceful: with new pids');
    ok t_cmp(join(' ', sort $h->ipc_files), join(' ', sort $resp_sock, 'pm.sock'),
             'graceful: the dynamic socket was removed; static and PM sockets are there');
    my $r;
    ($d2, $r) = dynamic_pid();
    ok t_cmp(($r->{status} == 200 && $d2 && $d2 != $d1) ? 1 : 0, 1, "graceful: dynamic app starts again ($d1 -> $d2)");
    $r = $h->http(path => '/st/resp.fcgi?pid');
    ok t_cmp(($r->{status} == 200 && grep { $_ == pid_of($r) } @s2) ? 1 : 0, 1, 'graceful: static app answers');
    ok t_cmp(scalar(grep { /\[(?:error|crit|alert|emerg)\]|\[\w+:(?:error|crit|alert|emerg)\]/ } split /\n/, $h->log_since($m)), 0,
             'graceful: no error lines');
}

# ------------------------------------------- restart with a new configuration
my ($pm3, @s3, $st);
{
    $h->write_conf(@base, "FastCgiServer $stubborn");
    my $m = $h->log_mark;
    $pm3 = $h->restart // 0;
    $all{$pm3} = 1;
    ok t_cmp(($pm3 && $pm3 != $pm2) ? 1 : 0, 1, "restart: a new PM ($pm2 -> $pm3)");
    ok t_cmp($h->pid // 0, $parent, 'restart: same httpd parent');
    my @left = all_gone(5, $pm2, @s2, $d2);
    ok t_cmp(scalar(@left), 0, "restart: the old PM and all its instances are gone (@left left)");
    @s3 = statics();
    ok t_cmp((@s3 == 2 && disjoint([@s0, @s1, @s2], \@s3)) ? 1 : 0, 1, "restart: two new static instances (@s3)");
    my $i = $h->wait_instances($stubborn, 1, 5);
    ($st) = keys %$i;
    $st //= 0;
    $all{$st} = 1;
    ok t_cmp(($st && ignores_term($st)) ? 1 : 0, 1, "restart: the app added to the configuration runs and ignores SIGTERM ($st)");
    my ($d3, $r) = dynamic_pid();
    ok t_cmp($r->{status}, 200, 'restart: dynamic app answers');
}

$h->leak_check('after the restarts', 30, sub {
    my $i = shift;
    $h->http(path => $i % 2 ? '/st/resp.fcgi?pid' : '/dyn/app.fcg?pid', timeout => 20);
});

# ------------------------------------------------------------------ stop
{
    my $m = $h->log_mark;
    my @files_before = $h->ipc_files;
    ok t_cmp(scalar(grep { $_ eq $dyn_sock } @files_before), 1, 'before stop: the dynamic socket exists');
    my $t0 = time;
    my $took = $h->stop;
    ok t_cmp(defined $took ? 1 : 0, 1, sprintf('apache2 -k stop: httpd is gone after %.2f s', $took // -1));
    ok t_cmp(($took // 0) >= 1.8 && ($took // 99) < 8 ? 1 : 0, 1,
             sprintf('the stop waited for the instance that ignores SIGTERM (%.2f s, about 2 s)', $took // -1));
    my $log = $h->wait_log($m, qr/process manager \(pid $pm3\) exiting/, 3);
    ok t_cmp($log, qr/FastCGI: process manager \(pid $pm3\) exiting/, 'log: process manager (pid N) exiting');
    ok t_cmp(FastCGITest::PM::exists_pid($st), 0, 'the instance that ignored SIGTERM was killed');
    my @left = all_gone(2, sort keys %all);
    ok t_cmp(scalar(@left), 0, 'no PM and no instance of any generation is left (' . scalar(keys %all) . " pids checked; @left)");
    my $in_dir = $h->procs_in_dir;
    ok t_cmp(scalar(keys %$in_dir), 0, 'no process runs in the instance directory: ' . join('; ', values %$in_dir));
    ok t_cmp(join(' ', $h->ipc_files), '', 'no socket file left in FastCgiIpcDir or dynamic/');
    ok t_cmp(-e "$ipc/pm.instances" ? 1 : 0, 0, "the PM's record of its instances is removed at stop");
    ok t_cmp(-d "$ipc/dynamic" ? 1 : 0, 1, 'the directories stay');
    ok t_cmp(scalar(grep { /terminated/ } split /\n/, $log), 0, 'exits of instances stopped at shutdown are not logged');
}

# ------------------------ a PM crash with an instance that ignores SIGTERM
# (the same configuration, started again): the instance must not outlive
# its PM, or it is left behind, unknown to everybody, for good.
{
    my $ok = $h->start;
    ok t_cmp($ok, 1, 'started again' . ($ok ? '' : ": $h->{error}"));
    my $pm = $h->pm_pid // 0;
    my $i = $h->wait_instances($stubborn, 1, 5);
    my ($sp) = keys %$i;
    $sp //= 0;
    ignores_term($sp);
    my $m = $h->log_mark;
    kill 'KILL', $pm;
    my $log = $h->wait_log($m, qr/process manager initialized \(pid \d+\)/, 5);
    ok t_cmp($log, qr/process manager \(pid $pm\) died, restarting it/, 'PM killed again: restarted');
    my @left = all_gone(4, $sp);
    my %t = FastCGITest::PM::proc_table();
    ok t_cmp(scalar(@left), 0, "the instance that ignores SIGTERM ($sp) died with its PM"
             . (@left ? " (still running, ppid " . (($t{$sp} || {})->{ppid} // '?') . ')' : ''));
    my $took = $h->stop;
    ok t_cmp(defined $took ? 1 : 0, 1, 'stopped');
    my $in_dir = $h->procs_in_dir;
    ok t_cmp(scalar(keys %$in_dir), 0, 'no process left in the instance directory: ' . join('; ', values %$in_dir));
}

{
    my @crash = $h->crash_lines(0);
    ok t_cmp(scalar(@crash), 0, "no crash lines (@crash)");
    # (the incomplete headers: the POST left in the backlog of the PM kill)
    my @bad = $h->unexpected_errors(0, qr/process manager \(pid \d+\) died, restarting it|incomplete headers \(0 bytes\) received from server "[^"]*dyn\/app\.fcg"/);
    ok t_cmp(scalar(@bad), 0, "no other error lines:\n" . join("\n", @bad));
}
