# The three roles in one request, per-directory merging of the settings, and
# FastCgiAuthenticator in .htaccess.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::Auth;
use POSIX ();

plan tests => 44, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
ensure_env_log();
make_htpasswd();
start_apps(qw(c auth_c auth_perl));

sub roles { join ' ', map { "$_->{role}:$_->{app}" } auth_envs($_[0]{id}) }

# ---- /fa/all/: access checker (Perl), authenticator (C), authorizer (Perl)
{
    my $r = areq(path => '/fa/all/env.fcgi', key => 'letmein', user => 'bob', pw => 'secret');
    ok t_cmp($r->{status}, 200, 'all three grant -> 200');
    my $e = protected_env($r);
    ok t_cmp(join(' ', map { $e->{$_} // '-' } qw(ACCESS_OK ACCESS_APP AUTHN_USER AUTHN_APP AUTHZ_USER AUTHZ_APP)),
             'yes perl bob c bob perl', 'the responder sees the variables of the three roles');
    ok t_cmp(join(' ', map { $e->{$_} // '-' } qw(Access_Plain Authn_Plain Authz_Plain)), 'plain- plain-bob plain-bob',
             '... and their plain headers');
    ok t_cmp(exists $e->{REMOTE_PASSWD} ? 1 : 0, 0, 'the responder never sees REMOTE_PASSWD');
    ok t_cmp(roles($r), 'ACCESS_CHECKER:perl AUTHENTICATOR:c AUTHORIZER:perl', 'order: access, authentication, authorization');

    my $ac = auth_env($r->{id}, 'ACCESS_CHECKER') || {};
    my $an = auth_env($r->{id}, 'AUTHENTICATOR') || {};
    my $az = auth_env($r->{id}, 'AUTHORIZER') || {};
    ok t_cmp(join(',', grep { exists $ac->{$_} } qw(REMOTE_USER REMOTE_PASSWD)), '', 'access checker: no user, no password');
    ok t_cmp(($an->{REMOTE_USER} // '') . ':' . ($an->{REMOTE_PASSWD} // ''), 'bob:secret',
             'authenticator: REMOTE_USER and REMOTE_PASSWD');
    ok t_cmp(($az->{REMOTE_USER} // '') . ' ' . (exists $az->{REMOTE_PASSWD} ? 'passwd' : 'no-passwd'), 'bob no-passwd',
             'authorizer: REMOTE_USER, no REMOTE_PASSWD');
    ok t_cmp(join(' ', map { $_->{env}{FCGI_APACHE_ROLE} } auth_envs($r->{id})), 'ACCESS_CHECKER AUTHENTICATOR AUTHORIZER',
             'FCGI_APACHE_ROLE of each call');
    ok t_cmp(join(' ', map { $_->{env}{FCGI_ROLE} } auth_envs($r->{id})), 'AUTHORIZER AUTHORIZER AUTHORIZER',
             'FastCGI role AUTHORIZER for each call');
    # variables exported by an earlier role are part of the later roles' environment
    ok t_cmp(($an->{ACCESS_OK} // '') . ' ' . ($az->{AUTHN_USER} // ''), 'yes bob',
             "later roles see the earlier roles' variables");
}
{
    my $r = areq(path => '/fa/all/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '403 access-checker', 'no key -> 403 from the access checker');
    ok t_cmp(roles($r), 'ACCESS_CHECKER:perl', '... nobody else asked');

    $r = areq(path => '/fa/all/env.fcgi', key => 'letmein');
    ok t_cmp("$r->{status} " . (hdr($r, 'WWW-Authenticate') // ''), '401 Basic realm="fcgi-all"', 'no credentials -> 401');
    ok t_cmp(roles($r), 'ACCESS_CHECKER:perl', '... only the access checker asked');

    $r = areq(path => '/fa/all/env.fcgi', key => 'letmein', user => 'bob', pw => 'wrong');
    ok t_cmp("$r->{status} " . (hdr($r, 'WWW-Authenticate') // ''), '401 Basic realm="fastcgi-app"',
             "bad password -> 401 with the authenticator's challenge");
    ok t_cmp(roles($r), 'ACCESS_CHECKER:perl AUTHENTICATOR:c', '... the authorizer not asked');

    $r = areq(path => '/fa/all/env.fcgi', key => 'letmein', user => 'alice', pw => 'wonderland');
    ok t_cmp("$r->{status} $r->{body}", "403 authorizer app perl denied alice for /fa/all/env.fcgi\n",
             'alice authenticated, refused by the authorizer -> 403 with its body');
    ok t_cmp(roles($r), 'ACCESS_CHECKER:perl AUTHENTICATOR:c AUTHORIZER:perl', '... all three asked');
    ok t_cmp($r->{body} =~ /GATEWAY_INTERFACE=/ ? 1 : 0, 0, '... no protected content');
}

# ---- per-directory merge: an inner section adds to the outer one
{
    my $r = areq(path => '/fa/merge/sub/env.fcgi', key => 'letmein');
    ok t_cmp("$r->{status} " . (hdr($r, 'WWW-Authenticate') // ''), '401 Basic realm="fcgi-merge"',
             '/fa/merge/sub/ (access checker only) still has the authenticator of /fa/merge/');
    $r = areq(path => '/fa/merge/sub/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '403 access-checker', '... and its own access checker');
    $r = areq(path => '/fa/merge/sub/env.fcgi', key => 'letmein', user => 'bob', pw => 'secret');
    my $e = protected_env($r);
    ok t_cmp("$r->{status} " . ($e->{ACCESS_OK} // '-') . ' ' . ($e->{AUTHN_USER} // '-'), '200 yes bob',
             'both roles grant -> 200 with both sets of variables');
    ok t_cmp(roles($r), 'ACCESS_CHECKER:c AUTHENTICATOR:c', 'both roles asked');
    $r = areq(path => '/fa/merge/page.txt', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . roles($r), '200 AUTHENTICATOR:c', '/fa/merge/ itself: no access checker');

    # only the Authoritative flag set in the inner section
    $r = areq(path => '/fa/merge-off/page.txt', user => 'dave', pw => 'davepw');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '401 authenticator',
             '/fa/merge-off/: dave refused by the authoritative app');
    $r = areq(path => '/fa/merge-off/sub/page.txt', user => 'dave', pw => 'davepw');
    ok t_cmp("$r->{status} $r->{body}", "200 protected page\n",
             '/fa/merge-off/sub/ (FastCgiAuthenticatorAuthoritative Off only): the AuthUserFile accepts dave');
    ok t_cmp(roles($r), 'AUTHENTICATOR:c', '... after the inherited app was asked');
    $r = areq(path => '/fa/merge-off/sub/page.txt', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . roles($r), '200 AUTHENTICATOR:c', '/fa/merge-off/sub/: the inherited app grants bob');
}

# ---- .htaccess (AllowOverride AuthConfig)
{
    my $r = areq(path => '/auth/ht/page.txt');
    ok t_cmp("$r->{status} " . (hdr($r, 'WWW-Authenticate') // ''), '401 Basic realm="fcgi-htaccess"',
             '.htaccess: no credentials -> 401');
    ok t_cmp(app_contacted($r->{id}), 0, '.htaccess: app not asked without credentials');
    $r = areq(path => '/auth/ht/page.txt', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} $r->{body}", "200 protected htaccess page\n", '.htaccess: bob:secret -> 200');
    my $a = auth_env($r->{id}, 'AUTHENTICATOR') || {};
    ok t_cmp("$a->{FCGI_APACHE_ROLE} $a->{REMOTE_USER} $a->{SCRIPT_NAME}", 'AUTHENTICATOR bob /auth/ht/page.txt',
             '.htaccess: the app saw the request');
    $r = areq(path => '/auth/ht/page.txt', user => 'bob', pw => 'bad');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '401 authenticator', '.htaccess: denial relayed');
}

# ---- the static app (FastCgiServer) keeps its process and -initial-env
{
    my $r = areq(path => '/fa/authn-static/page.txt', user => 'carol', pw => 'carolpw');
    ok t_cmp("$r->{status} $r->{body}", "200 protected page\n", 'static app: carol -> 200');
    my ($rec) = auth_envs($r->{id});
    ok t_cmp($rec ? $rec->{log_from} : '', 'env', 'static app: -initial-env reached its environment');
    ok t_cmp(exists $rec->{env}{FCGI_AUTH_LOG} ? 1 : 0, 0, '... but is not a FastCGI param');
    my $desc = httpd_descendants();
    ok t_cmp(($rec && $desc->{ $rec->{pid} }) ? 1 : 0, 1, 'static app: runs under httpd (process manager)');
    $r = areq(path => '/fa/authn-static/page.txt', user => 'carol', pw => 'nope');
    ok t_cmp("$r->{status} $r->{body}", "401 authenticator app c denied carol for /fa/authn-static/page.txt\n",
             'static app: denial relayed');
}

# ---- parallel clients through the three roles
{
    my @kids;
    for my $k (1 .. 6) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            my $bad = 0;
            for my $i (1 .. 15) {
                my $deny = ($i % 5 == 0);
                my $r = areq(path => '/fa/all/env.fcgi', key => 'letmein',
                             user => $deny ? 'alice' : 'bob', pw => $deny ? 'wonderland' : 'secret');
                my $e = protected_env($r);
                $bad++ unless $deny ? ($r->{status} == 403 && $r->{body} =~ /denied alice/)
                                    : ($r->{status} == 200 && ($e->{AUTHZ_USER} // '') eq 'bob'
                                       && ($e->{ACCESS_OK} // '') eq 'yes' && !exists $e->{REMOTE_PASSWD});
            }
            POSIX::_exit($bad > 255 ? 255 : $bad);
        }
        push @kids, $pid;
    }
    my $bad = 0;
    for (@kids) { waitpid($_, 0); $bad += $? >> 8 }
    ok t_cmp($bad, 0, '6 parallel clients x 15 requests through access checker, authenticator, authorizer: all right');
}

leak_check('combined', 60, sub {
    my $i = shift;
    my @c = ([path => '/fa/all/page.txt', key => 'letmein', user => 'bob', pw => 'secret'],
             [path => '/fa/all/page.txt', key => 'letmein', user => 'alice', pw => 'wonderland'],
             [path => '/fa/merge/sub/page.txt', key => 'letmein', user => 'bob', pw => 'secret'],
             [path => '/fa/merge-off/sub/page.txt', user => 'dave', pw => 'davepw'],
             [path => '/auth/ht/page.txt', user => 'bob', pw => 'secret'],
             [path => '/fa/authn-static/page.txt', user => 'bob', pw => 'secret']);
    areq(@{ $c[$i % @c] });
});

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/FastCGI: (authentication|authorization) failed for user/,
                            qr/FastCGI: access denied: /, qr/AH01617|AH01618|AH01630|AH01631|AH01797|AH01614/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
