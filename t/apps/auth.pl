#!/usr/bin/perl
# auth.pl -- FastCGI AUTHORIZER-role test application on the Perl FCGI module.
#
# Usage: auth.pl [SOCKET [PROCS]]
#   SOCKET  unix path or host:port; without it the listening socket is fd 0,
#           which is how the process manager starts a dynamic application
#           (FastCgiAuthorizer naming this file directly).
#   PROCS   workers on the socket (default 2 with a SOCKET, 1 without).
#
# Same contract as t/apps/authorizer.c (read the comment at its top), except
# that the app name in the log line, in the Variable-*_APP headers and in the
# denial bodies is "perl" instead of "c".  Env log: $FCGI_AUTH_LOG, else
# <dir of this script>/../logs/auth_env.log.
use strict;
use warnings;
use FCGI;
use FindBin ();
use lib $FindBin::RealBin;
use FCGIApp;
use Fcntl qw(O_WRONLY O_APPEND O_CREAT);
use POSIX ();
use IO::Handle;

my $addr  = shift;
my $procs = shift || ($addr ? 2 : 1);
my $log   = $ENV{FCGI_AUTH_LOG} || "$FindBin::RealBin/../logs/auth_env.log";
my $log_from = $ENV{FCGI_AUTH_LOG} ? 'env' : 'exe';

my $sock = FCGIApp::listen_socket('auth.pl', $addr);

$SIG{PIPE} = 'IGNORE';
FCGIApp::supervise($procs) if $procs > 1;

sub enc {
    my ($s) = @_;
    $s =~ s{([^A-Za-z0-9_.~/:\@,+=-])}{sprintf('%%%02X', ord $1)}ge;
    return $s;
}

my %users = (bob => 'secret', alice => 'wonderland', carol => 'carolpw');
my %lower = (AUTHENTICATOR => 'authenticator', AUTHORIZER => 'authorizer', ACCESS_CHECKER => 'access-checker');
my %prefix = (AUTHENTICATOR => ['AUTHN', 'Authn'], AUTHORIZER => ['AUTHZ', 'Authz']);

my ($in, $out, $err) = (IO::Handle->new, IO::Handle->new, IO::Handle->new);
my %env;
my $req = FCGI::Request($in, $out, $err, \%env, $sock);
while ($req->Accept() >= 0) {
    binmode $out;
    my $role = $env{FCGI_APACHE_ROLE};
    my $line = join("\t", enc($env{HTTP_X_TEST_ID} // '-'), enc($role // '-'), 'perl', $$, "+log=$log_from",
                    map { "$_=" . enc($env{$_}) } sort keys %env) . "\n";
    if (sysopen my $fh, $log, O_WRONLY | O_APPEND | O_CREAT, 0666) {
        syswrite $fh, $line;   # one write: lines never interleave
        close $fh;
    }
    my $user = $env{REMOTE_USER};
    my $uri  = $env{REQUEST_URI} // '';
    my $cmd  = $env{HTTP_X_AUTH_CMD} // '';
    if (!defined $role || !$lower{$role}) {
        print $out "Status: 500 Not An Authorizer\r\nContent-Type: text/plain\r\n\r\nnot an authorizer request\n";
        $req->Finish;
        next;
    }
    my $lc   = $lower{$role};
    my $body = "$lc app perl denied " . ($user // '-') . " for $uri\n";
    my $grant = sub {
        my $u = $user // '';
        if (my $p = $prefix{$role}) {
            print $out "Variable-$p->[0]_USER: $u\r\nVariable-$p->[0]_APP: perl\r\n$p->[1]-Plain: plain-$u\r\n\r\n";
        } else {
            print $out "Variable-ACCESS_OK: yes\r\nVariable-ACCESS_APP: perl\r\nAccess-Plain: plain-$u\r\n\r\n";
        }
    };
    if (length $cmd) {
        if ($cmd eq 'grant') {
            $grant->();
        } elsif ($cmd eq 'grant-status') {
            print $out "Status: 200 OK\r\n";
            $grant->();
        } elsif ($cmd eq 'slow-grant') {
            sleep 3;
            $grant->();
        } elsif ($cmd eq 'status500') {
            print $out "Status: 500 Database Down\r\nContent-Type: text/plain\r\n\r\napp error page\n";
        } elsif ($cmd eq 'deny401') {
            print $out "Status: 401 Unauthorized\r\nX-Denied-By: $lc\r\nContent-Type: text/plain\r\n\r\n$body";
        } elsif ($cmd eq 'deny401-nobody') {
            print $out "Status: 401 Unauthorized\r\nX-Nobody: 1\r\n\r\n";
        } elsif ($cmd eq 'deny403') {
            print $out "Status: 403 Forbidden\r\nX-Denied-By: $lc\r\nContent-Type: text/plain\r\n\r\n$body";
        } elsif ($cmd eq 'deny403-nobody') {
            print $out "Status: 403 Forbidden\r\nX-Nobody: 1\r\n\r\n";
        } elsif ($cmd eq 'deny403-big') {
            print $out "Status: 403 Forbidden\r\nX-Big: 1\r\nContent-Type: text/plain\r\n\r\n",
                join('', map { chr(97 + $_ % 26) } 0 .. 99999);
        } elsif ($cmd eq 'deny403-cookies') {
            print $out "Status: 403 Forbidden\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n"
                . "Content-Type: text/plain\r\n\r\ncookies\n";
        } elsif ($cmd eq 'redirect-nobody') {
            print $out "Status: 302 Found\r\nLocation: http://login.example/login\r\n\r\n";
        } elsif ($cmd eq 'location-only') {
            print $out "Location: http://login.example/login\r\n\r\n";
        } elsif ($cmd eq 'redirect') {
            print $out "Status: 302 Found\r\nLocation: http://login.example/login?back=$uri\r\n"
                . "X-Denied-By: $lc\r\nContent-Type: text/html\r\n\r\n<a href=\"http://login.example/login\">login</a>\n";
        } elsif ($cmd eq 'exit') {
            POSIX::_exit(3);
        } elsif ($cmd eq 'exit-midhead') {
            print $out "Variable-HALF: 1\r\nX-Half";
            $out->flush;
            $req->Flush;
            POSIX::_exit(3);
        } elsif ($cmd eq 'badstatus') {
            print $out "Status: abc\r\nVariable-AUTHN_USER: forged\r\nContent-Type: text/plain\r\n\r\nbad status\n";
        } elsif ($cmd eq 'garbage') {
            print $out "Variable-AUTHN_USER: forged\r\nthis line is not a header\r\n\r\n";
        } elsif ($cmd eq 'nohead') {
            print $out "Variable-AUTHN_USER: forged\r\n";
        } else {
            print $out "Status: 500 Unknown Command\r\nContent-Type: text/plain\r\n\r\nunknown X-Auth-Cmd $cmd\n";
        }
        $req->Finish;
        next;
    }
    my $ok;
    if ($role eq 'AUTHENTICATOR') {
        my $pw = $env{REMOTE_PASSWD};
        $ok = defined $user && defined $pw && exists $users{$user} && $users{$user} eq $pw;
    } elsif ($role eq 'AUTHORIZER') {
        $ok = defined $user && $user eq 'bob';
    } else {
        $ok = ($env{HTTP_X_ACCESS_KEY} // '') eq 'letmein';
    }
    if ($ok) {
        $grant->();
    } else {
        print $out $role eq 'AUTHENTICATOR'
            ? "Status: 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"fastcgi-app\"\r\n"
            : "Status: 403 Forbidden\r\n";
        print $out "X-Denied-By: $lc\r\nContent-Type: text/plain\r\n\r\n$body";
    }
    $req->Finish;
}
