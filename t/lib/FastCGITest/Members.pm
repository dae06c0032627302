package FastCGITest::Members;
# External applications that stand for the members of a balanced
# FastCgiExternalServer (t/balance.t, bench/members): each one the libfcgi
# responder (t/apps/responder.c) on its own loopback TCP port or Unix
# socket, in a process group of its own, answering with "X-Member: <name>"
# and logging every request it accepts to <dir>/member_<name>.log.
#
#   my $m = FastCGITest::Members->new($dir);
#   $m->start('a', '127.0.0.1:21541', procs => 4, delay_ms => 20);
#   $m->start('c', "$dir/c.sock");
#   $m->kill('a');  $m->start('a', ...);        # a dead member, and back
#   $m->seen('a', $mark)                        # REQUEST_URIs since $mark
#
# Ports: FastCGITest::Ports::base() + 30 .. + 39 (port($i)).
use strict;
use warnings;

use File::Basename qw(dirname);
use IO::Socket::INET ();
use IO::Socket::UNIX ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

use FastCGITest::Ports ();

sub port { FastCGITest::Ports::base() + 30 + $_[-1] }

sub new {
    my ($class, $dir, %o) = @_;
    return bless { dir => $dir, bin => $o{bin}, running => {} }, $class;
}

sub log_of { "$_[0]{dir}/member_$_[1].log" }

sub _bin {
    my ($self) = @_;
    return $self->{bin} if $self->{bin};
    return dirname(dirname(dirname(__FILE__))) . '/apps/bin/responder';
}

sub _reachable {
    my ($addr) = @_;
    my $s = $addr =~ m{^/} ? IO::Socket::UNIX->new(Peer => $addr)
                           : IO::Socket::INET->new(PeerAddr => $addr, Timeout => 1);
    return $s ? 1 : 0;
}

# Starts member $name on $addr (host:port or /socket); waits until it
# accepts connections. Options: procs (default 2), delay_ms (per request).
sub start {
    my ($self, $name, $addr, %o) = @_;
    $self->kill($name) if $self->{running}{$name};
    unlink $addr if $addr =~ m{^/};
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        setpgrp(0, 0);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/member_$name.out";
        open STDERR, '>&', \*STDOUT;
        $ENV{FCGI_TEST_LOG} = $self->log_of($name);
        $ENV{FCGI_TEST_NAME} = $name;
        $ENV{FCGI_TEST_DELAY_MS} = $o{delay_ms} || 0;
        umask 0;   # httpd's User connects to the Unix sockets
        exec $self->_bin, '-n', $o{procs} || 2, $addr or POSIX::_exit(98);
    }
    $self->{running}{$name} = { pid => $pid, addr => $addr, opts => \%o };
    my $deadline = time + 10;
    while (time < $deadline) {
        return $pid if _reachable($addr);
        die "member $name exited at start\n" if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    die "member $name does not listen on $addr\n";
}

# Ends member $name at once (SIGKILL to its process group): its socket is
# closed, connects are refused from then on.
sub kill {
    my ($self, $name) = @_;
    my $m = delete $self->{running}{$name} or return;
    CORE::kill('KILL', -$m->{pid});
    waitpid($m->{pid}, 0);
    # the workers are reparented; wait until none accepts any more
    my $deadline = time + 5;
    sleep 0.02 while _reachable($m->{addr}) && time < $deadline;
    return $m;
}

sub stop_all { my ($self) = @_; $self->kill($_) for keys %{ $self->{running} } }

sub DESTROY { $_[0]->stop_all }

# Size of member $name's request log (a mark for seen()).
sub mark { -s $_[0]->log_of($_[1]) || 0 }

# REQUEST_URIs member $name accepted since $mark.
sub seen {
    my ($self, $name, $mark) = @_;
    open my $fh, '<', $self->log_of($name) or return ();
    seek $fh, $mark || 0, 0;
    my @uris;
    while (<$fh>) { push @uris, $1 if /^\d+ (\S+)/ }
    return @uris;
}

1;
