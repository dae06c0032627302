#!/usr/bin/perl
# echo.pl -- FastCGI test application on the Perl FCGI module.
#
# Usage: echo.pl SOCKET [PROCS]      SOCKET = unix path or host:port
#        echo.pl                     serve on fd 0 (FCGI_LISTENSOCK_FILENO) in
#                                    this one process: how the process manager
#                                    runs it (FastCgiServer, dynamic)
#
# QUERY_STRING picks the mode:
#   env   (default) body = every param as NAME=VALUE\n, sorted
#   echo  body = stdin, header X-Stdin-Length: N
#   pid   body = "pid=<pid>\n"
use strict;
use warnings;
use FCGI;
use POSIX ();
use IO::Handle;

my $addr  = shift;
my $procs = shift || 2;

my $sock;
if (defined $addr) {
    unlink $addr if $addr =~ m{^/};
    umask 0;
    $sock = FCGI::OpenSocket($addr, 128) or die "echo.pl: cannot listen on $addr: $!\n";
} else {
    $sock  = 0;   # the listening socket is fd 0
    $procs = 0;   # no supervisor: this process serves
}

$SIG{PIPE} = 'IGNORE';
# the first process only supervises PROCS workers; on TERM it stops and reaps them
my %kids;
my $stopping = 0;
sub spawn {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    return 0 if $pid == 0;
    $kids{$pid} = 1;
    return $pid;
}
my $worker = $procs ? 0 : 1;
for (1 .. $procs) {
    if (!spawn()) { $worker = 1; last }
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
            if (!$stopping && !spawn()) { $worker = 1; last }
        } else {
            sleep 1;
        }
    }
}
$SIG{TERM} = $SIG{INT} = 'DEFAULT';

my ($in, $out, $err) = (IO::Handle->new, IO::Handle->new, IO::Handle->new);
my %env;
my $req = FCGI::Request($in, $out, $err, \%env, $sock);
while ($req->Accept() >= 0) {
    my $qs = $env{QUERY_STRING} // '';
    my ($mode) = split /&/, $qs;
    $mode = 'env' unless defined $mode && length $mode;
    binmode $in;
    binmode $out;
    if ($mode eq 'echo') {
        my $data = '';
        while (1) {
            my $n = read($in, $data, 65536, length $data);
            last unless $n;
        }
        print $out "Content-Type: application/octet-stream\r\n"
            . "X-Stdin-Length: " . length($data) . "\r\n\r\n";
        print $out $data;
    } elsif ($mode eq 'pid') {
        print $out "Content-Type: text/plain\r\n\r\npid=$$\n";
    } else {
        print $out "Content-Type: text/plain\r\n\r\n";
        print $out map { "$_=$env{$_}\n" } sort keys %env;
    }
    $req->Finish;
}
