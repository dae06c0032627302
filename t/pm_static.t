# Process manager, static applications (FastCgiServer), in an httpd of
# their own (t/lib/FastCGITest/PM.pm): how instances are started (argv,
# cwd, environment, descriptors, identity, process group, socket), that
# requests reach every instance with and without a handler directive, that
# a killed instance is reaped and restarted within -restart-delay, and the
# -port / -socket / FastCgiExternalServer-on-a-static-socket variants.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use Time::HiRes qw(time sleep);

plan tests => 83, need_module 'fastcgi';

my $h = FastCGITest::PM->new('static', env => { HOME => '/nonexistent/pm-home' });
my $bin = app_bin();
my $resp  = $h->install("$bin/responder", 'st/resp.fcgi');
my $tcp   = $h->install("$bin/responder", 'st/tcp.fcgi');
my $named = $h->install("$bin/responder", 'st/named.fcgi');
my $crash = $h->put('loop/crash.fcgi', "#!/bin/sh\nexit 1\n", 0755);
my $noexec = $h->put('loop/noexec.fcgi', "this is not a program\n", 0755);
my $exit0 = $h->put('loop/exit0.fcgi', "#!/bin/sh\nexit 0\n", 0755);
my $htdocs = $h->htdocs;
my $ipc = $h->ipc;
my $app_port = FastCGITest::PM::port_of('static_tcp');
my $resp_sock = "$ipc/" . FastCGITest::PM::md5_name($resp);
my $uid = FastCGITest::PM::run_uid();

$h->write_conf(
    "FastCgiServer $resp -processes 2 -initial-env FOO=bar -initial-env HOME -restart-delay 2",
    "Alias /via-sethandler $resp",
    '<Location /via-sethandler>',
    '    SetHandler fastcgi-script',
    '</Location>',
    "FastCgiServer $tcp -port $app_port -init-start-delay 0",
    "FastCgiServer $named -socket named.sock -priority 5 -listen-queue-depth 7",
    "FastCgiExternalServer $htdocs/ext/viastatic.fcgi -socket $resp_sock",
    "FastCgiServer $crash -restart-delay 0 -init-start-delay 0",
    "FastCgiServer $noexec -restart-delay 0 -init-start-delay 0",
    "FastCgiServer $exit0 -restart-delay 0 -init-start-delay 0",
);
mkdir "$htdocs/ext";

my $started = $h->start;
ok t_cmp($started, 1, 'httpd with three FastCgiServer apps starts' . ($started ? '' : ": $h->{error}"));
my $mark0 = 0;
my $pm = $h->pm_pid;
ok t_cmp(defined $pm ? 1 : 0, 1, 'process manager (fcgi-pm) runs under the httpd parent');
my $pm_s = $pm // 0;
ok t_cmp($h->log_since($mark0), qr/FastCGI: process manager initialized \(pid $pm_s\)/,
         'log: process manager initialized (pid N) with the PM pid');

# ---------------------------------------------------------------- 1. start
my $inst = $h->wait_instances($resp, 2, 5);
my @pids = sort { $a <=> $b } keys %$inst;
ok t_cmp(scalar(@pids), 2, "-processes 2: two instances of resp.fcgi run (@pids)");

{
    # the PM logs a start just after the exec: give the second line a moment
    $h->wait_log($mark0, qr/(?:FastCGI: server "\Q$resp\E" started \(pid \d+\).*){2}/s, 2);
    my @st = $h->log_times($mark0, qr/FastCGI: server "\Q$resp\E" started \(pid \d+\)/);
    ok t_cmp(scalar(@st), 2, 'log: two "server ... started (pid N)" lines for resp.fcgi');
    my @logged = sort { $a <=> $b } map { $_->[1] =~ /\(pid (\d+)\)/ ? $1 : () } @st;
    ok t_cmp("@logged", "@pids", 'the started lines name the running pids');
    my $gap = @st == 2 && defined $st[0][0] && defined $st[1][0] ? $st[1][0] - $st[0][0] : -1;
    ok t_cmp(($gap >= 0.8 && $gap < 3) ? 1 : 0, 1,
             sprintf('second instance started %.2f s after the first (-init-start-delay default 1 s)', $gap));
}

for my $n (0 .. 1) {
    my $pid = $pids[$n] // 0;
    my $i = $inst->{$pid} || { cmdline => [], environ => {}, fds => {} };
    my $tag = "instance " . ($n + 1) . " (pid $pid)";
    ok t_cmp(join(' ', @{ $i->{cmdline} }), $resp, "$tag: argv is the full path, no arguments");
    ok t_cmp($i->{cwd} // '', "$htdocs/st", "$tag: working directory is the app's directory");
    my $env = join ' ', map { "$_=$i->{environ}{$_}" } sort keys %{ $i->{environ} };
    ok t_cmp($env, 'FOO=bar HOME=/nonexistent/pm-home',
             "$tag: environment is exactly the -initial-env list (bare HOME copied from httpd)");
    ok t_cmp($i->{ppid} // 0, $pm // -1, "$tag: parent is the process manager");
    ok t_cmp(($i->{pgrp} // 0) == $pid ? 1 : 0, 1, "$tag: leads its own process group");
    ok t_cmp(($i->{uid} // -1) . '/' . ($i->{euid} // -1), "$uid/$uid", "$tag: runs as httpd's User ($uid), not root");
    my @fd = sort { $a <=> $b } keys %{ $i->{fds} };
    ok t_cmp("@fd", '0 1 2', "$tag: only descriptors 0, 1, 2 are open (" .
             join(', ', map { "$_=$i->{fds}{$_}" } @fd) . ')');
    my %unix = FastCGITest::PM::unix_socket_inodes();
    my ($ino) = ($i->{fds}{0} // '') =~ /^socket:\[(\d+)\]$/;
    ok t_cmp((defined $ino && grep { $_ eq $ino } @{ $unix{$resp_sock} || [] }) ? 1 : 0, 1,
             "$tag: fd 0 is the listening socket bound to $resp_sock");
    ok t_cmp(($i->{fds}{2} // '') eq $h->error_log && ($i->{fds}{1} // '') eq $h->error_log ? 1 : 0, 1,
             "$tag: fd 1 and fd 2 are httpd's error log");
}

{
    my @st = stat $resp_sock;
    ok t_cmp(-S $resp_sock ? 1 : 0, 1, "socket file is FastCgiIpcDir/md5(path): $resp_sock");
    ok t_cmp(@st ? sprintf('%04o', $st[2] & 07777) : 'none', '0600', 'socket file mode 0600');
    ok t_cmp(@st ? $st[4] : -1, $uid, "socket file owned by httpd's User");
}

# requests: the fixup routes it without any handler directive; SetHandler too
{
    my $r = $h->http(path => '/st/resp.fcgi');
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'static app answers /st/resp.fcgi (no handler directive: fixup)');
    ok t_cmp($e->{SCRIPT_FILENAME} // '', $resp, 'SCRIPT_FILENAME is the app');
    ok t_cmp(exists $e->{FOO} ? 'FOO passed as a param' : 'no FOO', 'no FOO',
             'the -initial-env is the process environment, not request params');

    $r = $h->http(path => '/via-sethandler/extra/path?env');
    $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'the same app through Alias + SetHandler fastcgi-script');
    ok t_cmp($e->{PATH_INFO} // '', '/extra/path', 'PATH_INFO through the Alias');
    ok t_cmp($e->{SCRIPT_NAME} // '', '/via-sethandler', 'SCRIPT_NAME through the Alias');
}

# both instances serve: two slow requests at once go to two processes
sub pids_serving {
    my @res = $h->parallel([map { { path => '/st/resp.fcgi?sleep=700&pid', timeout => 20 } } 1 .. 2]);
    return map { $_->{body} =~ /pid=(\d+)/ ? $1 : "status-$_->{status}" } @res;
}
{
    my @served = sort { $a <=> $b } pids_serving();
    ok t_cmp("@served", "@pids", 'two concurrent requests are served by the two instances');
}

# ---------------------------------------------------- 2. kill an instance
my ($victim, $other) = @pids;
my ($new1, $new2);
{
    # the last start was more than -restart-delay (2 s) ago: restart at once
    my @st = $h->log_times($mark0, qr/server "\Q$resp\E" started/);
    my $since = defined $st[-1][0] ? time - $st[-1][0] : 99;
    sleep(2.2 - $since) if $since < 2.2;
    my $m = $h->log_mark;
    my $t0 = time;
    kill 'KILL', $victim;
    my $log = $h->wait_log($m, qr/server "\Q$resp\E" restarted \(pid \d+\)/, 5);
    my $t_restart = time - $t0;
    ok t_cmp($log, qr/FastCGI: server "\Q$resp\E" \(pid $victim\) terminated due to uncaught signal '9' \(Killed\)/,
             "log: server ... (pid $victim) terminated due to uncaught signal '9' (Killed)");
    ($new1) = $log =~ /FastCGI: server "\Q$resp\E" restarted \(pid (\d+)\)/;
    ok t_cmp(defined $new1 ? 1 : 0, 1, 'log: server ... restarted (pid M)');
    ok t_cmp($t_restart < 1.5 ? 1 : 0, 1,
             sprintf('restarted %.2f s after the kill (last start more than -restart-delay ago)', $t_restart));
    ok t_cmp(FastCGITest::PM::exists_pid($victim), 0, 'the killed instance was reaped (not a zombie)');
    my $i = $h->wait_instances($resp, 2, 3);
    ok t_cmp(join(' ', sort { $a <=> $b } keys %$i), join(' ', sort { $a <=> $b } $other, $new1 // 0),
             'two instances again: the survivor and the new one');
    ok t_cmp(($i->{ $new1 // 0 } || {})->{ppid} // 0, $pm, 'the new instance is a child of the same PM');
    my @served = sort { $a <=> $b } pids_serving();
    ok t_cmp("@served", join(' ', sort { $a <=> $b } $other, $new1 // 0), 'the new instance serves requests');
    ok t_cmp(scalar($h->zombies), 0, 'no zombie among the PM children');
}
{
    # killed again right after its start: the next start waits -restart-delay
    my $m = $h->log_mark;
    my $n1 = $new1 // 0;
    my @st = $h->log_times(0, qr/server "\Q$resp\E" restarted \(pid $n1\)/);
    kill 'KILL', $new1 if $new1;
    my $log = $h->wait_log($m, qr/server "\Q$resp\E" restarted \(pid \d+\)/, 6);
    my @re = $h->log_times($m, qr/server "\Q$resp\E" restarted \(pid \d+\)/);
    ($new2) = $log =~ /server "\Q$resp\E" restarted \(pid (\d+)\)/;
    my $gap = (@st && @re && defined $st[0][0] && defined $re[0][0]) ? $re[0][0] - $st[0][0] : -1;
    ok t_cmp(defined $new2 ? 1 : 0, 1, 'killed again: restarted again');
    ok t_cmp(($gap >= 1.9 && $gap < 3.5) ? 1 : 0, 1,
             sprintf('the second restart came %.2f s after the previous start (-restart-delay 2)', $gap));
    ok t_cmp(FastCGITest::PM::exists_pid($new1 // 0), 0, 'the second victim was reaped');
    my $i = $h->wait_instances($resp, 2, 3);
    ok t_cmp(scalar(keys %$i), 2, 'two instances again');
}
# an instance that exits by itself (status 3) is restarted too
{
    my $ti = $h->instances($tcp);
    my ($tpid) = keys %$ti;
    my $m = $h->log_mark;
    my $r = $h->http(path => '/st/tcp.fcgi?exit=3');
    ok t_cmp($r->{status}, 502, 'request whose instance exits: 502');
    my $log = $h->wait_log($m, qr/server "\Q$tcp\E" restarted \(pid \d+\)/, 8);
    my $tp = $tpid // 0;
    ok t_cmp($log, qr/FastCGI: server "\Q$tcp\E" \(pid $tp\) terminated by calling exit with status '3'/,
             "log: server ... terminated by calling exit with status '3'");
    ok t_cmp($log, qr/FastCGI: server "\Q$tcp\E" restarted \(pid \d+\)/, 'log: ... restarted');
}

# --------------------------------------------------- 3. -port, -socket, external
{
    my @l = FastCGITest::PM::tcp_listeners($app_port);
    ok t_cmp("@l", '127.0.0.1', "-port $app_port: one listener, on 127.0.0.1 only");
    my $r = $h->http(path => '/st/tcp.fcgi?env');
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, '-port app answers');
    ok t_cmp($e->{SCRIPT_FILENAME} // '', $tcp, '-port app: SCRIPT_FILENAME');
    ok t_cmp(-e "$ipc/" . FastCGITest::PM::md5_name($tcp) ? 1 : 0, 0, '-port app: no socket file in FastCgiIpcDir');
    my $ti = $h->wait_instances($tcp, 1, 8);
    my ($tpid) = keys %$ti;
    my ($ino) = (($ti->{ $tpid // 0 } || {})->{fds}{0} // '') =~ /socket:\[(\d+)\]/;
    ok t_cmp(defined $ino ? 1 : 0, 1, '-port app: fd 0 is a socket');
}
{
    my $sock = "$ipc/named.sock";
    my @st = stat $sock;
    ok t_cmp(-S $sock ? 1 : 0, 1, '-socket named.sock: created in FastCgiIpcDir');
    ok t_cmp(@st ? sprintf('%04o', $st[2] & 07777) : 'none', '0600', '-socket named.sock: mode 0600');
    ok t_cmp(-e "$ipc/" . FastCGITest::PM::md5_name($named) ? 1 : 0, 0, '-socket: no md5-named socket as well');
    # the backlog of a listening Unix socket is ss's Send-Q column
    my %backlog = map { (split ' ')[4] => (split ' ')[3] } grep { /LISTEN/ } `ss -xl 2>/dev/null`;
    ok t_cmp($backlog{$sock} // 'none', 7, '-listen-queue-depth 7: the socket listens with a backlog of 7');
    ok t_cmp($backlog{$resp_sock} // 'none', 100, 'default -listen-queue-depth: a backlog of 100');
    my $r = $h->http(path => '/st/named.fcgi?env');
    ok t_cmp($r->{status}, 200, '-socket app answers');
    ok t_cmp(parse_env($r->{body})->{SCRIPT_FILENAME} // '', $named, '-socket app: SCRIPT_FILENAME');
    my ($np) = keys %{ $h->instances($named) };
    my $nice = 'none';
    if ($np && open my $fh, '<', "/proc/$np/stat") {
        my $st = <$fh>;
        $nice = (split ' ', ($st =~ /\) (.*)$/s)[0])[16];
    }
    ok t_cmp($nice, 5, '-priority 5: the instance runs at nice 5');
}
{
    my $i = $h->instances($resp);
    my $r = $h->http(path => '/ext/viastatic.fcgi?pid');
    my ($p) = $r->{body} =~ /pid=(\d+)/;
    ok t_cmp($r->{status}, 200, 'FastCgiExternalServer -socket <static app socket> answers');
    ok t_cmp(($p && $i->{$p}) ? 1 : 0, 1, "... served by an instance of the static app (pid " . ($p // 'none') . ')');
    $r = $h->http(path => '/ext/viastatic.fcgi?env');
    ok t_cmp(parse_env($r->{body})->{SCRIPT_FILENAME} // '', "$htdocs/ext/viastatic.fcgi",
             '... with the external definition as SCRIPT_FILENAME');
}

# ------------------------------------------------ crash loops back off
# (both apps have run their course long ago: -restart-delay 0)
{
    my @starts = $h->log_times(0, qr/server "\Q$crash\E" (?:started|restarted)/);
    my @exits = $h->log_times(0, qr/server "\Q$crash\E" \(pid \d+\) terminated by calling exit with status '1'/);
    ok t_cmp(scalar(@starts) . ' starts, ' . scalar(@exits) . ' exits', '4 starts, 4 exits',
             'an app that exits at once (status 1) is started 4 times, then no more');
    ok t_cmp($h->log_since(0),
             qr/FastCGI: server "\Q$crash\E" has failed to remain running for the minimum server life given 3 attempts; its restart interval has been backed off to 600 seconds/,
             'log: ... has failed to remain running ... backed off to 600 seconds');
    my @fail = $h->log_times(0, qr/can't start server "\Q$noexec\E": execve\(\): Exec format error; likely fix: a script needs a #! line naming its interpreter/);
    ok t_cmp(scalar(@fail), 4, 'an app that cannot be executed: 4 attempts, each logged (execve(): Exec format error; likely fix: ...)');
    ok t_cmp($h->log_since(0),
             qr/FastCGI: server "\Q$noexec\E" has failed to remain running for the minimum server life given 3 attempts; its restart interval has been backed off to 600 seconds/,
             'log: the exec failures are backed off with the same message');

    # the spawn-rate floor: even with -restart-delay 0 a restart comes at
    # least 1 s after the previous start, and an app that exits at once
    # with status 0 is backed off as a crash loop (it was restarted in a
    # busy loop: thousands of spawns in 10 s)
    my @gaps;
    for my $app ($crash, $exit0) {
        my @t = map { $_->[0] } $h->log_times(0, qr/server "\Q$app\E" (?:started|restarted)/);
        push @gaps, map { $t[$_] - $t[$_ - 1] } 1 .. $#t;
    }
    my $min = (sort { $a <=> $b } @gaps)[0] // 0;
    ok t_cmp($min >= 0.75 ? 1 : 0, 1, sprintf(q{-restart-delay 0: restarts about 1 s apart, not in a busy loop (the log lines come after each exec: shortest gap %.2f s of %d)}, $min, scalar @gaps));
    my @s0 = $h->log_times(0, qr/server "\Q$exit0\E" (?:started|restarted)/);
    my @e0 = $h->log_times(0, qr/server "\Q$exit0\E" \(pid \d+\) terminated by calling exit with status '0'/);
    ok t_cmp(scalar(@s0) . ' starts, ' . scalar(@e0) . ' exits', '4 starts, 4 exits',
             'an app that exits at once with status 0 is started 4 times (in about 3 s), then no more');
    my $span = @s0 ? $s0[-1][0] - $s0[0][0] : 0;
    ok t_cmp($span >= 2.5 ? 1 : 0, 1, sprintf('... its 4 starts span %.2f s (1 s apart)', $span));
    ok t_cmp($h->log_since(0),
             qr/FastCGI: server "\Q$exit0\E" has failed to remain running for the minimum server life given 3 attempts; its restart interval has been backed off to 600 seconds/,
             'log: the exit(0) loop is backed off to 600 seconds with the same message');
}

# -------------------------------------------------------------- leaks
$h->leak_check('static apps', 40, sub {
    my $i = shift;
    my @p = ('/st/resp.fcgi?pid', '/via-sethandler?pid', '/st/tcp.fcgi?pid', '/st/named.fcgi?pid',
             '/ext/viastatic.fcgi?pid', '/st/resp.fcgi?size=100000');
    $h->http(path => $p[$i % @p]);
});
ok t_cmp(scalar($h->zombies), 0, 'no zombie among the PM children');

{
    my @crash = $h->crash_lines(0);
    ok t_cmp(scalar(@crash), 0, "no crash lines in the error log (@crash)");
    my @bad = $h->unexpected_errors(0, qr/\Q$tcp\E/, qr/can't start server "\Q$noexec\E"/);
    ok t_cmp(scalar(@bad), 0, "no unexpected error lines:\n" . join("\n", @bad));
}

# ---------------------------------------------------------------- stop
{
    my $all = $h->instances;
    my $m = $h->log_mark;
    my $took = $h->stop;
    ok t_cmp(defined $took ? 1 : 0, 1, sprintf('apache2 -k stop finishes (%.2f s)', $took // -1));
    ok t_cmp($h->log_since($m), qr/FastCGI: process manager \(pid $pm\) exiting/, 'log: process manager (pid N) exiting');
    my @left = grep { FastCGITest::PM::exists_pid($_) } keys %$all, $pm;
    ok t_cmp(scalar(@left), 0, "no instance and no PM left after stop (@left)");
    my @files = $h->ipc_files;
    ok t_cmp("@files", '', 'FastCgiIpcDir holds no socket file after stop');
}
