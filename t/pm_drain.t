# Graceful restart drains (issue 10), in an httpd of its own: a request in
# flight when `apache2 -k graceful` runs is answered in full by the old
# generation's instance, which gets no new request and ends once idle; a
# request sent right after the graceful is served by a new instance at
# once; under load (8 clients for 10 s, 3 gracefuls) no request fails;
# restart stays fast, and stop too while a drain goes on; nothing is left
# after stop. (Run: about 40 s.)
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Digest::MD5 qw(md5_hex);
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use POSIX ();
use Storable ();
use Time::HiRes qw(time sleep);

plan tests => 35, need_module 'fastcgi';

my $h = FastCGITest::PM->new('drain');
my $bin = app_bin();
my $htdocs = $h->htdocs;
my $ipc = $h->ipc;
my $resp = $h->install("$bin/responder", 'st/resp.fcgi');
my $dyn  = $h->install("$bin/responder", 'dyn/app.fcg');
my $tcp  = $h->install("$bin/responder", 'tcp/resp.fcgi');
my $tcp_port = FastCGITest::PM::port_of('drain_tcp');
# php-cgi with two children (which accept, the master waits): 3 s, then 100000 bytes
my $php_bin = have_php_cgi();
my $php = $php_bin ? $h->put('php/slow.php', "#!$php_bin
<?php sleep(3); echo str_repeat('p', 100000);
", 0755) : undef;
# Perl FCGI on fd 0: 3 s, then 100000 bytes
my $perl = $h->put('perl/slow.pl', "#!$^X\nuse FCGI;\nmy \$r = FCGI::Request();\n"
    . "while (\$r->Accept() >= 0) { sleep 3; print \"Content-Type: text/plain\\r\\n\\r\\n\", 'q' x 100000 }\n", 0755);
$h->write_conf(
    'FastCgiGracefulTimeout 20',
    "FastCgiServer $perl",
    'FastCgiConfig -startDelay 1',
    "FastCgiServer $resp -processes 2 -init-start-delay 0",
    "FastCgiServer $tcp -port $tcp_port -init-start-delay 0",
    ($php ? ("FastCgiServer $php -initial-env PHP_FCGI_CHILDREN=2 -initial-env PHP_FCGI_MAX_REQUESTS=0") : ()),
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
);

sub pid_of { my ($r) = @_; return ($r->{body} // '') =~ /^pid=(\d+)/ ? $1 : 0 }
# a "pid&size=N" body: "pid=P\n", then N bytes, byte i = 'a' + i % 26
my %want;
sub body_ok {
    my ($r, $n) = @_;
    return 0 unless ($r->{status} // 0) == 200;
    $want{$n} //= md5_hex(join '', map { chr(97 + $_ % 26) } 0 .. $n - 1);
    (my $b = $r->{body} // '') =~ s/^pid=\d+\n//;
    return md5_hex($b) eq $want{$n} ? 1 : 0;
}
sub alive_of { return grep { FastCGITest::PM::alive($_) } @_ }
sub gone_within {
    my ($timeout, @pids) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my @left = alive_of(@pids);
        return @left if !@left || time > $deadline;
        sleep 0.05;
    }
}
sub pm_files { opendir my $d, $ipc or return (); return sort grep { /^pm\.instances/ } readdir $d }

my $started = $h->start;
ok t_cmp($started, 1, 'httpd starts' . ($started ? '' : ": $h->{error}"));
my $pm0 = $h->pm_pid // 0;
my @s0 = sort keys %{ $h->wait_instances($resp, 2, 5) };
my $d0 = pid_of($h->http(path => '/dyn/app.fcg?pid', timeout => 20));
ok t_cmp((@s0 == 2 && $d0) ? 1 : 0, 1, "two static instances (@s0) and a dynamic one ($d0)");

# ------------------------------------ requests in flight during graceful
{
    my $m = $h->log_mark;
    my $n = 200_000;
    my $tcp0 = pid_of($h->http(path => '/tcp/resp.fcgi?pid'));
    my @bg = ((map { $h->background(path => "/st/resp.fcgi?pid&sleep=3000&size=$n", timeout => 30) } 1 .. 2),
              $h->background(path => "/dyn/app.fcg?pid&sleep=3000&size=$n", timeout => 30));
    my $php_bg = $php ? $h->background(path => '/php/slow.php', timeout => 30) : undef;
    my $perl_bg = $h->background(path => '/perl/slow.pl', timeout => 30);
    sleep 0.7;    # the requests are held by the instances
    my $t_graceful = time;
    my $pm1 = $h->graceful // 0;
    my $t0 = time;
    my $after = $h->http(path => '/st/resp.fcgi?pid', timeout => 10);
    my $after_elapsed = time - $t0;
    my $dyn_after = $h->http(path => '/dyn/app.fcg?pid', timeout => 10);
    my $dyn_elapsed = time - $t0 - $after_elapsed;
    my @res = map { $h->collect($_) } @bg;
    my $php_res = $php_bg ? $h->collect($php_bg) : undef;
    my $perl_res = $h->collect($perl_bg);
    my $tcp_after = $h->http(path => '/tcp/resp.fcgi?pid', timeout => 10);
    for my $k (0 .. 2) {
        my $r = $res[$k];
        ok t_cmp(body_ok($r, $n), 1, sprintf('in-flight request %d: 200 with the full body (status %s, %d bytes, %.2f s%s)',
                 $k + 1, $r->{status}, length($r->{body} // ''), ($r->{t_end} // 0) - ($r->{t_start} // 0),
                 $r->{error} ? ", $r->{error}" : ''));
    }
    my $spans = grep { $_->{t_start} < $t_graceful && $_->{t_end} > $t_graceful + 1 } @res;
    ok t_cmp($spans, 3, 'the graceful restart ran while the three requests were in flight');
    my %old = map { $_ => 1 } @s0, $d0;
    my $served_by_old = grep { $old{ pid_of($_) } } @res;
    ok t_cmp($served_by_old, 3, 'they were answered by the old instances (' . join(' ', map { pid_of($_) } @res) . ')');
    my $p = pid_of($after);
    ok t_cmp(($after->{status} == 200 && $p && !$old{$p}) ? 1 : 0, 1,
             "a request right after the graceful is served by a new static instance ($p; old @s0)");
    ok t_cmp($after_elapsed < 1.5 ? 1 : 0, 1,
             sprintf('at once (%.2f s), while the old ones are still busy', $after_elapsed));
    my $dp = pid_of($dyn_after);
    ok t_cmp(($dyn_after->{status} == 200 && $dp && !$old{$dp}) ? 1 : 0, 1,
             sprintf('and a dynamic request by a new dynamic instance (%s; old %s; %.2f s)', $dp, $d0, $dyn_elapsed));
    if ($php_res) {
        ok t_cmp(($php_res->{status} == 200 && ($php_res->{body} // '') eq 'p' x 100000) ? 1 : 0, 1,
                 sprintf('php-cgi (PHP_FCGI_CHILDREN=2): a 3 s request in flight gets 200 with the full body (status %s, %d bytes)',
                         $php_res->{status}, length($php_res->{body} // '')));
    } else {
        skip 'php-cgi not installed';
    }
    ok t_cmp(($perl_res->{status} == 200 && ($perl_res->{body} // '') eq 'q' x 100000) ? 1 : 0, 1,
             sprintf('Perl FCGI: a 3 s request in flight gets 200 with the full body (status %s, %d bytes)',
                     $perl_res->{status}, length($perl_res->{body} // '')));
    my $tp = pid_of($tcp_after);
    ok t_cmp(($tcp_after->{status} == 200 && $tp && $tp != $tcp0) ? 1 : 0, 1,
             "a -port app (not drained) answers from a new instance after the graceful ($tcp0 -> $tp)");
    ok t_cmp(scalar(grep { /can't create server/ } split /\n/, $h->log_since($m)), 0,
             'the new PM listens on the port without a failed start');
    my @left = gone_within(5, $pm0, @s0, $d0);
    ok t_cmp(scalar(@left), 0, "the old PM and its instances end once their requests are done (@left left)");
    my $log = $h->log_since($m);
    my $held = 5 + ($php ? 1 : 0);    # 2 static, the -port one, the dynamic one, Perl, php-cgi
    ok t_cmp($log, qr/process manager \(pid $pm0\) draining: $held instance\(s\) finish their requests \(at most 20 s\)/,
             "log: the old PM drains its $held instances, at most FastCgiGracefulTimeout");
    ok t_cmp($log, qr/process manager \(pid $pm0\) exiting/, 'log: the old PM exits');
    ok t_cmp(($pm1 && $pm1 != $pm0) ? 1 : 0, 1, "a new PM ($pm0 -> $pm1)");
    my @bad = $h->unexpected_errors($m);
    ok t_cmp(scalar(@bad), 0, "no error lines:\n" . join("\n", @bad));
}

# ------------------------------------------- under load, three gracefuls
{
    my $m = $h->log_mark;
    my $clients = 8;
    my $run_for = 10;
    my $n = 5000;
    my $t_begin = time + 0.3;
    my @kids;
    for my $c (1 .. $clients) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            sleep 0.01 while time < $t_begin;
            my $i = 0;
            while (time < $t_begin + $run_for) {
                my $path = ($i++ + $c) % 2 ? "/st/resp.fcgi?pid&sleep=100&size=$n" : "/dyn/app.fcg?pid&sleep=100&size=$n";
                my $t0 = time;
                my $r = eval { $h->http(path => $path, timeout => 30) } || { status => 0 };
                printf $wr "%.4f %.4f %d %d %s\n", $t0, time, $r->{status} // 0, body_ok($r, $n), $path;
            }
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    my @pms;
    my @t_g;
    for my $at (2, 5, 8) {
        sleep 0.05 while time < $t_begin + $at;
        push @t_g, time;
        push @pms, $h->pm_pid // 0;
        $h->graceful;
    }
    my @reqs;
    for my $k (@kids) {
        my $fh = $k->[1];
        while (my $l = <$fh>) { push @reqs, [split ' ', $l] }
        waitpid($k->[0], 0);
    }
    my @failed = grep { !$_->[3] } @reqs;
    my @in_flight = map { my $t = $_; scalar grep { $_->[0] < $t && $_->[1] > $t } @reqs } @t_g;
    my @cut = map { my $t = $_; scalar grep { $_->[0] < $t && $_->[1] > $t && !$_->[3] } @reqs } @t_g;
    my $figure = sprintf '%d requests in %d s by %d clients; in flight at the 3 gracefuls: %s; cut: %s; failed: %d',
        scalar(@reqs), $run_for, $clients, join('/', @in_flight), join('/', @cut), scalar(@failed);
    print "# graceful under load: $figure\n";
    ok t_cmp(scalar(@failed), 0, "no request failed ($figure)"
             . (@failed ? ': ' . join('; ', map { "status $_->[2] $_->[4] at " . sprintf('%.2f', $_->[0] - $t_begin) } @failed[0 .. ($#failed < 4 ? $#failed : 4)]) : ''));
    ok t_cmp((grep { $_ > 0 } @in_flight) == 3 ? 1 : 0, 1, "requests were in flight at each graceful (@in_flight)");
    ok t_cmp(@reqs > 100 ? 1 : 0, 1, scalar(@reqs) . ' requests made');
    my @left = gone_within(20, @pms);
    ok t_cmp(scalar(@left), 0, "the three old PMs have ended (@pms; @left left)");
    my @s = keys %{ $h->wait_instances($resp, 2, 5) };
    ok t_cmp(scalar(@s), 2, "the current PM runs two static instances (@s)");
    my @bad = $h->unexpected_errors($m);
    ok t_cmp(scalar(@bad), 0, "no error lines:\n" . join("\n", @bad));
}

# A connection straight to a static instance, held open and idle (the
# instance accepted it and waits for a request): the instance is busy for
# a drain, while no httpd worker waits (httpd's own reclaim of busy
# workers on stop and restart is not what these tests time).
my $static_sock = "$ipc/" . FastCGITest::PM::md5_name($resp);
sub hold_instance {
    my $c = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $static_sock) or die "connect $static_sock: $!";
    sleep 0.3;    # accepted
    return $c;
}

# ------------------------------------------- restart stays fast
{
    my $pm = $h->pm_pid // 0;
    my @s = keys %{ $h->instances($resp) };
    my $held = hold_instance();
    my $t0 = time;
    my $new = $h->restart // 0;
    my @left = gone_within(5, $pm, @s);
    my $took = time - $t0;
    ok t_cmp((!@left && $took < 4) ? 1 : 0, 1,
             sprintf('restart while an instance holds a connection: the old PM and its instances are gone after %.2f s (%s left)',
                     $took, "@left"));
    my $r = $h->http(path => '/st/resp.fcgi?pid');
    ok t_cmp(($new && $new != $pm && $r->{status} == 200) ? 1 : 0, 1, "a new PM ($pm -> $new) serves");
    my @f = pm_files();
    ok t_cmp("@f", 'pm.instances', 'one record of instances');
}

# ------------------------------------------- stop while a drain goes on
{
    my $pm = $h->pm_pid // 0;
    my @s = keys %{ $h->instances($resp) };
    my $held = hold_instance();
    my $new = $h->graceful // 0;
    sleep 1;
    ok t_cmp((FastCGITest::PM::alive($pm) && grep { FastCGITest::PM::alive($_) } @s) ? 1 : 0, 1,
             "after a graceful the old PM ($pm) still drains the instance holding a connection");
    my @f = pm_files();
    ok t_cmp("@f", "pm.instances pm.instances.$pm", "its record of instances is pm.instances.$pm");
    my $took = $h->stop;
    ok t_cmp((defined $took && $took < 4) ? 1 : 0, 1, sprintf('stop is quick all the same (%.2f s)', $took // -1));
    my @left = gone_within(2, $pm, $new, @s);
    ok t_cmp(scalar(@left), 0, "the draining PM, the new one and the instances are gone (@left left)");
    my $in_dir = $h->procs_in_dir;
    ok t_cmp(scalar(keys %$in_dir), 0, 'no process left in the instance directory: ' . join('; ', values %$in_dir));
    ok t_cmp(join(' ', $h->ipc_files, pm_files()), '', 'no socket file and no record left in FastCgiIpcDir');
    my @crash = $h->crash_lines(0);
    ok t_cmp(scalar(@crash), 0, "no crash lines (@crash)");
}
