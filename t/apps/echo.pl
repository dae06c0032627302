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
use FindBin ();
use lib $FindBin::RealBin;
use FCGIApp;
use IO::Handle;

my $addr  = shift;
my $procs = shift || 2;
$procs = 0 unless defined $addr;   # on fd 0 there is no supervisor: this process serves

my $sock = FCGIApp::listen_socket('echo.pl', $addr);

$SIG{PIPE} = 'IGNORE';
# the first process only supervises PROCS workers; on TERM it stops and reaps them
FCGIApp::supervise($procs);

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
