package FastCGITest::Auth;
# Helpers of the t/auth_*.t files (FastCgiAuthenticator, FastCgiAuthorizer,
# FastCgiAccessChecker):
#   * the external authorizer apps auth_c (t/apps/bin/authorizer, libfcgi) and
#     auth_perl (t/apps/auth.pl, Perl FCGI) for FastCGITest::start_apps;
#   * the env log the apps append to (one line per request and role, see the
#     top of t/apps/authorizer.c) and a reader keyed by X-Test-Id and role;
#   * the AuthUserFile of the zones that authenticate with mod_authn_file;
#   * areq(): one request with a unique X-Test-Id, Basic credentials, an
#     X-Auth-Cmd for the apps and an X-Access-Key for the access checker.
use strict;
use warnings;

use FastCGITest ();
use MIME::Base64 ();
use Time::HiRes qw(sleep time);

use Exporter 'import';
our @EXPORT = qw(
    env_log_path ensure_env_log make_htpasswd htpasswd_path basic_auth
    areq auth_env auth_envs app_contacted protected_env
    %USERS
);

# the users the apps accept, and the ones in the AuthUserFile
our %USERS = (bob => 'secret', alice => 'wonderland', carol => 'carolpw');
my %FILE_USERS = (%USERS, dave => 'davepw');

# Register the two external authorizer apps with FastCGITest::start_apps
# (wraps its spec table; FastCGITest.pm itself stays untouched).
{
    no warnings 'redefine';
    my $orig = \&FastCGITest::app_specs;
    *FastCGITest::app_specs = sub {
        my $ipc = FastCGITest::ipc_dir();
        my $t   = FastCGITest::t_dir();
        my %env = (FCGI_AUTH_LOG => env_log_path());
        return (
            $orig->(),
            auth_c    => { addr => "$ipc/auth_c.sock",
                           cmd  => [ FastCGITest::app_bin() . '/authorizer', '-n', 3, "$ipc/auth_c.sock" ],
                           env  => \%env },
            auth_perl => { addr => "$ipc/auth_perl.sock",
                           cmd  => [ $^X, "$t/apps/auth.pl", "$ipc/auth_perl.sock", 2 ],
                           env  => \%env },
        );
    };
}

sub env_log_path  { FastCGITest::t_dir() . '/logs/auth_env.log' }
sub htpasswd_path { FastCGITest::t_dir() . '/logs/auth.htpasswd' }

# The static and dynamic apps run as httpd's user: the log must be writable
# by anyone (t/logs itself is not). The readers below start at the size the
# log had when the test file called this (the log is never truncated).
my $log_start = 0;
sub ensure_env_log {
    my $f = env_log_path();
    unless (-e $f) {
        open my $fh, '>>', $f or die "cannot create $f: $!";
        close $fh;
    }
    chmod 0666, $f;
    $log_start = -s $f || 0;
    return $f;
}

# The AuthUserFile: with htpasswd(1) (apache2-utils) when installed, else
# {SHA} lines written here. Readable by httpd's user.
sub make_htpasswd {
    my $f = htpasswd_path();
    unlink $f;
    my $htpasswd = `command -v htpasswd 2>/dev/null`;
    chomp $htpasswd;
    if ($htpasswd) {
        my $first = 1;
        for my $u (sort keys %FILE_USERS) {
            my @cmd = ($htpasswd, '-b', ($first ? '-c' : ()), $f, $u, $FILE_USERS{$u});
            my $out = `@cmd 2>&1`;
            die "htpasswd failed: $out" if $?;
            $first = 0;
        }
    } else {
        require Digest::SHA;
        open my $fh, '>', $f or die "cannot write $f: $!";
        for my $u (sort keys %FILE_USERS) {
            print $fh "$u:{SHA}" . MIME::Base64::encode_base64(Digest::SHA::sha1($FILE_USERS{$u}), '') . "\n";
        }
        close $fh;
    }
    chmod 0644, $f;
    return $f;
}

sub basic_auth {
    my ($user, $pw) = @_;
    return 'Basic ' . MIME::Base64::encode_base64("$user:$pw", '');
}

my $seq = 0;

# areq(path => ..., user => ..., pw => ..., cmd => ..., key => ..., headers => [...],
#      any other FastCGITest::http option) -> the response, with {id} set.
sub areq {
    my (%o) = @_;
    my $id = sprintf('%s-%d-%d', $0 =~ m{([\w-]+)\.t$} ? $1 : 't', $$, ++$seq);
    my @h = ('X-Test-Id' => $id);
    push @h, 'Authorization' => basic_auth($o{user}, $o{pw}) if defined $o{user};
    push @h, 'X-Auth-Cmd' => $o{cmd} if defined $o{cmd};
    push @h, 'X-Access-Key' => $o{key} if defined $o{key};
    push @h, @{ $o{headers} || [] };
    my %http = %o;
    delete @http{qw(user pw cmd key headers)};
    my $r = FastCGITest::http(%http, headers => \@h);
    $r->{id} = $id;
    return $r;
}

sub decode {
    my ($s) = @_;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

# Every env-log record of request $id: list of { role, app, pid, log_from, env => {...} }
# (log_from: "env" when the app found $FCGI_AUTH_LOG in its environment).
# Waits up to $wait s (default 0: the apps log before they answer).
sub auth_envs {
    my ($id, $wait) = @_;
    my $deadline = time + ($wait || 0);
    while (1) {
        my @rec;
        if (open my $fh, '<', env_log_path()) {
            seek $fh, $log_start, 0;
            while (my $line = <$fh>) {
                chomp $line;
                my ($lid, $role, $app, $pid, $from, @vars) = split /\t/, $line;
                next unless defined $lid && decode($lid) eq $id;
                $from = '' unless defined $from;
                $from =~ s/^\+log=//;
                my %env;
                for (@vars) {
                    my ($k, $v) = split /=/, $_, 2;
                    $env{$k} = decode(defined $v ? $v : '');
                }
                push @rec, { role => decode($role), app => $app, pid => $pid, log_from => $from, env => \%env };
            }
        }
        return @rec if @rec || time > $deadline;
        sleep 0.05;
    }
}

# The env the app saw for request $id in role $role (hashref, or undef when
# the app was not contacted in that role).
sub auth_env {
    my ($id, $role) = @_;
    my ($rec) = grep { $_->{role} eq $role } auth_envs($id);
    return $rec ? $rec->{env} : undef;
}

# Number of times an app was contacted for request $id (any role).
sub app_contacted {
    my ($id) = @_;
    return scalar(my @r = auth_envs($id));
}

# The env printed by the protected resource (C responder or CGI).
sub protected_env { FastCGITest::parse_env($_[0]{body}) }

1;
