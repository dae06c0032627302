# FastCgiWrapper: static applications are started as
# "wrapper USER GROUP BASENAME" in the application's directory (names of
# httpd's User/Group, or of -user/-group), as httpd's User, and their socket
# is named after path + user + group; a restart goes through the wrapper
# again; a dynamic app without a suexec identity runs without it.
# The wrapper is t/apps/wrapper.sh: it logs its uid and arguments, then
# execs ./BASENAME.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use File::Path qw(make_path);
use Time::HiRes qw(time sleep);

plan tests => 38, need_module 'fastcgi';

my $h = FastCGITest::PM->new('wrapper');
my $bin = app_bin();
my $htdocs = $h->htdocs;
my $ipc = $h->ipc;
my $user  = FastCGITest::PM::run_user();
my $group = FastCGITest::PM::run_group();
my $uid   = FastCGITest::PM::run_uid();
my $gid   = FastCGITest::PM::run_gid();
my $other_user  = getpwuid(1) // 'daemon';
my $other_group = getgrgid(1) // 'daemon';

my $wdir = $h->dir . '/wrapper';
make_path($wdir, { mode => 0755 });
my $wrapper = "$wdir/wrapper.sh";
system('cp', t_dir() . '/apps/wrapper.sh', $wrapper) == 0 or die "cp wrapper.sh: $?";
chmod 0755, $wrapper;
my $wlog = "$wdir/wrapper.log";
{ open my $fh, '>', $wlog or die "$wlog: $!"; close $fh; chmod 0666, $wlog; }

my $resp  = $h->install("$bin/responder", 'st/resp.fcgi');
my $resp2 = $h->install("$bin/responder", 'st2/named.fcgi');
my $resp3 = $h->install("$bin/responder", 'st3/ids.fcgi');
my $dyn   = $h->install("$bin/responder", 'dyn/app.fcg');

$h->write_conf(
    "FastCgiWrapper $wrapper",
    "FastCgiServer $resp -initial-env WRAPVAR=1 -restart-delay 0",
    "FastCgiServer $resp2 -user $other_user -group $other_group",
    "FastCgiServer $resp3 -user #1 -group #1",
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
);

sub wlines {
    open my $fh, '<', $wlog or return ();
    return map { chomp; $_ } <$fh>;
}
sub wline_for {
    my ($base) = @_;
    return grep { / base=\Q$base\E / } wlines();
}
sub pid_of { my ($r) = @_; return $r->{body} =~ /pid=(\d+)/ ? $1 : 0 }

my $started = $h->start;
ok t_cmp($started, 1, 'httpd with FastCgiWrapper starts' . ($started ? '' : ": $h->{error}"));
my $pm = $h->pm_pid // 0;
ok t_cmp($h->log_since(0), qr/FastCGI: wrapper mechanism enabled \(wrapper: \Q$wrapper\E\)/,
         'log: FastCGI: wrapper mechanism enabled (wrapper: <path>)');

# ------------------------------------------------------ default identity
my $p1;
{
    my $i = $h->wait_instances($resp, 1, 5);
    ($p1) = keys %$i;
    $p1 //= 0;
    my $info = $i->{$p1} || { cmdline => [], environ => {} };
    my @w = wline_for('resp.fcgi');
    ok t_cmp(scalar(@w), 1, 'the wrapper ran once for resp.fcgi');
    ok t_cmp($w[0] // '', "uid=$uid euid=$uid gid=$gid argc=3 user=$user group=$group base=resp.fcgi cwd=$htdocs/st",
             "wrapper got: $user $group resp.fcgi, ran as httpd's User in the app's directory");
    ok t_cmp(join(' ', @{ $info->{cmdline} }), './resp.fcgi', 'the instance is what the wrapper exec\'d');
    ok t_cmp($info->{cwd} // '', "$htdocs/st", 'instance cwd');
    ok t_cmp(($info->{uid} // -1) . '/' . ($info->{euid} // -1), "$uid/$uid", "instance runs as httpd's User");
    ok t_cmp($info->{ppid} // 0, $pm, 'instance is a child of the PM (the wrapper exec\'d, no fork)');
    ok t_cmp($info->{environ}{WRAPVAR} // 'unset', '1', '-initial-env reaches the app through the wrapper');
    my $sock = "$ipc/" . FastCGITest::PM::md5_name($resp, $user, $group);
    ok t_cmp(-S $sock ? 1 : 0, 1, "socket name is md5(path . \"$user\" . \"$group\") as the original: $sock");
    my $r = $h->http(path => '/st/resp.fcgi?env');
    ok t_cmp($r->{status}, 200, 'request through the wrapped static app: 200');
    ok t_cmp(parse_env($r->{body})->{SCRIPT_FILENAME} // '', $resp, 'SCRIPT_FILENAME');
    $r = $h->http(path => '/st/resp.fcgi?pid');
    ok t_cmp(pid_of($r), $p1, 'served by the wrapped instance');
}

# ----------------------------------------------------- -user / -group
{
    $h->wait_instances($resp2, 1, 5);
    $h->wait_instances($resp3, 1, 5);
    my @w = wline_for('named.fcgi');
    ok t_cmp($w[0] // '', "uid=$uid euid=$uid gid=$gid argc=3 user=$other_user group=$other_group base=named.fcgi cwd=$htdocs/st2",
             "-user $other_user -group $other_group: passed to the wrapper (which still runs as httpd's User)");
    ok t_cmp(-S "$ipc/" . FastCGITest::PM::md5_name($resp2, $other_user, $other_group) ? 1 : 0, 1,
             'socket name is md5(path . user . group) with the -user/-group names');
    my $r = $h->http(path => '/st2/named.fcgi?env');
    ok t_cmp($r->{status}, 200, '-user/-group app answers');

    @w = wline_for('ids.fcgi');
    ok t_cmp($w[0] // '', "uid=$uid euid=$uid gid=$gid argc=3 user=$other_user group=$other_group base=ids.fcgi cwd=$htdocs/st3",
             "-user #1 -group #1: the wrapper gets the names ($other_user $other_group)");
    $r = $h->http(path => '/st3/ids.fcgi?env');
    ok t_cmp($r->{status}, 200, '-user #1 app answers');
}

# --------------------------------------------- restart through the wrapper
{
    my $m = $h->log_mark;
    kill 'KILL', $p1;
    my $log = $h->wait_log($m, qr/server "\Q$resp\E" restarted \(pid \d+\)/, 5);
    my ($p2) = $log =~ /server "\Q$resp\E" restarted \(pid (\d+)\)/;
    ok t_cmp($p2 ? 1 : 0, 1, 'killed wrapped instance is restarted');
    sleep 0.3;
    my @w = wline_for('resp.fcgi');
    ok t_cmp(scalar(@w), 2, 'the restart went through the wrapper again');
    my $r = $h->http(path => '/st/resp.fcgi?pid');
    ok t_cmp(pid_of($r), $p2 // -1, 'the new instance serves');
    ok t_cmp(FastCGITest::PM::exists_pid($p1), 0, 'the killed one was reaped');
}

# ------------------------------- dynamic app without a suexec identity
{
    my $before = scalar(wlines());
    my $r = $h->http(path => '/dyn/app.fcg?pid', timeout => 20);
    my $dp = pid_of($r);
    ok t_cmp($r->{status}, 200, 'dynamic app with a wrapper configured answers');
    my $info = $h->info($dp) || { cmdline => [] };
    ok t_cmp(join(' ', @{ $info->{cmdline} }), $dyn, 'dynamic app without a suexec identity runs without the wrapper');
    ok t_cmp(scalar(wlines()), $before, 'the wrapper was not called for it');
    ok t_cmp(($info->{uid} // -1) . '/' . ($info->{euid} // -1), "$uid/$uid", "... and not as root but as httpd's User");
    ok t_cmp(-S "$ipc/dynamic/" . FastCGITest::PM::md5_name($dyn, '-', '-') ? 1 : 0, 1, 'its socket is dynamic/md5(path NUL "-" NUL "-")');
}

$h->leak_check('wrapper', 20, sub {
    my $i = shift;
    my @p = ('/st/resp.fcgi?pid', '/st2/named.fcgi?pid', '/st3/ids.fcgi?pid', '/dyn/app.fcg?pid');
    $h->http(path => $p[$i % @p]);
});

# ---------------------------------------------------- the PM is killed
# The instances were started as root's child that then switched to the
# User: they must still die with the PM (as without a wrapper).
{
    my $old = $h->instances;
    my @old = sort { $a <=> $b } keys %$old;
    my $before = scalar(wlines());
    my $m = $h->log_mark;
    kill 'KILL', $pm;
    my $log = $h->wait_log($m, qr/process manager initialized \(pid \d+\)/, 5);
    ok t_cmp($log, qr/FastCGI: process manager \(pid $pm\) died, restarting it/, 'PM killed: httpd restarts it');
    ($pm) = $log =~ /process manager initialized \(pid (\d+)\)/;
    $pm //= 0;
    my $deadline = time + 3;
    my @left;
    while (1) {
        @left = grep { FastCGITest::PM::exists_pid($_) } @old;
        last if !@left || time > $deadline;
        sleep 0.1;
    }
    my %t = FastCGITest::PM::proc_table();
    ok t_cmp(scalar(@left), 0, "the old instances (@old) died with the PM; left: "
             . join(', ', map { "$_ (ppid " . (($t{$_} || {})->{ppid} // '?') . ')' } @left));
    my $i = $h->wait_instances($resp, 1, 5);
    ok t_cmp(scalar(keys %$i), 1, 'the new PM started resp.fcgi again');
    # the three static apps are spawned in one pass; their wrapper lines may
    # land a moment after resp.fcgi is seen running
    my $wdeadline = time + 5;
    sleep 0.1 while scalar(wlines()) - $before < 3 && time < $wdeadline;
    ok t_cmp(scalar(wlines()) - $before >= 3 ? 1 : 0, 1, 'through the wrapper');
    # the dynamic app again: served by an instance of the new PM
    my $r = $h->http(path => '/dyn/app.fcg?pid', timeout => 20);
    my $dp = pid_of($r);
    my $di = $h->info($dp) || {};
    ok t_cmp(($r->{status} == 200 && ($di->{ppid} // 0) == $pm) ? 1 : 0, 1,
             "after the crash a dynamic request is served by an instance of the new PM (pid $dp, ppid "
             . ($di->{ppid} // '?') . ", new PM $pm)");
}

# ----------------------------------------------------------------- stop
{
    my $all = $h->instances;
    my $took = $h->stop;
    ok t_cmp(defined $took ? 1 : 0, 1, sprintf('stop (%.2f s)', $took // -1));
    my @left = grep { FastCGITest::PM::exists_pid($_) } keys %$all, $pm;
    ok t_cmp(scalar(@left), 0, "no wrapped instance and no PM left (@left)");
    ok t_cmp(join(' ', $h->ipc_files), '', 'no socket file left');
    my @bad = $h->unexpected_errors(0, qr/process manager \(pid \d+\) died, restarting it/);
    ok t_cmp(scalar(@bad), 0, "no other error lines:\n" . join("\n", @bad));
}
