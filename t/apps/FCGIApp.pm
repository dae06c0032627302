package FCGIApp;
# What the Perl FCGI test apps (echo.pl, auth.pl) share: the listening socket
# and the supervisor that keeps worker processes on it.  An app finds this
# file next to itself (use lib $FindBin::RealBin), so a copy of an app needs a
# copy of this file beside it.
use strict;
use warnings;
use FCGI;
use POSIX ();

# The socket to pass to FCGI::Request: a new one listening on $addr (a unix
# path, replaced if it exists, or host:port; created with umask 0 so that the
# web server's user can connect), or 0 (the listening socket is fd 0) when
# $addr is undef.  Dies with "$prog: cannot listen on ...".
sub listen_socket {
    my ($prog, $addr) = @_;
    return 0 unless defined $addr;
    unlink $addr if $addr =~ m{^/};
    umask 0;
    my $sock = FCGI::OpenSocket($addr, 128) or die "$prog: cannot listen on $addr: $!\n";
    return $sock;
}

# With $procs > 0 the calling process becomes a supervisor that forks $procs
# workers and replaces each one that exits; on TERM/INT it stops and reaps
# them and exits.  Returns only in a worker (or at once when $procs is 0),
# with TERM and INT back at their default.
sub supervise {
    my ($procs) = @_;
    my %kids;
    my $stopping = 0;
    my $spawn = sub {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        return 0 if $pid == 0;
        $kids{$pid} = 1;
        return $pid;
    };
    my $worker = $procs ? 0 : 1;
    for (1 .. $procs) {
        if (!$spawn->()) { $worker = 1; last }
    }
    if (!$worker) {
        $SIG{TERM} = $SIG{INT} = sub {
            $stopping = 1;
            kill 'TERM', keys %kids;
            waitpid($_, 0) for keys %kids;
            POSIX::_exit(0);
        };
        while (1) {
            my $pid = wait;
            if ($pid > 0) {
                delete $kids{$pid};
                if (!$stopping && !$spawn->()) { $worker = 1; last }
            } else {
                sleep 1;
            }
        }
    }
    $SIG{TERM} = $SIG{INT} = 'DEFAULT';
}

1;
