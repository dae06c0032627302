package FastCGITest::PM;
# A throw-away httpd for the process-manager tests (t/pm_*.t).
#
# The Apache::Test server cannot be stopped, restarted or reconfigured by a
# test file, and apps started at its start-up would run (and maybe restart)
# during every other test.  So each pm_*.t builds its own small httpd:
#
#   my $h = FastCGITest::PM->new('static');          # t/logs/pm_static/
#   $h->install("$bin/responder", 'st/resp.fcgi');    # copy into htdocs, 0755
#   $h->write_conf(@directives);                      # minimal config + these lines
#   $h->start or die;                                 # apache2 -k start, waits for the PM
#   my $r = $h->http(path => '/st/resp.fcgi?pid');     # FastCGITest::http on its port
#   $h->stop;                                         # apache2 -k stop, waits
#
# The instance runs as Apache::Test's User/Group (nobody:nogroup as root),
# logs to <dir>/error_log with ISO timestamps (log_times() parses them), and
# keeps its FastCgiIpcDir in <dir>/ipc.  Everything below the httpd parent is
# found through /proc: pm_pid(), instances(), info($pid) (cmdline, cwd,
# environ, uid, fds, pgrp, state).  An instance still running when the test
# file ends is stopped, and any process left in its directory is killed.
#
# Ports: FastCGITest::Ports::base() + 10 .. + 24 (see %offset below).
use strict;
use warnings;

use Apache::Test ();
use Apache::TestUtil ();
use Cwd qw(abs_path);
use Digest::MD5 qw(md5_hex);
use File::Basename qw(dirname basename);
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use IO::Select ();
use POSIX qw(WNOHANG);
use Storable ();
use Time::HiRes qw(time sleep);
use Time::Local qw(timelocal);

use FastCGITest ();
use FastCGITest::Ports ();

my %offset = (
    static     => 10,   # pm_static.t httpd
    static_tcp => 11,   # pm_static.t: FastCgiServer -port
    languages  => 12,
    dynamic    => 13,
    scaling    => 14,
    lifecycle  => 15,
    wrapper    => 16,
    conftest   => 17,   # pm_config_errors.t (apache2 -t only)
    parent     => 18,   # pm_parent.t
    sendfile   => 19,   # pm_sendfile.t
    limits     => 20,   # pm_limits.t
    troubleshoot => 21, # troubleshooting.t (FastCgiIpcDir, FastCgiServer start failures)
    drain      => 22,   # pm_drain.t
    drain_tcp  => 23,   # pm_drain.t: FastCgiServer -port
    caps       => 24,   # pm_caps.t
    reload     => 26,   # pm_reload.t
    reload_tcp => 27,   # pm_reload.t: FastCgiServer -port
);

sub port_of { FastCGITest::Ports::base() + ($offset{ $_[0] } // die "no port for $_[0]") }

my @instances;
my $main_pid = $$;

sub httpd_bin { FastCGITest::httpd_bin() }
sub module_so { FastCGITest::module_so() }
sub libexec   { FastCGITest::libexec() }
sub run_user  { Apache::Test::vars('user')  || 'nobody' }
sub run_group { Apache::Test::vars('group') || 'nogroup' }
sub run_uid   { scalar getpwnam(run_user()) }
sub run_gid   { scalar getgrnam(run_group()) }

sub new {
    my ($class, $name, %o) = @_;
    my $dir = FastCGITest::t_dir() . "/logs/pm_$name";
    my $self = bless {
        name => $name, dir => $dir, port => $o{port} || port_of($name),
        htdocs => "$dir/htdocs", ipc => "$dir/ipc", conf => "$dir/httpd.conf",
        error_log => "$dir/error_log", pidfile => "$dir/httpd.pid",
        env => $o{env} || {}, running => 0, mpm => $o{mpm} || 'event',
    }, $class;
    # never inherit a previous run's server
    if (-e $self->{pidfile}) {
        my $old = $self->pid;
        if ($old && kill 0, $old) {
            system(httpd_bin(), '-d', $dir, '-f', $self->{conf}, '-k', 'stop');
            $self->_wait_gone($old, 10);
        }
    }
    $self->kill_leftovers;
    remove_tree($dir);
    make_path("$dir/htdocs", "$dir/run", { mode => 0755 });
    chmod 0755, $dir;
    push @instances, $self;
    return $self;
}

sub dir    { $_[0]{dir} }
sub htdocs { $_[0]{htdocs} }
sub ipc    { $_[0]{ipc} }
sub port   { $_[0]{port} }
sub conf   { $_[0]{conf} }
sub error_log { $_[0]{error_log} }

# Copies $src to htdocs/$rel (mode 0755 unless given); returns the full path.
sub install {
    my ($self, $src, $rel, $mode) = @_;
    my $dst = "$self->{htdocs}/$rel";
    make_path(dirname($dst), { mode => 0755 });
    copy($src, $dst) or die "copy $src -> $dst: $!";
    chmod(defined $mode ? $mode : 0755, $dst);
    return $dst;
}

# Writes htdocs/$rel with $content.
sub put {
    my ($self, $rel, $content, $mode) = @_;
    my $dst = "$self->{htdocs}/$rel";
    make_path(dirname($dst), { mode => 0755 });
    open my $fh, '>', $dst or die "$dst: $!";
    print $fh $content;
    close $fh;
    chmod(defined $mode ? $mode : 0644, $dst);
    return $dst;
}

sub head_lines {
    my ($self) = @_;
    my $lib = libexec();
    my ($d, $h) = ($self->{dir}, $self->{htdocs});
    return (
        qq{ServerRoot "$d"},
        "LoadModule mpm_$self->{mpm}_module $lib/mod_mpm_$self->{mpm}.so",
        "LoadModule authz_core_module $lib/mod_authz_core.so",
        "LoadModule mime_module $lib/mod_mime.so",
        "LoadModule alias_module $lib/mod_alias.so",
        "TypesConfig /dev/null",
        'LoadModule fastcgi_module ' . module_so(),
        'ServerName localhost',
        "Listen 127.0.0.1:$self->{port}",
        'User ' . run_user(),
        'Group ' . run_group(),
        "PidFile $self->{pidfile}",
        "ErrorLog $self->{error_log}",
        'ErrorLogFormat "[%{cu}t] [%-m:%l] [pid %P] %F: %E: %M"',
        'LogLevel info',
        "DefaultRuntimeDir $d/run",
        $self->mpm_lines,
        "DocumentRoot $h",
        "<Directory $h>",
        '    Require all granted',
        '    Options None',
        '</Directory>',
        "FastCgiIpcDir $self->{ipc}",
    );
}

# The MPM's sizing: event (the default) with up to 2 children of 16 threads;
# prefork (new(..., mpm => 'prefork')) with 12 processes, each request in a
# process of its own.
sub mpm_lines {
    my ($self) = @_;
    return ('StartServers 12', 'ServerLimit 16', 'MaxRequestWorkers 16', 'MinSpareServers 12',
            'MaxSpareServers 16')
        if $self->{mpm} eq 'prefork';
    return ('StartServers 1', 'ServerLimit 2', 'ThreadsPerChild 16', 'MaxRequestWorkers 32',
            'MinSpareThreads 8', 'MaxSpareThreads 32');
}

sub set_mpm { $_[0]{mpm} = $_[1] }

sub write_conf {
    my ($self, @body) = @_;
    open my $fh, '>', $self->{conf} or die "$self->{conf}: $!";
    print $fh "# generated by FastCGITest::PM for t/pm_$self->{name}.t\n";
    print $fh "$_\n" for $self->head_lines, @body;
    close $fh;
    return $self->{conf};
}

# ------------------------------------------------------------ control ---

sub _ctl {
    my ($self, $what) = @_;
    local %ENV = (%ENV, %{ $self->{env} });
    my $out = `${\ httpd_bin()} -d $self->{dir} -f $self->{conf} -k $what 2>&1`;
    $self->{last_ctl_output} = $out;
    return $? == 0;
}

sub pid {
    my ($self) = @_;
    open my $fh, '<', $self->{pidfile} or return;
    my $p = <$fh>;
    return unless defined $p && $p =~ /^(\d+)/;
    return $1;
}

sub _wait_gone {
    my ($self, $pid, $timeout) = @_;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        return 1 unless kill 0, $pid;
        sleep 0.05;
    }
    return !kill 0, $pid;
}

# apache2 -k start; waits until the parent runs and the PM said it is ready.
sub start {
    my ($self, $timeout) = @_;
    $timeout ||= 10;
    my $mark = $self->log_mark;
    $self->_ctl('start') or do {
        $self->{error} = "apache2 -k start failed: $self->{last_ctl_output}";
        return 0;
    };
    $self->{running} = 1;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        my $p = $self->pid;
        if ($p && kill(0, $p) && $self->log_since($mark) =~ /process manager initialized \(pid (\d+)\)/) {
            $self->{parent} = $p;
            return 1;
        }
        sleep 0.05;
    }
    $self->{error} = "httpd or its process manager did not come up: " . $self->log_since($mark);
    return 0;
}

# apache2 -k stop; waits until the parent is gone. Returns seconds taken, or
# undef when it did not stop in $timeout.
sub stop {
    my ($self, $timeout) = @_;
    $timeout ||= 15;
    my $p = $self->pid;
    my $t0 = time;
    $self->_ctl('stop');
    $self->{running} = 0;
    return 0 unless $p;
    return $self->_wait_gone($p, $timeout) ? time - $t0 : undef;
}

# apache2 -k graceful / restart; waits for a new PM (other than the current
# one). Returns the new PM pid, or undef.
sub reload {
    my ($self, $how, $timeout) = @_;
    $timeout ||= 15;
    my $old = $self->pm_pid || 0;
    my $mark = $self->log_mark;
    $self->_ctl($how) or return;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        if ($self->log_since($mark) =~ /process manager initialized \(pid (\d+)\)/ && $1 != $old) {
            my $new = $1;
            # the new PM is the one running under the parent
            my $now = $self->pm_pid || 0;
            return $new if $now == $new;
        }
        sleep 0.05;
    }
    return;
}

sub graceful { $_[0]->reload('graceful', $_[1]) }
sub restart  { $_[0]->reload('restart', $_[1]) }

# ---------------------------------------------------------------- http ---

sub http {
    my ($self, %o) = @_;
    return FastCGITest::http(host => '127.0.0.1', port => $self->{port}, %o);
}

# One request (http() options) in a child process: { pid, fh } to read its
# result from (collect()). The result gains t_start, t_end and elapsed; the
# raw bytes are dropped.
sub background {
    my ($self, %o) = @_;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        close $rd;
        my $t0 = time;
        my $res = eval { $self->http(%o) } || { status => 0, error => $@ };
        $res->{t_start} = $t0;
        $res->{t_end} = time;
        $res->{elapsed} = $res->{t_end} - $t0;
        delete $res->{raw};
        binmode $wr;
        print $wr Storable::nfreeze($res);
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    return { pid => $pid, fh => $rd, buf => '' };
}

# The result of a background() request (waits for it).
sub collect {
    my ($self, $k) = @_;
    my $fh = $k->{fh};
    if ($fh) {
        binmode $fh;
        local $/;
        $k->{buf} .= <$fh> // '';
        close $fh;
    }
    waitpid($k->{pid}, 0);
    return length $k->{buf} ? Storable::thaw($k->{buf}) : { status => 0, error => 'no result' };
}

# Runs the requests (hashrefs of http() options) in parallel child processes;
# calls $tick every 0.1 s while they run. Returns the results in order.
sub parallel {
    my ($self, $reqs, $tick) = @_;
    my @kids = map { $self->background(%$_) } @$reqs;
    my $sel = IO::Select->new(map { $_->{fh} } @kids);
    my %by_fh = map { ($_->{fh} => $_) } @kids;
    my $next_tick = time;
    while ($sel->count) {
        if ($tick && time >= $next_tick) { $tick->(); $next_tick = time + 0.1 }
        for my $fh ($sel->can_read(0.1)) {
            my $k = $by_fh{$fh};
            my $n = sysread($fh, my $chunk, 65536);
            if ($n) { $k->{buf} .= $chunk; next }
            $sel->remove($fh);
            close $fh;
            delete $k->{fh};
        }
    }
    return map { $self->collect($_) } @kids;
}

# ----------------------------------------------------------------- log ---

sub log_mark { -s $_[0]{error_log} || 0 }

sub log_since {
    my ($self, $mark) = @_;
    return FastCGITest::file_since($self->{error_log}, $mark);
}

# Waits up to $timeout s until the log after $mark matches $re; returns the
# log text after $mark (match it again to get the captures).
sub wait_log {
    my ($self, $mark, $re, $timeout) = @_;
    return FastCGITest::wait_match(sub { $self->log_since($mark) }, $re, $timeout || 5);
}

# Lines after $mark matching $re: list of [epoch seconds (float), line].
sub log_times {
    my ($self, $mark, $re) = @_;
    my @out;
    for my $line (split /\n/, $self->log_since($mark)) {
        next unless $line =~ $re;
        my $t;
        if ($line =~ /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?\]/) {
            $t = timelocal($6, $5, $4, $3, $2 - 1, $1) + ($7 || 0);
        }
        push @out, [$t, $line];
    }
    return @out;
}

# error/crit/alert/emerg lines after $mark that match none of @allowed
sub unexpected_errors {
    my ($self, $mark, @allowed) = @_;
    return FastCGITest::error_lines($self->log_since($mark), @allowed);
}

# Lines that tell of a crash of httpd or of a child.
sub crash_lines {
    my ($self, $mark) = @_;
    return grep { /exit signal|segfault|Segmentation|AH00052|double free|stack smashing|terminate called/ }
        split /\n/, $self->log_since($mark);
}

# ---------------------------------------------------------------- /proc ---

# pid => { comm, state, ppid, pgrp, sid }
sub proc_table { FastCGITest::proc_table() }

sub children_of {
    my ($self, $parent) = @_;
    return FastCGITest::children_of($parent);
}

# The process manager: the child of the httpd parent named fcgi-pm.
sub pm_pid {
    my ($self) = @_;
    my $p = $self->pid or return;
    my %t = proc_table();
    my @pm = grep { $t{$_}{ppid} == $p && $t{$_}{comm} eq 'fcgi-pm' } keys %t;
    return $pm[0];
}

# The httpd parent's children that are not the PM (the MPM's processes).
sub httpd_children {
    my ($self) = @_;
    my $p = $self->pid or return;
    my %t = proc_table();
    return sort { $a <=> $b } grep { $t{$_}{ppid} == $p && $t{$_}{comm} ne 'fcgi-pm' } keys %t;
}

sub cmdline {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/cmdline" or return;
    local $/;
    my $c = <$fh>;
    return unless defined $c;
    return split /\0/, $c;
}

sub environ {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/environ" or return;
    local $/;
    my $c = <$fh>;
    my %e;
    for (split /\0/, defined $c ? $c : '') {
        my ($k, $v) = split /=/, $_, 2;
        $e{$k} = $v;
    }
    return \%e;
}

sub status_field {
    my ($pid, $field) = @_;
    open my $fh, '<', "/proc/$pid/status" or return;
    while (my $l = <$fh>) { return $1 if $l =~ /^\Q$field\E:\s+(.*)$/ }
    return;
}

sub fds {
    my ($pid) = @_;
    opendir my $d, "/proc/$pid/fd" or return;
    my %f;
    for my $fd (grep /^\d+$/, readdir $d) {
        $f{$fd} = readlink("/proc/$pid/fd/$fd") // '?';
    }
    return \%f;
}

# Everything about one process, or undef when it is gone.
sub info {
    my ($self, $pid) = @_;
    my %t = proc_table();
    my $p = $t{$pid} or return;
    my @cmd = cmdline($pid);
    my ($ruid, $euid) = split /\s+/, (status_field($pid, 'Uid') // '-1 -1');
    return {
        %$p, pid => $pid, cmdline => \@cmd, cwd => scalar(readlink("/proc/$pid/cwd")),
        environ => scalar(environ($pid)), uid => $ruid, euid => $euid, fds => scalar(fds($pid)),
    };
}

sub alive { my $pid = shift; return 0 unless $pid; my %t = proc_table(); return $t{$pid} && $t{$pid}{state} ne 'Z' ? 1 : 0 }
sub exists_pid { my $pid = shift; return -e "/proc/$pid" ? 1 : 0 }

# Children of the PM (application instances as the PM started them), as
# { pid => info }.  With $path only those running that application: argv[0]
# is the path, or the script argument of an interpreter ("#!"), or
# "./basename" in its directory (through a wrapper).
sub instances {
    my ($self, $path) = @_;
    my $pm = $self->pm_pid or return {};
    my %out;
    for my $c ($self->children_of($pm)) {
        my $i = $self->info($c) or next;
        if (defined $path) {
            my @a = @{ $i->{cmdline} };
            my $hit = (@a && $a[0] eq $path)
                || (@a > 1 && $a[1] eq $path)
                || (@a && $a[0] eq './' . basename($path) && ($i->{cwd} // '') eq dirname($path));
            next unless $hit;
        }
        $out{$c} = $i;
    }
    return \%out;
}

# Waits until instances($path) has $n members (all alive); returns them.
sub wait_instances {
    my ($self, $path, $n, $timeout) = @_;
    $timeout ||= 5;
    my $deadline = time + $timeout;
    my $i;
    while (1) {
        $i = $self->instances($path);
        my @live = grep { $i->{$_}{state} ne 'Z' } keys %$i;
        return $i if @live == $n;
        return $i if time > $deadline;
        sleep 0.05;
    }
}

# Zombies among the PM's children (pids).
sub zombies {
    my ($self) = @_;
    my $pm = $self->pm_pid or return;
    my %t = proc_table();
    return grep { $t{$_}{ppid} == $pm && $t{$_}{state} eq 'Z' } keys %t;
}

# Members of process group $pgrp.
sub group_members {
    my ($self, $pgrp) = @_;
    my %t = proc_table();
    return sort { $a <=> $b } grep { $t{$_}{pgrp} == $pgrp } keys %t;
}

# Every process below the httpd parent: { pid => {comm, state, ppid, depth} }.
sub descendants {
    my ($self) = @_;
    my $parent = $self->pid or return {};
    return FastCGITest::descendants_of($parent);
}

# Processes that belong to this instance's directory: httpd itself (its
# command line names the config), the PM, and every app whose working
# directory or command line is inside it.  { pid => "comm cwd" }
sub procs_in_dir {
    my ($self) = @_;
    my $d = $self->{dir};
    my %t = proc_table();
    my %out;
    for my $pid (keys %t) {
        next if $pid == $$;
        my $cwd = readlink("/proc/$pid/cwd") // '';
        my $cmd = join ' ', cmdline($pid);
        next unless index($cwd, $d) == 0 || index($cmd, $d) >= 0;
        $out{$pid} = "$t{$pid}{comm} [$t{$pid}{state}] cwd=$cwd cmd=$cmd";
    }
    return \%out;
}

sub kill_leftovers {
    my ($self) = @_;
    my $left = $self->procs_in_dir;
    kill 'KILL', keys %$left if %$left;
    return $left;
}

# Files in the IPC directory (relative names; "dynamic/x" for dynamic ones).
sub ipc_files {
    my ($self) = @_;
    my @out;
    for my $sub ('', 'dynamic') {
        my $d = $sub ? "$self->{ipc}/$sub" : $self->{ipc};
        opendir my $dh, $d or next;
        for my $f (sort grep { !/^\.\.?$/ } readdir $dh) {
            next if !$sub && $f eq 'dynamic' && -d "$d/$f";
            # the PM's record of its instances and its pid file are
            # bookkeeping, not sockets; they are checked on their own after
            # a stop (pm_drain.t, pm_reload.t)
            next if !$sub && ($f eq 'pm.instances' || $f eq 'pm.pid');
            push @out, $sub ? "$sub/$f" : $f;
        }
    }
    return @out;
}

# A socket name: md5 of the path alone, or of path NUL user NUL group.
sub md5_name { md5_hex(join "\0", @_) }

# /proc/net/unix: path => inode of every bound Unix socket.
sub unix_socket_inodes {
    my %m;
    open my $fh, '<', '/proc/net/unix' or return %m;
    <$fh>;
    while (my $l = <$fh>) {
        my @f = split ' ', $l;
        next unless @f >= 8;
        push @{ $m{ $f[7] } }, $f[6];
    }
    return %m;
}

# Listening TCP sockets on $port: list of "a.b.c.d" local addresses.
sub tcp_listeners {
    my ($port) = @_;
    my @out;
    for my $file ('/proc/net/tcp') {
        open my $fh, '<', $file or next;
        <$fh>;
        while (my $l = <$fh>) {
            my @f = split ' ', $l;
            my ($ip, $p) = split /:/, $f[1];
            next unless hex($p) == $port && $f[3] eq '0A';
            push @out, join '.', reverse map { hex } unpack('(A2)4', $ip);
        }
    }
    return @out;
}

# ---------------------------------------------------------------- leaks ---

# Runs $code->($i) $n times and checks that the httpd children did not gain
# descriptors and that no process was left behind (application instances
# that existed before may stay).  Emits 2 tests.
sub leak_check {
    my ($self, $name, $n, $code) = @_;
    FastCGITest::check_leaks(
        name => $name, n => $n, code => $code,
        children => sub { $self->httpd_children },
        fd_count => sub { scalar(keys %{ fds($_[0]) || {} }) },
        descendants => sub { $self->descendants },
        mpm_test => sub { sub { $_[0]{comm} ne 'fcgi-pm' } });   # a new MPM process
}

END {
    if ($$ == $main_pid) {
        local $?;
        for my $self (@instances) {
            my $p = $self->pid;
            if ($p && kill 0, $p) {
                $self->_ctl('stop');
                $self->_wait_gone($p, 10);
            }
            $self->kill_leftovers;
        }
    }
}

1;
