# Rolling reload of a static application (issue 12 item 3), in an httpd of
# its own: with -autoUpdate, touching the app's file under load replaces its
# instances while every request is answered 200 with its full body, at no
# moment without an instance, the new ones starting one at a time, each old
# one ended only once the new ones are up and it holds nothing; SIGUSR2 to
# the PM (pid in FastCgiIpcDir/pm.pid) does the same for every static app
# without touching a file; a -port app is replaced one instance at a time;
# a new version that does not start is never swapped in; a graceful restart
# during a reload drains both generations. (About 45 s.)
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Digest::MD5 qw(md5_hex);
use File::Copy qw(copy);
use LWP::UserAgent;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use POSIX ();
use Time::HiRes qw(time sleep);

plan tests => 31, need_module 'fastcgi';

my $h = FastCGITest::PM->new('reload');
my $bin = app_bin();
my $ipc = $h->ipc;
my $resp = $h->install("$bin/responder", 'st/resp.fcgi');
my $sig  = $h->install("$bin/responder", 'sig/resp.fcgi');
my $tcp  = $h->install("$bin/responder", 'tcp/resp.fcgi');
my $tcp_port = FastCGITest::PM::port_of('reload_tcp');
$h->write_conf(
    'FastCgiGracefulTimeout 20',
    "FastCgiServer $resp -processes 2 -autoUpdate",
    "FastCgiServer $sig -processes 2 -init-start-delay 0",
    "FastCgiServer $tcp -port $tcp_port -processes 2 -init-start-delay 0 -autoUpdate",
);

my %want;
sub body_ok {
    my ($r, $n) = @_;
    return 0 unless ($r->{status} // 0) == 200;
    $want{$n} //= md5_hex(join '', map { chr(97 + $_ % 26) } 0 .. $n - 1);
    (my $b = $r->{body} // '') =~ s/^pid=\d+\n//;
    return md5_hex($b) eq $want{$n} ? 1 : 0;
}
sub live { my ($app) = @_; my $i = $h->instances($app); return sort { $a <=> $b } grep { $i->{$_}{state} ne 'Z' } keys %$i }
sub bump { my ($f) = @_; my $t = time + 2; utime $t, $t, $f }

# $clients loops of requests to $path for $secs while $during->() runs in
# the parent (instances sampled every 50 ms); returns (requests, samples).
sub under_load {
    my ($path, $app, $clients, $secs, $during) = @_;
    my $n = 5000;
    my $t_begin = time + 0.2;
    my @kids;
    for my $c (1 .. $clients) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            sleep 0.01 while time < $t_begin;
            while (time < $t_begin + $secs) {
                my $t0 = time;
                my $r = eval { $h->http(path => "$path?pid&sleep=50&size=$n", timeout => 30) } || { status => 0 };
                my ($p) = ($r->{body} // '') =~ /^pid=(\d+)/;
                printf $wr "%.4f %.4f %d %d %d\n", $t0, time, $r->{status} // 0, body_ok($r, $n), $p // 0;
            }
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    sleep 0.01 while time < $t_begin + 1;
    $during->();
    my @samples;
    while (time < $t_begin + $secs) { push @samples, [time, live($app)]; sleep 0.05 }
    my @reqs;
    for my $k (@kids) {
        my $fh = $k->[1];
        while (my $l = <$fh>) { push @reqs, [split ' ', $l] }
        waitpid($k->[0], 0);
    }
    return (\@reqs, \@samples);
}

my $started = $h->start;
ok t_cmp($started, 1, 'httpd starts' . ($started ? '' : ": $h->{error}"));
my $pm = $h->pm_pid // 0;
my @old = live($resp);
@old = live($resp) while @old < 2 && sleep 0.1;
ok t_cmp(scalar(@old), 2, "two instances of the -autoUpdate app (@old)");
open my $pf, '<', "$ipc/pm.pid";
my $pid_in_file = $pf ? (<$pf> // 0) + 0 : 0;
ok t_cmp($pid_in_file, $pm, 'FastCgiIpcDir/pm.pid holds the process manager\'s pid');

# ---------------------------------------- -autoUpdate: touch under load
{
    my $m = $h->log_mark;
    my ($reqs, $samples) = under_load('/st/resp.fcgi', $resp, 6, 9, sub { bump($resp) });
    my @failed = grep { !$_->[3] } @$reqs;
    ok t_cmp(scalar(@failed), 0, scalar(@$reqs) . ' requests by 6 clients while the file changed: none failed'
             . (@failed ? ' (' . join(', ', map { "status $_->[2]" } @failed[0 .. ($#failed < 4 ? $#failed : 4)]) . ')' : ''));
    my @counts = map { scalar(@$_) - 1 } @$samples;
    my ($min) = sort { $a <=> $b } @counts;
    ok t_cmp(($min // 0) >= 1 ? 1 : 0, 1, 'at no moment without an instance (fewest seen: ' . ($min // 'none') . ')');
    my @new = live($resp);
    my %was = map { $_ => 1 } @old;
    ok t_cmp((@new == 2 && !grep { $was{$_} } @new) ? 1 : 0, 1, "two new instances (@old -> @new)");
    my %new = map { $_ => 1 } @new;
    my @late = grep { $_->[0] > $reqs->[-1][0] - 2 } @$reqs;
    ok t_cmp(scalar(grep { !$new{$_->[4]} } @late), 0, 'the requests of the last 2 s are served by the new instances');
    my $log = $h->log_since($m);
    ok t_cmp($log, qr/server "\Q$resp\E": rolling reload \(-autoUpdate\): starting 2 new instance\(s\); the old ones \(pid \Q$old[0] $old[1]\E\) serve until they are up/,
             'log: the reload starts, naming the old instances');
    ok t_cmp($log, qr/server "\Q$resp\E": rolling reload: new instance\(s\) \(pid [\d ]+\) take the requests; old instance\(s\) \(pid [\d ]+\) finish theirs/,
             'log: the new instances take the requests');
    ok t_cmp($log, qr/server "\Q$resp\E": rolling reload done/, 'log: done');
    # the new ones start one at a time (-init-start-delay 1), and the old
    # ones are ended only after both new ones are up
    my @st = map { $_->[0] } $h->log_times($m, qr/server "\Q$resp\E" started \(pid/);
    ok t_cmp((@st == 2 && $st[1] - $st[0] >= 0.8) ? 1 : 0, 1,
             sprintf('the new instances start one at a time (%s s apart)', @st == 2 ? sprintf('%.2f', $st[1] - $st[0]) : 'n/a'));
    my %first_gone;
    for my $s (@$samples) { my %in = map { $_ => 1 } @$s[1 .. $#$s]; for (@old) { $first_gone{$_} //= $s->[0] unless $in{$_} } }
    my ($gone) = sort { $a <=> $b } values %first_gone;
    ok t_cmp((defined $gone && @st == 2 && $gone > $st[1]) ? 1 : 0, 1, 'no old instance ended before the second new one was up');
    my @bad = $h->unexpected_errors($m);
    ok t_cmp(scalar(@bad), 0, "no error lines (@bad)");
    # Kept connections held the old instances until the reload told httpd
    # to keep none; once it is done they are kept again (one client over
    # one HTTP connection, so one httpd child: its answers settle on one
    # app connection).
    my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 10);
    my @ids;
    for (1 .. 8) {
        my $res = $ua->get('http://127.0.0.1:' . $h->port . '/st/resp.fcgi?conn');
        push @ids, $res->code == 200 && $res->content =~ /^conn=(\d+:\d+)$/m ? $1 : 'fail:' . $res->code;
        sleep 0.02;
    }
    my %last = map { $_ => 1 } @ids[-3 .. -1];
    ok t_cmp((keys(%last) == 1 && $ids[-1] =~ /^\d/) ? 1 : 0, 1, "after the reload, connections are kept again (@ids)");
}

# ---------------------------------------- SIGUSR2: every static app, no file touched
{
    my $m = $h->log_mark;
    my @o_sig = live($sig);
    my @o_resp = live($resp);
    my ($reqs, $samples) = under_load('/sig/resp.fcgi', $sig, 4, 6, sub { kill 'USR2', $pid_in_file });
    my @failed = grep { !$_->[3] } @$reqs;
    ok t_cmp(scalar(@failed), 0, scalar(@$reqs) . ' requests while SIGUSR2 reloaded the app: none failed');
    my ($min) = sort { $a <=> $b } map { scalar(@$_) - 1 } @$samples;
    ok t_cmp(($min // 0) >= 1 ? 1 : 0, 1, 'at no moment without an instance (fewest seen: ' . ($min // 'none') . ')');
    my %was = map { $_ => 1 } @o_sig, @o_resp;
    my @n_sig = live($sig);
    my @n_resp = live($resp);
    ok t_cmp((@n_sig == 2 && @n_resp == 2 && !grep { $was{$_} } @n_sig, @n_resp) ? 1 : 0, 1,
             "SIGUSR2 replaced the instances of both unix-socket apps (@o_sig -> @n_sig, @o_resp -> @n_resp)");
    ok t_cmp($h->log_since($m), qr/SIGUSR2: rolling reload of every static application/, 'log: SIGUSR2 names what it does');
}

# ---------------------------------------- -port: one old instance at a time
{
    my $m = $h->log_mark;
    my @o = live($tcp);
    my ($reqs, $samples) = under_load('/tcp/resp.fcgi', $tcp, 4, 6, sub { bump($tcp) });
    my @failed = grep { !$_->[3] } @$reqs;
    ok t_cmp(scalar(@failed), 0, scalar(@$reqs) . ' requests to the -port app while it was reloaded: none failed');
    my ($min) = sort { $a <=> $b } map { scalar(@$_) - 1 } @$samples;
    ok t_cmp(($min // 0) >= 2 ? 1 : 0, 1, 'the port never had fewer than its 2 instances (fewest seen: ' . ($min // 'none') . ')');
    my %was = map { $_ => 1 } @o;
    my @n = live($tcp);
    ok t_cmp((@n == 2 && !grep { $was{$_} } @n) ? 1 : 0, 1, "two new instances (@o -> @n)");
}

# ---------------------------------------- a new version that does not start
{
    my $m = $h->log_mark;
    my @o = live($resp);
    # replaced by rename, as a deploy does (the old instances keep their file)
    open my $f, '>', "$resp.new" or die; print $f "#!/bin/sh\nexit 1\n"; close $f; chmod 0755, "$resp.new";
    rename "$resp.new", $resp or die "rename: $!";
    sleep 6;
    my @after = live($resp);
    ok t_cmp("@after", "@o", 'a broken new version is never swapped in: the old instances go on');
    my $r = $h->http(path => '/st/resp.fcgi?pid');
    my ($p) = ($r->{body} // '') =~ /^pid=(\d+)/;
    ok t_cmp(($r->{status} == 200 && grep { $_ == ($p // 0) } @o) ? 1 : 0, 1, "and answer (status $r->{status}, pid " . ($p // 'none') . ')');
    ok t_cmp($h->log_since($m), qr/server "\Q$resp\E" \(pid \d+\) terminated by calling exit with status '1'/,
             'the broken version was tried (its exits are logged)');

    # the fixed deploy: a newer file replaces the generation that never came up
    copy("$bin/responder", "$resp.new") or die "copy: $!";
    chmod 0755, "$resp.new";
    rename "$resp.new", $resp or die "rename: $!";
    bump($resp);
    my @fixed;
    my $deadline = time + 8;
    while (time < $deadline) {
        my %was = map { $_ => 1 } @o;
        @fixed = live($resp);
        last if @fixed == 2 && !grep { $was{$_} } @fixed;
        sleep 0.1;
    }
    my %was = map { $_ => 1 } @o;
    ok t_cmp((@fixed == 2 && !grep { $was{$_} } @fixed) ? 1 : 0, 1, "the fixed version is swapped in (@o -> @fixed)");
    ok t_cmp($h->log_since($m), qr/rolling reload: a newer version replaces the one not yet swapped in/,
             'log: the newer version replaces the broken one');
}

# ---------------------------------------- graceful during a reload
{
    my $old_pm = $h->pm_pid // 0;
    my @o = (live($resp), live($sig));
    my $m = $h->log_mark;
    kill 'USR2', $old_pm;
    $h->wait_log($m, qr/SIGUSR2: rolling reload/, 3);
    my $new_pm = $h->graceful // 0;
    my $r = $h->http(path => '/st/resp.fcgi?pid');
    ok t_cmp(($new_pm && $new_pm != $old_pm && $r->{status} == 200) ? 1 : 0, 1,
             "a graceful restart during a rolling reload: the new PM ($old_pm -> $new_pm) serves (status $r->{status})");
    my $deadline = time + 10;
    sleep 0.1 while FastCGITest::PM::alive($old_pm) && time < $deadline;
    my @left = grep { FastCGITest::PM::alive($_) } $old_pm, @o;
    ok t_cmp(scalar(@left), 0, "the old PM drained both generations and exited (@left left)");
}

# ---------------------------------------- stop: nothing left
{
    my $took = $h->stop;
    ok t_cmp((defined $took && $took < 5) ? 1 : 0, 1, sprintf('stop is quick (%.2f s)', $took // -1));
    my $in_dir = $h->procs_in_dir;
    ok t_cmp(scalar(keys %$in_dir), 0, 'no process left: ' . join('; ', values %$in_dir));
    ok t_cmp(join(' ', $h->ipc_files, grep { -e "$ipc/$_" } qw(pm.pid pm.instances)), '',
             'no socket file, no .next socket, no pm.pid left in FastCgiIpcDir');
}
