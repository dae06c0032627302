# FastCgiAccessChecker: a FastCGI app decides on the request alone (no user),
# before mod_authz_core evaluates the Require lines. Grant/deny, env seen by
# the app, exported variables, denials relayed, -compat (Perl app),
# Authoritative Off, with and without `Require all granted`.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::Auth;

plan tests => 46, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
ensure_env_log();
start_apps(qw(c auth_c auth_perl));

sub protected_free {
    my ($r) = @_;
    return ($r->{body} !~ /protected page|GATEWAY_INTERFACE=|SCRIPT_FILENAME=/) ? 1 : 0;
}

# ---- no Require lines at all
{
    my $m = log_mark();
    my $r = areq(path => '/fa/access/page.txt');
    ok t_cmp($r->{status}, 403, 'no key -> 403');
    ok t_cmp(hdr($r, 'X-Denied-By') // '', 'access-checker', "the app's headers reach the client");
    ok t_cmp($r->{body}, "access-checker app c denied - for /fa/access/page.txt\n", "the app's body");
    ok t_cmp(scalar(my @x = hdr($r, 'WWW-Authenticate')), 0, 'no challenge');
    my $l = wait_log($m, qr/access denied: /);
    ok t_cmp($l, qr/FastCGI: access denied: \/fa\/access\/page\.txt/, 'log line');

    $r = areq(path => '/fa/access/env.fcgi', key => 'letmein');
    ok t_cmp($r->{status}, 200, 'X-Access-Key: letmein -> 200');
    my $e = protected_env($r);
    ok t_cmp("$e->{ACCESS_OK} $e->{ACCESS_APP} $e->{Access_Plain}", 'yes c plain-', 'variables exported');
    my @leak = grep { /^(HTTP_ACCESS_|HTTP_VARIABLE_|REMOTE_USER|REMOTE_PASSWD)/ } sort keys %$e;
    ok t_cmp("@leak", '', 'no request header made of the answer, no user');

    my $a = auth_env($r->{id}, 'ACCESS_CHECKER') || {};
    ok t_cmp("$a->{FCGI_ROLE} $a->{FCGI_APACHE_ROLE}", 'AUTHORIZER ACCESS_CHECKER', 'FCGI_ROLE, FCGI_APACHE_ROLE');
    ok t_cmp(join(',', grep { exists $a->{$_} } qw(REMOTE_USER REMOTE_PASSWD AUTH_TYPE PATH_TRANSLATED PATH_INFO)), '',
             'no REMOTE_USER, REMOTE_PASSWD, AUTH_TYPE, PATH_TRANSLATED, PATH_INFO');
    ok t_cmp("$a->{SCRIPT_NAME} $a->{HTTP_X_ACCESS_KEY} $a->{REQUEST_URI}", '/fa/access/env.fcgi letmein /fa/access/env.fcgi',
             'SCRIPT_NAME, request headers, REQUEST_URI');
    my @roles = map { $_->{role} } auth_envs($r->{id});
    ok t_cmp("@roles", 'ACCESS_CHECKER', 'asked once');

    # credentials sent anyway: the access phase comes before authentication
    $r = areq(path => '/fa/access/page.txt', key => 'letmein', user => 'bob', pw => 'secret');
    $a = auth_env($r->{id}, 'ACCESS_CHECKER') || {};
    ok t_cmp(join(',', grep { exists $a->{$_} } qw(REMOTE_USER REMOTE_PASSWD HTTP_AUTHORIZATION)), '',
             'Authorization sent: still no REMOTE_USER, REMOTE_PASSWD, HTTP_AUTHORIZATION');
}

# ---- denial forms
{
    my $r = areq(path => '/fa/access/page.txt', cmd => 'redirect');
    ok t_cmp("$r->{status} " . (hdr($r, 'Location') // ''), '302 http://login.example/login?back=/fa/access/page.txt',
             'redirect to a login page relayed');
    ok t_cmp(protected_free($r), 1, 'redirect: no protected content');
    $r = areq(path => '/fa/access/page.txt', cmd => 'deny401');
    ok t_cmp("$r->{status} $r->{body}", "401 access-checker app c denied - for /fa/access/page.txt\n",
             "the app's 401 and body relayed");
    ok t_cmp(scalar(my @c = hdr($r, 'WWW-Authenticate')), 0, 'the access checker adds no challenge to a 401');
    $r = areq(path => '/fa/access/page.txt', cmd => 'deny403-nobody');
    ok t_cmp(($r->{status} == 403 && $r->{body} =~ /<title>403 Forbidden<\/title>/ && hdr($r, 'X-Nobody')) ? 1 : 0, 1,
             "403 without body: httpd's page, the app's headers");
}

# ---- POST, PATH_INFO; -compat (Perl app)
{
    my $r = areq(method => 'POST', path => '/fa/access/env.fcgi/a/b?echo', body => 'payload', key => 'letmein');
    ok t_cmp("$r->{status} $r->{body}", '200 payload', 'POST body reaches the protected responder');
    my $a = auth_env($r->{id}, 'ACCESS_CHECKER') || {};
    ok t_cmp("$a->{SCRIPT_NAME} $a->{PATH_INFO} $a->{CONTENT_LENGTH}", '/fa/access/env.fcgi /a/b 7',
             'SCRIPT_NAME, PATH_INFO, CONTENT_LENGTH');

    $r = areq(method => 'POST', path => '/fa/access-compat/env.fcgi/a/b?echo', body => 'payload', key => 'letmein');
    ok t_cmp("$r->{status} $r->{body}", '200 payload', '-compat: POST body reaches the protected responder');
    $a = auth_env($r->{id}, 'ACCESS_CHECKER') || {};
    ok t_cmp(join(',', grep { exists $a->{$_} } qw(SCRIPT_NAME PATH_INFO PATH_TRANSLATED CONTENT_LENGTH)), '',
             '-compat: no SCRIPT_NAME, PATH_INFO, PATH_TRANSLATED, CONTENT_LENGTH');
    ok t_cmp("$a->{FCGI_ROLE} $a->{FCGI_APACHE_ROLE}", 'AUTHORIZER ACCESS_CHECKER', '-compat (Perl FCGI): roles');

    $r = areq(path => '/fa/access-compat/env.fcgi', key => 'letmein');
    my $e = protected_env($r);
    ok t_cmp("$r->{status} " . ($e->{ACCESS_OK} // '') . ' ' . ($e->{ACCESS_APP} // ''), '200 yes perl',
             '-compat: Variable-* exported');
    ok t_cmp(exists $e->{Access_Plain} ? 1 : 0, 0, '-compat: other headers are not');
    $r = areq(path => '/fa/access-compat/page.txt');
    ok t_cmp("$r->{status} $r->{body}", "403 access-checker app perl denied - for /fa/access-compat/page.txt\n",
             '-compat: denial relayed');
}

# ---- Require all granted: does not override the access checker
{
    my $r = areq(path => '/fa/access-granted/page.txt');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '403 access-checker',
             'Require all granted: no key -> 403 from the app (it runs first)');
    $r = areq(path => '/fa/access-granted/page.txt', key => 'letmein');
    ok t_cmp("$r->{status} $r->{body}", "200 protected page\n", 'Require all granted: key -> 200');
}

# ---- Require all denied: the app's grant does not override it either
{
    my $r = areq(path => '/fa/access-denied/page.txt', key => 'letmein');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // 'httpd'), '403 httpd',
             'Require all denied: key -> 403 from mod_authz_core');
    ok t_cmp(app_contacted($r->{id}), 1, 'Require all denied: the app was asked first');
    ok t_cmp(protected_free($r), 1, 'Require all denied: no protected content');
    $r = areq(path => '/fa/access-denied/page.txt');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // 'httpd'), '403 access-checker',
             'Require all denied: no key -> 403 from the app');
}

# ---- Authoritative Off: the denial is dropped, the Require lines decide
{
    my $m = log_mark();
    my $r = areq(path => '/fa/access-off/env.fcgi');
    my $e = protected_env($r);
    ok t_cmp($r->{status}, 200, 'Off + Require all granted: no key -> 200');
    ok t_cmp(exists $e->{ACCESS_OK} ? 1 : 0, 0, 'Off: nothing exported by the refusing app');
    ok t_cmp(app_contacted($r->{id}), 1, 'Off: the app was asked');
    ok t_cmp(hdr($r, 'X-Denied-By') // 'none', 'none', "Off: the app's denial headers are not sent");
    $r = areq(path => '/fa/access-off/env.fcgi', key => 'letmein');
    ok t_cmp("$r->{status} " . (protected_env($r)->{ACCESS_OK} // ''), '200 yes', 'Off: a grant still exports');

    $r = areq(path => '/fa/access-off-ip/page.txt');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // 'httpd'), '403 httpd',
             'Off + Require ip 192.0.2.1: no key -> 403 from mod_authz_core');
    $r = areq(path => '/fa/access-off-ip/page.txt', key => 'letmein');
    ok t_cmp("$r->{status} " . protected_free($r), '403 1', 'Off + Require ip 192.0.2.1: key -> still 403');
}

# ---- a CGI script behind the access checker
if (have_module('cgid') || have_module('cgi')) {
    my $r = areq(path => '/fa/access/env.cgi', key => 'letmein');
    my $e = protected_env($r);
    ok t_cmp("$r->{status} $e->{ACCESS_OK} $e->{ACCESS_APP} $e->{Access_Plain}", '200 yes c plain-',
             'CGI: exported variables');
    ok t_cmp(scalar(grep { /^(HTTP_ACCESS_|HTTP_VARIABLE_)/ } keys %$e), 0, 'CGI: not as request headers');
    $r = areq(path => '/fa/access/env.cgi');
    ok t_cmp("$r->{status} " . protected_free($r), '403 1', 'CGI: denied, script not run');
} else {
    skip 'mod_cgid/mod_cgi not loaded' for 1 .. 3;
}

leak_check('access checker', 60, sub {
    my $i = shift;
    my @c = (['/fa/access/env.fcgi', 'letmein'], ['/fa/access/page.txt'], ['/fa/access-compat/page.txt', 'letmein'],
             ['/fa/access-compat/page.txt'], ['/fa/access-off/page.txt'], ['/fa/access-denied/page.txt', 'letmein']);
    my $c = $c[$i % @c];
    areq(path => $c->[0], (@$c > 1 ? (key => $c->[1]) : ()), ($i % 10 == 7 ? (cmd => 'redirect') : ()));
});

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/FastCGI: access denied: /, qr/AH01630|AH01631|AH01797/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
