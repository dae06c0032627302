# FastCgiAuthorizer: a FastCGI app decides whether the user authenticated by
# another module (here mod_authn_file) may see the resource. C (libfcgi) and
# Perl FCGI apps, external and dynamic (a plain executable named by the
# directive); env seen by the app; exported variables; denials relayed;
# -compat; Authoritative Off and `Require user`.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::Auth;

plan tests => 65, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
ensure_env_log();
make_htpasswd();
start_apps(qw(c auth_c auth_perl));

sub protected_free {
    my ($r) = @_;
    return ($r->{body} !~ /protected page|GATEWAY_INTERFACE=|SCRIPT_FILENAME=/) ? 1 : 0;
}

# ---- grant, and what the authorizer sees
{
    my $r = areq(path => '/fa/authz/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp($r->{status}, 200, 'bob -> 200');
    my $e = protected_env($r);
    ok t_cmp("$e->{AUTHZ_USER} $e->{AUTHZ_APP}", 'bob c', 'Variable-AUTHZ_* exported');
    ok t_cmp($e->{Authz_Plain}, 'plain-bob', 'header without Variable- exported (Authz-Plain -> Authz_Plain)');
    ok t_cmp("$e->{REMOTE_USER} $e->{AUTH_TYPE}", 'bob Basic', 'responder: REMOTE_USER, AUTH_TYPE');
    my @leak = grep { /^(REMOTE_PASSWD|HTTP_AUTHZ_|HTTP_VARIABLE_|HTTP_AUTHORIZATION)/ } sort keys %$e;
    ok t_cmp("@leak", '', 'responder: no REMOTE_PASSWD, no request header made of the answer');

    my $a = auth_env($r->{id}, 'AUTHORIZER') || {};
    ok t_cmp($a->{FCGI_ROLE}, 'AUTHORIZER', 'FastCGI role AUTHORIZER');
    ok t_cmp($a->{FCGI_APACHE_ROLE}, 'AUTHORIZER', 'FCGI_APACHE_ROLE=AUTHORIZER');
    ok t_cmp($a->{REMOTE_USER}, 'bob', 'authorizer sees REMOTE_USER');
    ok t_cmp(exists $a->{REMOTE_PASSWD} ? 1 : 0, 0, 'authorizer never sees REMOTE_PASSWD');
    ok t_cmp($a->{AUTH_TYPE}, 'Basic', 'authorizer sees AUTH_TYPE');
    ok t_cmp($a->{SCRIPT_NAME}, '/fa/authz/env.fcgi', 'authorizer sees SCRIPT_NAME (not -compat)');
    ok t_cmp(join(',', grep { exists $a->{$_} } qw(PATH_TRANSLATED PATH_INFO HTTP_AUTHORIZATION)), '',
             'no PATH_TRANSLATED, no PATH_INFO (none in the URL), no HTTP_AUTHORIZATION');
    my @roles = map { $_->{role} } auth_envs($r->{id});
    ok t_cmp("@roles", 'AUTHORIZER', 'asked once, as authorizer');
}

# ---- the authorizer is only asked about authenticated users
{
    my $r = areq(path => '/fa/authz/env.fcgi');
    ok t_cmp("$r->{status} " . (hdr($r, 'WWW-Authenticate') // ''), '401 Basic realm="fcgi-authz"',
             'no credentials -> 401 from mod_auth_basic');
    ok t_cmp(app_contacted($r->{id}), 0, 'no credentials: the authorizer was not asked');
    $r = areq(path => '/fa/authz/env.fcgi', user => 'bob', pw => 'bad');
    ok t_cmp($r->{status}, 401, 'wrong password (AuthUserFile) -> 401');
    ok t_cmp(app_contacted($r->{id}), 0, 'wrong password: the authorizer was not asked');
}

# ---- denials relayed
{
    my $m = log_mark();
    my $r = areq(path => '/fa/authz/env.fcgi', user => 'alice', pw => 'wonderland');
    ok t_cmp($r->{status}, 403, 'alice -> 403 (the app says so)');
    ok t_cmp(hdr($r, 'X-Denied-By') // '', 'authorizer', "the app's headers reach the client");
    ok t_cmp($r->{body}, "authorizer app c denied alice for /fa/authz/env.fcgi\n", "the app's body");
    ok t_cmp(scalar(my @x = hdr($r, 'WWW-Authenticate')), 0, 'a 403 gets no challenge');
    ok t_cmp(protected_free($r), 1, 'no protected content');
    my $l = wait_log($m, qr/authorization failed for user "alice"/);
    ok t_cmp($l, qr/FastCGI: authorization failed for user "alice": \/fa\/authz\/env\.fcgi/, 'log line');
    ok t_cmp($l =~ /wonderland/ ? 1 : 0, 0, 'no password in the log');

    $r = areq(path => '/fa/authz/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny401');
    my @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("$r->{status} @c", '401 Basic realm="fcgi-authz"', "a 401 without challenge gets httpd's Basic challenge");
    ok t_cmp($r->{body}, "authorizer app c denied bob for /fa/authz/env.fcgi\n", '... and the app body');

    $r = areq(path => '/fa/authz/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny401-nobody');
    @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("$r->{status} @c " . (hdr($r, 'X-Nobody') // ''), '401 Basic realm="fcgi-authz" 1',
             "401 without body: httpd's challenge and page, the app's headers");

    $r = areq(path => '/fa/authz/env.fcgi', user => 'bob', pw => 'secret', cmd => 'redirect');
    ok t_cmp("$r->{status} " . (hdr($r, 'Location') // ''), '302 http://login.example/login?back=/fa/authz/env.fcgi',
             'redirect to a login page relayed');
    ok t_cmp(protected_free($r), 1, 'redirect: no protected content');

    $r = areq(path => '/fa/authz/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny403-nobody');
    ok t_cmp(($r->{status} == 403 && $r->{body} =~ /<title>403 Forbidden<\/title>/) ? 1 : 0, 1,
             "403 without body: httpd's page");
}

# ---- PATH_INFO and a POST body; -compat (Perl app)
{
    my $r = areq(method => 'POST', path => '/fa/authz/env.fcgi/p/q?echo', body => 'abc', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} $r->{body}", '200 abc', 'POST body reaches the protected responder');
    my $a = auth_env($r->{id}, 'AUTHORIZER') || {};
    ok t_cmp("$a->{SCRIPT_NAME} $a->{PATH_INFO} $a->{CONTENT_LENGTH}", '/fa/authz/env.fcgi /p/q 3',
             'authorizer: SCRIPT_NAME, PATH_INFO, CONTENT_LENGTH');
    ok t_cmp(exists $a->{PATH_TRANSLATED} ? 1 : 0, 0, 'authorizer: no PATH_TRANSLATED');

    $r = areq(method => 'POST', path => '/fa/authz-compat/env.fcgi/p/q?echo', body => 'abc',
              user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} $r->{body}", '200 abc', '-compat: POST body reaches the protected responder');
    $a = auth_env($r->{id}, 'AUTHORIZER') || {};
    ok t_cmp(join(',', grep { exists $a->{$_} } qw(SCRIPT_NAME PATH_INFO PATH_TRANSLATED CONTENT_LENGTH REMOTE_PASSWD)),
             '', '-compat: no SCRIPT_NAME, PATH_INFO, PATH_TRANSLATED, CONTENT_LENGTH, REMOTE_PASSWD');
    ok t_cmp("$a->{FCGI_ROLE} $a->{FCGI_APACHE_ROLE} $a->{REMOTE_USER}", 'AUTHORIZER AUTHORIZER bob',
             '-compat (Perl FCGI): roles and REMOTE_USER');

    $r = areq(path => '/fa/authz-compat/env.fcgi', user => 'bob', pw => 'secret');
    my $e = protected_env($r);
    ok t_cmp("$r->{status} " . ($e->{AUTHZ_USER} // '') . ' ' . ($e->{AUTHZ_APP} // ''), '200 bob perl',
             '-compat grant: Variable-* exported');
    ok t_cmp(exists $e->{Authz_Plain} ? 1 : 0, 0, '-compat grant: other headers are not');

    $r = areq(path => '/fa/authz-compat/env.fcgi', user => 'alice', pw => 'wonderland');
    ok t_cmp("$r->{status} $r->{body}", "403 authorizer app perl denied alice for /fa/authz-compat/env.fcgi\n",
             '-compat denial: status and body relayed too');
}

# ---- Require user alice with an authoritative authorizer: the app's grant
# ends the phase, so mod_authz_user never evaluates `Require user alice`
{
    my $r = areq(path => '/fa/authz-user/page.txt', user => 'bob', pw => 'secret');
    ok t_cmp($r->{status}, 200, 'Require user alice + app granting bob -> 200 (the Require line is not evaluated)');
    $r = areq(path => '/fa/authz-user/page.txt', user => 'alice', pw => 'wonderland');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '403 authorizer',
             'Require user alice + app denying alice -> 403 from the app');
}

# ---- Authoritative Off: a denial passes to mod_authz_core (Require user alice)
{
    my $r = areq(path => '/fa/authz-off/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . (protected_env($r)->{AUTHZ_USER} // ''), '200 bob', 'Off: the app grants bob');

    $r = areq(path => '/fa/authz-off/env.fcgi', user => 'alice', pw => 'wonderland');
    my $e = protected_env($r);
    ok t_cmp($r->{status}, 200, 'Off: alice, refused by the app, granted by Require user alice -> 200');
    ok t_cmp(exists $e->{AUTHZ_USER} ? 1 : 0, 0, 'Off: nothing exported by the refusing app');
    ok t_cmp(app_contacted($r->{id}), 1, 'Off: the app was asked first');

    $r = areq(path => '/fa/authz-off/page.txt', user => 'carol', pw => 'carolpw');
    my @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("$r->{status} @c", '401 Basic realm="fcgi-authz-off"', 'Off: carol refused by both -> 401 from httpd');
    ok t_cmp(hdr($r, 'X-Denied-By') // 'none', 'none', "Off: the app's denial is not relayed");
    ok t_cmp(protected_free($r), 1, 'Off: no protected content');
}

# ---- Require all granted: nobody needs a user, the authorizer is not asked
{
    my $r = areq(path => '/fa/authz-norequire/page.txt', user => 'alice', pw => 'wonderland');
    ok t_cmp($r->{status}, 200, 'Require all granted: alice -> 200');
    ok t_cmp(app_contacted($r->{id}), 0, 'Require all granted: the authorizer is never asked');
}

# ---- dynamic app: FastCgiAuthorizer names t/apps/auth.pl, the process manager starts it
{
    my $r = areq(path => '/fa/authz-dynamic/env.fcgi', user => 'bob', pw => 'secret', timeout => 60);
    ok t_cmp($r->{status}, 200, 'dynamic Perl authorizer: bob -> 200');
    my $e = protected_env($r);
    ok t_cmp("$e->{AUTHZ_USER} $e->{AUTHZ_APP} $e->{Authz_Plain}", 'bob perl plain-bob', 'dynamic: variables exported');
    my ($rec) = auth_envs($r->{id});
    my $a = $rec ? $rec->{env} : {};
    ok t_cmp("$a->{FCGI_ROLE} $a->{FCGI_APACHE_ROLE} $a->{REMOTE_USER}", 'AUTHORIZER AUTHORIZER bob',
             'dynamic: roles and REMOTE_USER');
    ok t_cmp(exists $a->{REMOTE_PASSWD} ? 1 : 0, 0, 'dynamic: no REMOTE_PASSWD');
    my $desc = httpd_descendants();
    ok t_cmp(($rec && $desc->{ $rec->{pid} }) ? 1 : 0, 1, 'dynamic: the app runs under httpd (process manager)');

    $r = areq(path => '/fa/authz-dynamic/env.fcgi', user => 'alice', pw => 'wonderland', timeout => 60);
    ok t_cmp("$r->{status} $r->{body}", "403 authorizer app perl denied alice for /fa/authz-dynamic/env.fcgi\n",
             'dynamic: alice -> 403 with the app body');
    $r = areq(path => '/fa/authz-dynamic/page.txt', user => 'bob', pw => 'secret', cmd => 'redirect', timeout => 60);
    ok t_cmp("$r->{status} " . (hdr($r, 'Location') // ''),
             '302 http://login.example/login?back=/fa/authz-dynamic/page.txt', 'dynamic: redirect relayed');
}

# ---- a CGI script behind the authorizer
if (have_module('cgid') || have_module('cgi')) {
    my $r = areq(path => '/fa/authz/env.cgi', user => 'bob', pw => 'secret');
    my $e = protected_env($r);
    ok t_cmp("$r->{status} $e->{AUTHZ_USER} $e->{AUTHZ_APP} $e->{Authz_Plain} $e->{REMOTE_USER}",
             '200 bob c plain-bob bob', 'CGI: exported variables and REMOTE_USER');
    my @leak = grep { /^(REMOTE_PASSWD|HTTP_AUTHZ_|HTTP_VARIABLE_)/ } sort keys %$e;
    ok t_cmp("@leak", '', 'CGI: no REMOTE_PASSWD, no HTTP_ variable made of the answer');
    $r = areq(path => '/fa/authz-compat/env.cgi', user => 'bob', pw => 'secret');
    $e = protected_env($r);
    ok t_cmp(($e->{AUTHZ_USER} // '') . ' ' . (exists $e->{Authz_Plain} ? 'plain' : 'no-plain'), 'bob no-plain',
             'CGI, -compat: only Variable- headers');
    $r = areq(path => '/fa/authz/env.cgi', user => 'alice', pw => 'wonderland');
    ok t_cmp("$r->{status} " . protected_free($r), '403 1', 'CGI: denied, script not run');
} else {
    skip 'mod_cgid/mod_cgi not loaded' for 1 .. 4;
}

# ---- leaks (the dynamic app is warm by now)
leak_check('authorizer', 60, sub {
    my $i = shift;
    my @c = (['/fa/authz/env.fcgi', 'bob', 'secret'], ['/fa/authz/page.txt', 'alice', 'wonderland'],
             ['/fa/authz-compat/page.txt', 'bob', 'secret'], ['/fa/authz-off/page.txt', 'alice', 'wonderland'],
             ['/fa/authz-off/page.txt', 'carol', 'carolpw'], ['/fa/authz-dynamic/page.txt', 'bob', 'secret'],
             ['/fa/authz-dynamic/page.txt', 'alice', 'wonderland'], ['/fa/authz/page.txt']);
    my $c = $c[$i % @c];
    areq(path => $c->[0], (@$c > 1 ? (user => $c->[1], pw => $c->[2]) : ()), timeout => 60);
});

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/FastCGI: authorization failed for user/,
                            qr/AH01617|AH01618|AH01630|AH01631|AH01797|AH01614/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
