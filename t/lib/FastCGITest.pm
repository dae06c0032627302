package FastCGITest;
# Helpers shared by the t/*.t files of the mod_fastcgi suite:
#   * start/stop the external FastCGI apps a test file needs (fork+exec, wait
#     until they accept, kill the whole process group at END, reap);
#   * a raw HTTP client (exact bytes, chunked uploads, chunked-response
#     integrity, time to first body byte, streaming md5 of huge bodies);
#   * error_log marks, waits and "no unexpected [error]" checks;
#   * httpd process/descriptor/RSS inspection for leak checks.
use strict;
use warnings;

use Apache::Test ();
use Apache::TestUtil ();
use Cwd qw(abs_path);
use Digest::MD5 ();
use Errno qw(EAGAIN EINTR EWOULDBLOCK EINPROGRESS);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use IO::Select ();
use IO::Socket::INET ();
use IO::Socket::IP ();
use IO::Socket::UNIX ();
use POSIX qw(WNOHANG);
use Socket qw(SOCK_STREAM SOMAXCONN);
use Time::HiRes qw(time sleep);

use Exporter 'import';
our @EXPORT = qw(
    t_dir top_dir ipc_dir docroot error_log_path app_bin port
    start_apps stop_apps app_pid make_stale_socket full_backlog_listener
    have_ipv6 need_php_cgi need_go have_go have_php_cgi
    http parse_env env_lines pattern_md5 random_bytes url_encode
    log_mark log_since wait_log log_line unexpected_errors
    httpd_pid httpd_children httpd_descendants fd_count rss_kb children_rss_kb
    children_rss_map rss_sample rss_growth
    leak_check crash_check app_request_log_mark app_requests_since
    server_host server_port hdr timed in_children h2c_hostport
);

$SIG{PIPE} = 'IGNORE';

# ---------------------------------------------------------------- paths ---

sub t_dir   { my $d = Apache::Test::vars('t_dir'); $d }
sub top_dir { Apache::Test::vars('top_dir') }
sub ipc_dir { t_dir() . '/logs/fcgi_ipc' }
sub docroot { Apache::Test::vars('documentroot') }
sub error_log_path { t_dir() . '/logs/error_log' }
sub app_bin { t_dir() . '/apps/bin' }
sub port    { Apache::Test::vars('fcgi_port_' . $_[0]) }

sub server_host { '127.0.0.1' }
sub server_port { Apache::Test::vars('port') }

# the httpd binary, the module under test and the directory of Apache's
# modules (for throw-away configs: FastCGITest::PM, FastCGITest::ConfigCheck)
sub httpd_bin { Apache::Test::vars('httpd') || '/usr/sbin/apache2' }
sub module_so { Apache::Test::config()->{modules}{'mod_fastcgi.c'} }
sub libexec {
    my $l = `apxs -q LIBEXECDIR 2>/dev/null` || '/usr/lib/apache2/modules';
    chomp $l;
    return $l;
}

sub have_php_cgi { my $p = `command -v php-cgi 2>/dev/null`; chomp $p; $p }
sub have_go      { -x app_bin() . '/app_go' }
sub need_php_cgi { { 'php-cgi not installed' => have_php_cgi() ? 1 : 0 } }
sub need_go      { { 'Go app not built (no go toolchain)' => have_go() ? 1 : 0 } }

my $ipv6;
# host:port of the h2c virtual host (HTTP/2 cleartext, prior knowledge),
# or undef when mod_http2 or an h2-capable curl is missing.
sub h2c_hostport {
    require Apache::TestRequest;
    return undef unless Apache::Test::have_module('http2') && `curl --version 2>/dev/null` =~ /nghttp2/;
    Apache::TestRequest::module('h2c');
    my $hp = Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    return $hp;
}

sub have_ipv6 {
    return $ipv6 if defined $ipv6;
    my $s = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0, Listen => 1,
                                Type => SOCK_STREAM);
    $ipv6 = $s ? 1 : 0;
    return $ipv6;
}

# ------------------------------------------------------------------ apps ---

my %running;      # name => { pid, addr, ... }
my @keep;         # sockets kept open for the life of the test file

sub app_specs {
    my $bin = app_bin();
    my $ipc = ipc_dir();
    my $t   = t_dir();
    my $reqlog = "$t/logs/app_requests.log";
    return (
        c       => { addr => "$ipc/c.sock",
                     cmd  => [ "$bin/responder", '-n', 4, "$ipc/c.sock" ],
                     env  => { FCGI_TEST_LOG => $reqlog } },
        # four workers kept by -max-conns 4: t/keep_conn.t under parallel load
        c4      => { addr => "$ipc/c4.sock",
                     cmd  => [ "$bin/responder", '-n', 4, "$ipc/c4.sock" ],
                     env  => { FCGI_TEST_LOG => $reqlog } },
        # one worker: t/sendfile.t shows the app is free during a download
        sf      => { addr => "$ipc/sf.sock",
                     cmd  => [ "$bin/responder", '-n', 1, "$ipc/sf.sock" ],
                     env  => { FCGI_TEST_LOG => $reqlog } },
        c_tcp   => { addr => '127.0.0.1:' . port('c'),
                     cmd  => [ "$bin/responder", '-n', 4, '127.0.0.1:' . port('c') ],
                     env  => { FCGI_TEST_LOG => $reqlog } },
        c_v6    => { addr => '[::1]:' . port('c6'), prebind => 1,
                     cmd  => [ "$bin/responder", '-n', 2 ],
                     env  => { FCGI_TEST_LOG => $reqlog } },
        raw     => { addr => "$ipc/raw.sock",
                     cmd  => [ $^X, "$t/apps/raw.pl", "$ipc/raw.sock" ] },
        # raw.pl that keeps connections (FCGI_KEEP_CONN): t/faults.t
        raw_keep => { addr => "$ipc/raw-keep.sock",
                     cmd  => [ $^X, "$t/apps/raw.pl", '--keep', "$ipc/raw-keep.sock" ] },
        raw_tcp => { addr => '127.0.0.1:' . port('raw'),
                     cmd  => [ $^X, "$t/apps/raw.pl", '127.0.0.1:' . port('raw') ] },
        perl    => { addr => "$ipc/perl.sock",
                     cmd  => [ $^X, "$t/apps/echo.pl", "$ipc/perl.sock", 2 ] },
        php     => { addr => "$ipc/php.sock",
                     cmd  => [ have_php_cgi() || 'php-cgi', '-d', 'post_max_size=0',
                               '-d', 'memory_limit=1024M', '-d', 'display_errors=stderr',
                               '-b', "$ipc/php.sock" ],
                     env  => { PHP_FCGI_CHILDREN => 2, PHP_FCGI_MAX_REQUESTS => 0 } },
        go      => { addr => "$ipc/go.sock",
                     cmd  => [ "$bin/app_go", "$ipc/go.sock" ] },
    );
}

sub ensure_ipc_dir {
    my $ipc = ipc_dir();
    return if -d $ipc;
    make_path($ipc, { mode => 0755 });
}

sub connect_addr {
    my ($addr, $timeout) = @_;
    $timeout ||= 2;
    if ($addr =~ m{^/}) {
        return IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $addr);
    }
    my ($h, $p) = $addr =~ /^\[?([^\]]*?)\]?:(\d+)$/ or die "bad address $addr";
    return IO::Socket::IP->new(PeerHost => $h, PeerPort => $p, Type => SOCK_STREAM,
                               Timeout => $timeout);
}

# Become a "child subreaper" (Linux prctl PR_SET_CHILD_SUBREAPER): workers an
# app forked and orphaned when it stopped are re-parented to this test
# process, which reaps them, instead of piling up as zombies of init.
my $subreaper;
sub become_subreaper {
    return if $subreaper++;
    return unless $^O eq 'linux';
    require Config;
    my %nr = (x86_64 => 157, aarch64 => 167, i386 => 172, i686 => 172);
    my ($arch) = $Config::Config{archname} =~ /^([^-]+)/;
    my $sys = $nr{$arch} or return;
    syscall($sys, 36, 1, 0, 0, 0);
}

sub start_apps {
    my @names = @_;
    my %spec = app_specs();
    become_subreaper();
    ensure_ipc_dir();
    for my $name (@names) {
        next if $running{$name};
        my $s = $spec{$name} or die "unknown app $name";
        my $log = t_dir() . "/logs/app_$name.log";
        my $listen;
        if ($s->{prebind}) {
            my ($h, $p) = $s->{addr} =~ /^\[?([^\]]*?)\]?:(\d+)$/;
            $listen = IO::Socket::IP->new(LocalHost => $h, LocalPort => $p, Listen => SOMAXCONN,
                                          ReuseAddr => 1, Type => SOCK_STREAM)
                or die "cannot listen on $s->{addr}: $@";
        } elsif ($s->{addr} =~ m{^/}) {
            unlink $s->{addr};
        }
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            setpgrp(0, 0);
            open STDOUT, '>>', $log;
            open STDERR, '>&', \*STDOUT;
            if ($listen) {
                POSIX::dup2(fileno($listen), 0) or POSIX::_exit(97);
            } else {
                open STDIN, '<', '/dev/null';
            }
            $ENV{$_} = $s->{env}{$_} for keys %{ $s->{env} || {} };
            umask 0;
            chdir t_dir() . '/apps';
            exec @{ $s->{cmd} } or POSIX::_exit(98);
        }
        close $listen if $listen;
        $running{$name} = { pid => $pid, addr => $s->{addr} };
        # ready check: connect until it works
        my $deadline = time + 15;
        my $ok = 0;
        while (time < $deadline) {
            if (waitpid($pid, WNOHANG) == $pid) {
                delete $running{$name};
                die "app $name exited at start (status $?), see $log\n";
            }
            if (my $c = connect_addr($s->{addr})) { close $c; $ok = 1; last }
            sleep 0.05;
        }
        die "app $name does not accept on $s->{addr} after 15 s, see $log\n" unless $ok;
    }
    return 1;
}

sub app_pid { $running{ $_[0] } && $running{ $_[0] }{pid} }

sub stop_apps {
    # TERM to the leader only: each app stops and reaps its own workers, so
    # nothing is left as a zombie of init; stragglers get KILL afterwards
    for my $name (keys %running) {
        kill 'TERM', $running{$name}{pid};
    }
    my $deadline = time + 3;
    for my $name (keys %running) {
        my $pid = $running{$name}{pid};
        while (time < $deadline) {
            last if waitpid($pid, WNOHANG) == $pid;
            sleep 0.05;
        }
        if (kill 0, $pid) {
            kill 'KILL', -$pid;
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
        kill 'KILL', -$pid;   # stragglers of the group (forked workers)
        unlink $running{$name}{addr} if $running{$name}{addr} =~ m{^/};
        delete $running{$name};
    }
    @keep = ();
    # reap orphaned workers re-parented to us (see become_subreaper)
    my $until = time + 1;
    while (time < $until) {
        my $p = waitpid(-1, WNOHANG);
        last if $p < 0;          # no children at all
        sleep 0.05 if $p == 0;
    }
}

my $main_pid = $$;
END {
    local $?;
    stop_apps() if $$ == $main_pid;
}

# A socket file that exists but nobody listens on (connect -> ECONNREFUSED).
sub make_stale_socket {
    my ($path) = @_;
    ensure_ipc_dir();
    unlink $path;
    my $old = umask 0;
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 1)
        or die "cannot create $path: $!";
    umask $old;
    close $s;   # the file stays
    return -S $path;
}

# A TCP listener whose accept queue is full: further SYNs are dropped, so a
# connect() to it hangs until the client's own timeout.  Returns the number of
# queued filler connections; everything stays open until stop_apps/exit.
sub full_backlog_listener {
    my ($port) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Listen => 0, ReuseAddr => 1, Proto => 'tcp')
        or die "cannot listen on 127.0.0.1:$port: $!";
    push @keep, $l;
    my $filled = 0;
    for (1 .. 8) {
        my $c = IO::Socket::INET->new(Proto => 'tcp', Blocking => 0) or next;
        my $sa = Socket::pack_sockaddr_in($port, Socket::inet_aton('127.0.0.1'));
        connect($c, $sa);
        push @keep, $c;
        $filled++;
    }
    sleep 0.3;
    # probe: a blocking connect with a 1 s timeout must now fail
    my $probe = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp', Timeout => 1);
    return $probe ? 0 : 1;
}

# ------------------------------------------------------------- app logs ---

sub app_request_log_mark {
    my $f = t_dir() . '/logs/app_requests.log';
    return -s $f || 0;
}

sub app_requests_since {
    my ($mark) = @_;
    return file_since(t_dir() . '/logs/app_requests.log', $mark);
}

# ------------------------------------------------------------ log files ---
# (generic: also used by FastCGITest::PM on its own error_log)

# The text of $file after byte $mark ('' when it cannot be read).
sub file_since {
    my ($file, $mark) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $mark || 0, 0;
    local $/;
    my $d = <$fh>;
    return defined $d ? $d : '';
}

# Calls $read->() every 0.05 s until its text matches $re or $timeout s have
# passed; returns the last text.
sub wait_match {
    my ($read, $re, $timeout) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my $t = $read->();
        return $t if $t =~ $re;
        return $t if time > $deadline;
        sleep 0.05;
    }
}

# Lines of $text at error/crit/alert/emerg that match none of @allowed.
sub error_lines {
    my ($text, @allowed) = @_;
    my @bad;
    for my $line (split /\n/, $text) {
        next unless $line =~ /\[(?:[\w.-]+:)?(error|crit|alert|emerg)\]/;
        next if grep { $line =~ $_ } @allowed;
        push @bad, $line;
    }
    return @bad;
}

# ------------------------------------------------------------ error_log ---

sub log_mark { -s error_log_path() || 0 }

sub log_since {
    my ($mark) = @_;
    return file_since(error_log_path(), $mark);
}

# Waits (up to $timeout s) until the log text after $mark matches $re.
sub wait_log {
    my ($mark, $re, $timeout) = @_;
    return wait_match(sub { log_since($mark) }, $re, $timeout || 3);
}

# First line of the log text after $mark that matches every regex in @re;
# waits up to 3 s for it, then returns ''.
sub log_line {
    my ($mark, @re) = @_;
    my $deadline = time + 3;
    while (1) {
        for my $line (split /\n/, log_since($mark)) {
            return $line unless grep { $line !~ $_ } @re;
        }
        return '' if time > $deadline;
        select undef, undef, undef, 0.05;
    }
}

# Lines at error/crit/alert/emerg after $mark that match none of @allowed.
sub unexpected_errors {
    my ($mark, @allowed) = @_;
    return error_lines(log_since($mark), @allowed);
}

# --------------------------------------------------------- httpd procs ---

sub httpd_pid {
    my $f = t_dir() . '/logs/httpd.pid';
    open my $fh, '<', $f or return;
    my $p = <$fh>;
    return unless defined $p;
    chomp $p;
    return $p =~ /^(\d+)$/ ? $1 : undef;
}

# Every process: pid => { comm, state, ppid, pgrp, sid } (from /proc/PID/stat).
sub proc_table {
    my %t;
    opendir my $d, '/proc' or return %t;
    for my $pid (grep /^\d+$/, readdir $d) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $st = <$fh>;
        next unless defined $st && $st =~ /^\d+ \((.*)\) (\S) (-?\d+) (-?\d+) (-?\d+)/s;
        $t{$pid} = { comm => $1, state => $2, ppid => $3, pgrp => $4, sid => $5 };
    }
    return %t;
}

# The children of $parent, sorted by pid.
sub children_of {
    my ($parent) = @_;
    my %t = proc_table();
    return sort { $a <=> $b } grep { $t{$_}{ppid} == $parent } keys %t;
}

sub httpd_children {
    my $parent = httpd_pid() or return;
    return children_of($parent);
}

# Every process below the httpd parent: { pid => {comm, state, ppid, depth} }.
sub httpd_descendants {
    my $parent = httpd_pid() or return {};
    return descendants_of($parent);
}

# Every process below $parent: { pid => {comm, state, ppid, ..., depth} }.
sub descendants_of {
    my ($parent) = @_;
    my %t = proc_table();
    my %d;
    my @todo = ([$parent, 0]);
    while (my $x = shift @todo) {
        my ($p, $depth) = @$x;
        for my $c (grep { $t{$_}{ppid} == $p } keys %t) {
            $d{$c} = { %{ $t{$c} }, depth => $depth + 1 };
            push @todo, [$c, $depth + 1];
        }
    }
    return \%d;
}

sub fd_count {
    my ($pid) = @_;
    opendir my $d, "/proc/$pid/fd" or return;
    my $n = grep { /^\d+$/ } readdir $d;
    return $n;
}

sub rss_kb {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    while (my $l = <$fh>) { return $1 if $l =~ /^VmRSS:\s+(\d+)/ }
    return 0;
}

# { pid => VmRSS kB } of the httpd children
sub children_rss_map {
    return { map { $_ => rss_kb($_) } httpd_children() };
}

# Folds a new sample into $max (pid => max RSS seen).
sub rss_sample {
    my ($max) = @_;
    my $now = children_rss_map();
    for (keys %$now) { $max->{$_} = $now->{$_} if !defined $max->{$_} || $now->{$_} > $max->{$_} }
    return $max;
}

# Largest growth of one child: max seen minus its RSS before; a child that
# did not exist before (the MPM spawns spares while a long request runs) is
# measured against the smallest child of the before-snapshot.
sub rss_growth {
    my ($before, $max) = @_;
    my @b = sort { $a <=> $b } values %$before;
    my $base = @b ? $b[0] : 0;
    my ($worst, $who) = (0, '');
    for my $pid (keys %$max) {
        my $g = $max->{$pid} - (defined $before->{$pid} ? $before->{$pid} : $base);
        ($worst, $who) = ($g, $pid) if $g > $worst;
    }
    return wantarray ? ($worst, $who) : $worst;
}

sub children_rss_kb {
    my $sum = 0;
    $sum += rss_kb($_) for httpd_children();
    return $sum;
}

# Runs $code->($i) $n times and checks that the httpd children did not gain
# descriptors (allowing small noise) and that no process was left behind.
# Emits 2 tests.
sub leak_check {
    my ($name, $n, $code) = @_;
    check_leaks(
        name => $name, n => $n, code => $code,
        children => \&httpd_children, fd_count => \&fd_count, descendants => \&httpd_descendants,
        # a new mpm worker process (idle-server maintenance) is not a leak
        mpm_test => sub {
            my %pt = proc_table();
            my $parent_comm = ($pt{ httpd_pid() || 0 } || {})->{comm} // 'apache2';
            return sub { $_[0]{comm} eq $parent_comm };
        });
}

# The leak check of leak_check and FastCGITest::PM::leak_check; %a:
#   name, n, code    run $code->($i) for $i in 1 .. $n
#   children         sub: the httpd children (pids) whose descriptors count
#   fd_count         sub: the number of descriptors of a pid
#   descendants      sub: { pid => {comm, state, depth, ...} } below httpd
#   mpm_test         sub, called once after the run: returns a sub that is
#                    true for a new direct child of httpd that is an MPM process
# Emits 2 tests: the fd growth of the children is at most n/5 + 2, and no
# process is new below httpd (but new MPM processes) or a zombie.
sub check_leaks {
    my (%a) = @_;
    my ($name, $n) = @a{qw(name n)};
    sleep 0.3;
    my %before = map { $_ => $a{fd_count}->($_) } $a{children}->();
    my $desc_before = $a{descendants}->();
    $a{code}->($_) for 1 .. $n;
    sleep 0.5;
    my %after = map { $_ => $a{fd_count}->($_) } $a{children}->();
    my $desc_after = $a{descendants}->();
    my $is_mpm = $a{mpm_test}->();
    my $delta = 0;
    my @detail;
    for my $pid (keys %after) {
        next unless defined $before{$pid} && defined $after{$pid};
        $delta += $after{$pid} - $before{$pid};
        push @detail, "$pid:$before{$pid}->$after{$pid}";
    }
    my $limit = int($n / 5) + 2;
    Apache::Test::ok(Apache::TestUtil::t_cmp(
        $delta <= $limit ? 1 : 0, 1,
        "$name: httpd children fd growth after $n requests ($delta; @detail) <= $limit"));
    my @new;
    for my $pid (keys %$desc_after) {
        my $p = $desc_after->{$pid};
        if ($p->{state} eq 'Z') { push @new, "$pid zombie ($p->{comm})"; next }
        next if $desc_before->{$pid};
        next if $p->{depth} == 1 && $is_mpm->($p);
        push @new, "$pid $p->{comm} depth $p->{depth}";
    }
    Apache::Test::ok(Apache::TestUtil::t_cmp(scalar(@new), 0,
        "$name: no process left behind (@new)"));
}

# The parent httpd is still the same process and no child crashed.
sub crash_check {
    my ($mark, $parent) = @_;
    my $text = log_since($mark);
    my @crash = grep { /exit signal|segfault|Segmentation|child pid \d+ exit|AH00052|double free|stack smashing|terminate called/ }
        split /\n/, $text;
    my $now = httpd_pid() || 0;
    my $alive = $parent && kill(0, $parent) ? 1 : 0;
    return (($now == ($parent || -1) && $alive && !@crash) ? 1 : 0,
            "parent $parent -> $now alive=$alive; crash lines: @crash");
}

# ---------------------------------------------------------------- data ---

sub url_encode {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# md5 (hex) of the deterministic pattern: byte i = 'a' + i % 26
sub pattern_md5 {
    my ($n) = @_;
    my $ctx = Digest::MD5->new;
    my $block = join('', 'a' .. 'z') x 40330;   # 1048580 bytes, multiple of 26
    my $left = $n;
    while ($left > 0) {
        my $take = $left > length($block) ? length($block) : $left;
        $ctx->add($take == length($block) ? $block : substr($block, 0, $take));
        $left -= $take;
    }
    return $ctx->hexdigest;
}

# deterministic pseudo-random bytes (not /dev/urandom, so failures reproduce)
sub random_bytes {
    my ($n, $seed) = @_;
    srand($seed || 42);
    my $out = '';
    while (length($out) < $n) {
        $out .= pack('N*', map { int(rand(4294967296)) } 1 .. 1024);
    }
    return substr($out, 0, $n);
}

sub parse_env {
    my ($body) = @_;
    my %e;
    for my $line (split /\n/, defined $body ? $body : '') {
        my ($k, $v) = split /=/, $line, 2;
        next unless defined $v;
        $e{$k} = $v;
    }
    return \%e;
}

sub env_lines {
    my ($body, $name) = @_;
    return grep { /^\Q$name\E=/ } split /\n/, defined $body ? $body : '';
}

# ---------------------------------------------------------- raw HTTP ---
#
# in_children($n, sub { my ($i) = @_; ...; return $line }) runs the sub in
# $n forked processes at once (for parallel clients) and returns what each
# returned (one line, no newline), in the order of $i = 1 .. $n.
sub in_children {
    my ($n, $work) = @_;
    my @kids;
    for my $i (1 .. $n) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            close $rd;
            my $line = eval { $work->($i) } // "died: $@";
            $line =~ s/\n/ /g;
            syswrite $wr, "$line\n";
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    my @out;
    for (@kids) {
        my ($pid, $rd) = @$_;
        my $line = <$rd> // '';
        chomp $line;
        close $rd;
        waitpid($pid, 0);
        push @out, $line;
    }
    return @out;
}

# http(%o) sends one request on a fresh connection and parses the answer.
#   method (GET), path (/), version ('1.1'), headers => [name => value, ...],
#   body (bytes), chunked => CHUNKSIZE (send body with Transfer-Encoding: chunked),
#   raw => exact request bytes (overrides all of the above),
#   sink => 1 (do not keep the body: only length and md5),
#   progress => sub { my ($bytes_so_far) = @_ } called about every MB,
#   tick => sub {} called every 0.2 s while waiting for the answer,
#   timeout (30 s per read), port, host.
# Returns a hashref: status, reason, status_line, headers (arrayref of
# [name, value]), header(name) via hdr(), body, body_len, body_md5, complete
# (1: length/terminating chunk seen or clean EOF without framing), chunked,
# eof (server closed), t_head, t_first_body, t_end (seconds after the request
# was written), raw_head, raw (all bytes received, unless sink).
sub http {
    my (%o) = @_;
    my $host = $o{host} || server_host();
    my $port = $o{port} || server_port();
    my $timeout = $o{timeout} || 30;
    my $method = $o{method} || 'GET';
    my $req;
    if (defined $o{raw}) {
        $req = $o{raw};
    } else {
        my $path = defined $o{path} ? $o{path} : '/';
        my $ver = $o{version} || '1.1';
        my @h = @{ $o{headers} || [] };
        my %seen = map { lc($h[2 * $_]) => 1 } 0 .. @h / 2 - 1;
        $req = "$method $path HTTP/$ver\r\n";
        $req .= "Host: $host:$port\r\n" unless $seen{host};
        $req .= "Connection: close\r\n" unless $seen{connection};
        if (defined $o{body}) {
            if ($o{chunked}) {
                $req .= "Transfer-Encoding: chunked\r\n";
            } elsif (!$seen{'content-length'}) {
                $req .= "Content-Length: " . length($o{body}) . "\r\n";
            }
        }
        for (my $i = 0; $i < @h; $i += 2) { $req .= "$h[$i]: $h[$i+1]\r\n" }
        $req .= "\r\n";
        if (defined $o{body}) {
            if ($o{chunked}) {
                my $cs = $o{chunked};
                for (my $off = 0; $off < length $o{body}; $off += $cs) {
                    my $part = substr($o{body}, $off, $cs);
                    $req .= sprintf("%x\r\n", length $part) . $part . "\r\n";
                }
                $req .= "0\r\n\r\n";
            } else {
                $req .= $o{body};
            }
        }
    }

    my $sock = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port,
                                   Type => SOCK_STREAM, Timeout => 10)
        or return { status => 0, error => "connect: $@" };
    binmode $sock;
    my $flags = fcntl($sock, F_GETFL, 0);
    fcntl($sock, F_SETFL, $flags | O_NONBLOCK);
    my $sel = IO::Select->new($sock);

    my $t0 = time;
    my $r = { status => 0, headers => [], body => '', body_len => 0, complete => 0,
              chunked => 0, eof => 0, raw => '', raw_head => '' };
    my $md5 = Digest::MD5->new;
    my $buf = '';

    # write the request; stop early if the server answers (e.g. 413)
    my $off = 0;
    while ($off < length $req) {
        my ($rd, $wr) = IO::Select->select($sel, $sel, undef, $timeout);
        last if $rd && @$rd;   # answer or close before we finished writing
        last unless $wr && @$wr;
        my $w = syswrite($sock, $req, 262144, $off);
        if (!defined $w) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            last;   # EPIPE / ECONNRESET: read what we can
        }
        $off += $w;
    }
    $r->{sent} = $off;
    $t0 = time if $o{time_from_end_of_request};

    my $state = 'head';
    my ($clen, $chunk_left, $seen_progress) = (undef, 0, 0);
    my $head_only = ($method eq 'HEAD');
    my $add_body = sub {
        my ($data) = @_;
        return unless length $data;
        $r->{t_first_body} //= time - $t0;
        $r->{body_len} += length $data;
        $md5->add($data);
        $r->{body} .= $data unless $o{sink};
        if ($o{progress} && $r->{body_len} - $seen_progress >= 1048576) {
            $seen_progress = $r->{body_len};
            $o{progress}->($r->{body_len});
        }
    };
    my $done = 0;
  READ:
    while (!$done) {
        my @ready;
        if ($o{tick}) {
            # call $o{tick} every 0.2 s while waiting for data
            my $waited = 0;
            while (!(@ready = $sel->can_read(0.2))) {
                $o{tick}->();
                $waited += 0.2;
                last if $waited >= $timeout;
            }
        } else {
            @ready = $sel->can_read($timeout);
        }
        unless (@ready) { $r->{timeout} = 1; last }
        my $n = sysread($sock, my $chunk, 1048576);
        if (!defined $n) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            $r->{read_error} = "$!";
            $r->{eof} = 1;
            last;
        }
        if ($n == 0) { $r->{eof} = 1; last }
        $r->{raw} .= $chunk unless $o{sink};
        $buf .= $chunk;
        while (1) {
            if ($state eq 'head') {
                my $i = index($buf, "\r\n\r\n");
                last if $i < 0;
                my $head = substr($buf, 0, $i + 4, '');
                $r->{raw_head} = $head;
                $r->{t_head} = time - $t0;
                my @lines = split /\r\n/, $head;
                my $sl = shift @lines;
                $r->{status_line} = $sl;
                if ($sl =~ m{^HTTP/\d\.\d (\d{3})(?: (.*))?$}) {
                    $r->{status} = $1;
                    $r->{reason} = defined $2 ? $2 : '';
                }
                for my $l (@lines) {
                    my ($k, $v) = split /:\s*/, $l, 2;
                    push @{ $r->{headers} }, [$k, defined $v ? $v : ''];
                }
                my $te = hdr($r, 'Transfer-Encoding');
                my $cl = hdr($r, 'Content-Length');
                if ($head_only || $r->{status} =~ /^(1..|204|304)$/) {
                    $r->{complete} = 1;
                    $r->{extra} = $buf if length $buf;   # bytes that must not be there
                    $done = 1;
                    last;
                } elsif ($o{nph}) {
                    $state = 'eof';
                } elsif (defined $te && $te =~ /chunked/i) {
                    $r->{chunked} = 1;
                    $state = 'chunksize';
                } elsif (defined $cl) {
                    $clen = $cl;
                    $state = 'length';
                } else {
                    $state = 'eof';
                }
            } elsif ($state eq 'length') {
                my $take = $clen - $r->{body_len};
                $take = length $buf if length $buf < $take;
                $add_body->(substr($buf, 0, $take, ''));
                if ($r->{body_len} >= $clen) {
                    $r->{complete} = 1;
                    $r->{extra} = $buf if length $buf;
                    $done = 1;
                }
                last;
            } elsif ($state eq 'eof') {
                $add_body->($buf);
                $buf = '';
                last;
            } elsif ($state eq 'chunksize') {
                my $i = index($buf, "\r\n");
                last if $i < 0;
                my $line = substr($buf, 0, $i + 2, '');
                my ($hex) = $line =~ /^([0-9a-fA-F]+)/;
                unless (defined $hex) { $r->{bad_chunk} = $line; $done = 1; last }
                $chunk_left = hex $hex;
                $state = $chunk_left ? 'chunkdata' : 'trailer';
            } elsif ($state eq 'chunkdata') {
                if ($chunk_left > 0) {
                    last unless length $buf;
                    my $take = $chunk_left < length $buf ? $chunk_left : length $buf;
                    $add_body->(substr($buf, 0, $take, ''));
                    $chunk_left -= $take;
                    next;
                }
                last if length $buf < 2;
                substr($buf, 0, 2, '');   # CRLF after the chunk
                $state = 'chunksize';
            } elsif ($state eq 'trailer') {
                my $i = index($buf, "\r\n");
                last if $i < 0;
                my $line = substr($buf, 0, $i + 2, '');
                if ($line eq "\r\n") {
                    $r->{complete} = 1;
                    $r->{extra} = $buf if length $buf;
                    $done = 1;
                    last;
                }
            }
        }
    }
    # after a complete framed response, see whether anything else follows
    if ($done && !$r->{eof} && $o{check_trailing}) {
        my @ready = $sel->can_read(0.5);
        if (@ready) {
            my $n = sysread($sock, my $chunk, 65536);
            $r->{extra} .= $chunk if $n;
        }
    }
    $r->{complete} = 1 if $state eq 'eof' && $r->{eof};
    $r->{state} = $state;
    $r->{t_end} = time - $t0;
    $r->{body_md5} = $md5->hexdigest;
    close $sock;
    return $r;
}

# http(%o) with the wall time it took in $r->{elapsed}.
sub timed {
    my (%o) = @_;
    my $t0 = Time::HiRes::time();
    my $r = http(%o);
    $r->{elapsed} = Time::HiRes::time() - $t0;
    return $r;
}

# The fastcgi-status page's ?auto form (docs/status.md) as
# { filename => { key => value } }, from its "FastCGIApp[i]Key: value" lines.
sub parse_status_auto {
    my ($body) = @_;
    my %by_index;
    for (split /\n/, $body // '') { $by_index{$1}{$2} = $3 if /^FastCGIApp\[(\d+)\](\S+): (.*)$/ }
    return { map { (($_->{Name} // '') => $_) } values %by_index };
}

sub hdr {
    my ($r, $name) = @_;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $r->{headers} };
    return wantarray ? @v : $v[0];
}

1;
