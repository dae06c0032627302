# FastCgiAuthenticator: Basic credentials checked by a FastCGI app (C on
# libfcgi, Perl FCGI, the C app as a static FastCgiServer); the environment the
# app receives; the variables a grant exports to a FastCGI responder and to a
# CGI script; denials relayed to the client; -compat; Authoritative Off
# falling through to mod_authn_file; Require combinations.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::Auth;

use constant TESTS      => 134;
plan tests => TESTS, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
ensure_env_log();
make_htpasswd();
start_apps(qw(c auth_c auth_perl));

my @bugs;   # [got, expected, name]: asserted last (once known bugs, fixed since)

sub protected_free {
    my ($r) = @_;
    return ($r->{body} !~ /protected page|GATEWAY_INTERFACE=|SCRIPT_FILENAME=/) ? 1 : 0;
}

# ---- no credentials: 401 with httpd's Basic challenge, the app is not asked
{
    my $r = areq(path => '/fa/authn/env.fcgi');
    ok t_cmp($r->{status}, 401, 'no credentials -> 401');
    my @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("@c", 'Basic realm="fcgi-authn"', "httpd's challenge with the AuthName");
    ok t_cmp(app_contacted($r->{id}), 0, 'no credentials: the app was not contacted');

    $r = areq(path => '/fa/authn/env.fcgi', headers => ['Authorization' => 'Bearer abc']);
    ok t_cmp($r->{status}, 401, 'another scheme (Bearer) -> 401');
    ok t_cmp(app_contacted($r->{id}), 0, 'other scheme: the app was not contacted');
}

# ---- grants: C external, Perl external, C static (FastCgiServer)
for my $case (['authn', 'c', 'external libfcgi app'], ['authn-perl', 'perl', 'external Perl FCGI app'],
              ['authn-static', 'c', 'static app (FastCgiServer)']) {
    my ($zone, $app, $what) = @$case;
    my $r = areq(path => "/fa/$zone/env.fcgi", user => 'bob', pw => 'secret');
    ok t_cmp($r->{status}, 200, "$what: bob:secret -> 200");
    my $e = protected_env($r);
    ok t_cmp($e->{AUTHN_USER}, 'bob', "$what: Variable-AUTHN_USER exported as AUTHN_USER");
    ok t_cmp($e->{AUTHN_APP}, $app, "$what: the answer came from the $app app");
    ok t_cmp($e->{Authn_Plain}, 'plain-bob', "$what: a header without Variable- exported too (Authn-Plain -> Authn_Plain)");
    ok t_cmp($e->{REMOTE_USER}, 'bob', "$what: responder sees REMOTE_USER");
    ok t_cmp($e->{AUTH_TYPE}, 'Basic', "$what: responder sees AUTH_TYPE=Basic");
    my @leak = grep { /^(REMOTE_PASSWD|HTTP_AUTHN_|HTTP_VARIABLE_|HTTP_AUTHORIZATION|Variable_)/ } sort keys %$e;
    ok t_cmp("@leak", '', "$what: no REMOTE_PASSWD, no request header made of the app's answer");

    my $a = auth_env($r->{id}, 'AUTHENTICATOR') || {};
    ok t_cmp($a->{FCGI_ROLE}, 'AUTHORIZER', "$what: FastCGI role AUTHORIZER");
    ok t_cmp($a->{FCGI_APACHE_ROLE}, 'AUTHENTICATOR', "$what: FCGI_APACHE_ROLE=AUTHENTICATOR");
    ok t_cmp($a->{REMOTE_USER}, 'bob', "$what: app sees REMOTE_USER");
    ok t_cmp($a->{REMOTE_PASSWD}, 'secret', "$what: app sees REMOTE_PASSWD");
    ok t_cmp($a->{AUTH_TYPE}, 'Basic', "$what: app sees AUTH_TYPE");
    ok t_cmp($a->{SCRIPT_NAME}, "/fa/$zone/env.fcgi", "$what: app sees SCRIPT_NAME (not -compat)");
    ok t_cmp(join(',', grep { exists $a->{$_} } qw(PATH_TRANSLATED PATH_INFO HTTP_AUTHORIZATION)), '',
             "$what: no PATH_TRANSLATED, no PATH_INFO (none in the URL), no HTTP_AUTHORIZATION");
    ok t_cmp("$a->{REQUEST_METHOD} $a->{REQUEST_URI} $a->{GATEWAY_INTERFACE}", "GET /fa/$zone/env.fcgi CGI/1.1",
             "$what: REQUEST_METHOD, REQUEST_URI, GATEWAY_INTERFACE");
    my @roles = map { $_->{role} } auth_envs($r->{id});
    ok t_cmp("@roles", 'AUTHENTICATOR', "$what: asked once, as authenticator only");
}

# ---- an explicit "Status: 200 OK" grants the same way; Status is not exported
{
    my $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'grant-status');
    my $e = protected_env($r);
    ok t_cmp("$r->{status} " . ($e->{AUTHN_USER} // ''), '200 bob', 'Status: 200 OK grants');
    ok t_cmp(join(',', grep { /^(Status|STATUS)$/ } keys %$e), '', 'the Status header is not exported');
}

# ---- credentials are passed as they are: UTF-8 user, colon and space in the password
{
    my $r = areq(path => '/fa/authn/page.txt', user => "zo\xc3\xab", pw => 'p:w d');
    ok t_cmp($r->{status}, 401, 'unknown user -> 401');
    my $a = auth_env($r->{id}, 'AUTHENTICATOR') || {};
    ok t_cmp(($a->{REMOTE_USER} // '') . '|' . ($a->{REMOTE_PASSWD} // ''), "zo\xc3\xab|p:w d",
             'REMOTE_USER and REMOTE_PASSWD exactly as sent (split at the first colon)');
    $r = areq(path => '/fa/authn/page.txt', user => 'bob', pw => '');
    $a = auth_env($r->{id}, 'AUTHENTICATOR') || {};
    ok t_cmp($r->{status} . ' ' . (defined $a->{REMOTE_PASSWD} ? "[$a->{REMOTE_PASSWD}]" : 'undef'), '401 []',
             'empty password: sent as an empty REMOTE_PASSWD, refused');
}

# ---- PATH_INFO, a POST body (the protected responder still gets it), -compat
{
    my $r = areq(method => 'POST', path => '/fa/authn/env.fcgi/x/y?echo', body => 'hello body',
                 user => 'alice', pw => 'wonderland');
    ok t_cmp("$r->{status} $r->{body}", '200 hello body', 'POST: body reaches the protected responder intact');
    my $a = auth_env($r->{id}, 'AUTHENTICATOR') || {};
    ok t_cmp("$a->{SCRIPT_NAME} $a->{PATH_INFO}", '/fa/authn/env.fcgi /x/y', 'authenticator: SCRIPT_NAME and PATH_INFO');
    ok t_cmp("$a->{REQUEST_METHOD} $a->{QUERY_STRING}", 'POST echo', 'authenticator: REQUEST_METHOD, QUERY_STRING');
    ok t_cmp($a->{CONTENT_LENGTH}, 10, 'authenticator (not -compat): CONTENT_LENGTH of the request');
    ok t_cmp(exists $a->{PATH_TRANSLATED} ? 1 : 0, 0, 'authenticator: never PATH_TRANSLATED');

    $r = areq(method => 'POST', path => '/fa/authn-compat/env.fcgi/x/y?echo', body => 'hello body',
              user => 'alice', pw => 'wonderland');
    ok t_cmp("$r->{status} $r->{body}", '200 hello body', '-compat POST: body reaches the responder');
    $a = auth_env($r->{id}, 'AUTHENTICATOR') || {};
    ok t_cmp(join(',', grep { exists $a->{$_} } qw(SCRIPT_NAME PATH_INFO PATH_TRANSLATED CONTENT_LENGTH)), '',
             '-compat: no SCRIPT_NAME, PATH_INFO, PATH_TRANSLATED, CONTENT_LENGTH');
    ok t_cmp("$a->{FCGI_APACHE_ROLE} $a->{REMOTE_USER} $a->{REMOTE_PASSWD}", 'AUTHENTICATOR alice wonderland',
             '-compat: role, REMOTE_USER and REMOTE_PASSWD still sent');

    $r = areq(path => '/fa/authn-compat/env.fcgi', user => 'bob', pw => 'secret');
    my $e = protected_env($r);
    ok t_cmp("$r->{status} " . ($e->{AUTHN_USER} // 'none'), '200 bob', '-compat grant: Variable-AUTHN_USER exported');
    ok t_cmp(join(',', grep { exists $e->{$_} } qw(Authn_Plain Authn-Plain REMOTE_PASSWD)), '',
             '-compat grant: headers without Variable- are not exported');
}

# ---- denials relayed: status, headers, body
{
    my $m = log_mark();
    my $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'wrong-pw-4711');
    ok t_cmp($r->{status}, 401, 'bob:wrong -> 401');
    my @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp(join('|', @c), 'Basic realm="fastcgi-app"', "the app's challenge, alone");
    ok t_cmp(hdr($r, 'X-Denied-By') // '', 'authenticator', "the app's other headers reach the client");
    ok t_cmp($r->{body}, "authenticator app c denied bob for /fa/authn/env.fcgi\n", "the app's body");
    ok t_cmp(hdr($r, 'Content-Type') // '', 'text/plain', "the app's Content-Type");
    my $l = wait_log($m, qr/authentication failed for user "bob"/);
    ok t_cmp($l, qr/FastCGI: authentication failed for user "bob": \/fa\/authn\/env\.fcgi/, 'log line for the denial');
    ok t_cmp($l =~ /wrong-pw-4711|REMOTE_PASSWD/ ? 1 : 0, 0, 'the password is not in the log');

    $r = areq(path => '/fa/authn/env.fcgi', user => 'eve', pw => 'x');
    ok t_cmp($r->{status}, 401, 'unknown user -> 401');

    # dave is in the AuthUserFile of this zone, but the app is authoritative
    $r = areq(path => '/fa/authn/page.txt', user => 'dave', pw => 'davepw');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '401 authenticator',
             'Authoritative On: the AuthUserFile is not consulted after a denial');

    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny401');
    @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("$r->{status} @c", '401 Basic realm="fcgi-authn"', "a 401 without challenge gets httpd's Basic challenge");
    ok t_cmp($r->{body}, qr/^authenticator app c denied bob/, '... and keeps the app body');

    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny401-nobody');
    @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("$r->{status} @c", '401 Basic realm="fcgi-authn"', '401 without body: httpd challenge');
    ok t_cmp(($r->{body} =~ /<title>401 Unauthorized<\/title>/ && hdr($r, 'X-Nobody')) ? 1 : 0, 1,
             "401 without body: httpd's page, the app's headers");

    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny403');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '403 authenticator', 'the app may deny with 403');
    ok t_cmp($r->{body}, "authenticator app c denied bob for /fa/authn/env.fcgi\n", '403 with the app body');
    ok t_cmp(scalar(my @x = hdr($r, 'WWW-Authenticate')), 0, 'a 403 gets no challenge');

    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny403-nobody');
    ok t_cmp(($r->{status} == 403 && $r->{body} =~ /<title>403 Forbidden<\/title>/) ? 1 : 0, 1,
             "403 without body: httpd's page");

    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny403-cookies');
    ok t_cmp("$r->{status} " . join('|', hdr($r, 'Set-Cookie')) . " $r->{body}", "403 a=1; Path=/|b=2; Path=/ cookies\n",
             'repeated headers of a denial (two Set-Cookie) all reach the client');

    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'redirect');
    ok t_cmp($r->{status}, 302, 'the app may redirect (302)');
    ok t_cmp(hdr($r, 'Location') // '', 'http://login.example/login?back=/fa/authn/env.fcgi', 'Location relayed');
    ok t_cmp($r->{body}, qr/login\.example/, 'redirect body relayed');

    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'redirect-nobody');
    ok t_cmp("$r->{status} " . (hdr($r, 'Location') // ''), '302 http://login.example/login',
             'a 302 without body: httpd writes the page, Location kept');
    ok t_cmp(protected_free($r), 1, '302 without body: no protected content');

    # CGI/1.1: Location without Status is a client redirect (302), so not a
    # 200: the answer must deny (today it grants: fail open)
    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'wrong', cmd => 'location-only');
    push @bugs, ["$r->{status} " . (hdr($r, 'Location') // '') . ' ' . protected_free($r),
                 '302 http://login.example/login 1',
                 'authenticator answering only "Location: <url>" (a CGI redirect) denies with 302, not a grant'];
    $r = areq(path => '/fa/access/env.fcgi', cmd => 'location-only');
    push @bugs, ["$r->{status} " . protected_free($r), '302 1',
                 'access checker answering only "Location: <url>" denies with 302, not a grant'];

    $r = areq(method => 'HEAD', path => '/fa/authn/env.fcgi', user => 'bob', pw => 'wrong');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // '') . ' ' . length($r->{extra} // ''),
             '401 authenticator 0', 'HEAD: denial headers, no body');

    for my $r (map { areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'wrong') } 1) {
        ok t_cmp(protected_free($r), 1, 'a denial never shows the protected content');
    }

    $r = areq(path => '/fa/authn-perl/env.fcgi', user => 'alice', pw => 'nope');
    ok t_cmp("$r->{status} " . (hdr($r, 'WWW-Authenticate') // ''), '401 Basic realm="fastcgi-app"',
             'Perl app: denial with its challenge');
    ok t_cmp($r->{body}, "authenticator app perl denied alice for /fa/authn-perl/env.fcgi\n", 'Perl app: its body');

    # big denial page: relayed in full
    $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret', cmd => 'deny403-big', sink => 1);
    ok t_cmp($r->{status}, 403, '100 KB denial page: 403');
    ok t_cmp($r->{complete}, 1, '100 KB denial page: response complete');
    push @bugs, [$r->{body_len}, 100000, '100 KB denial page relayed in full (not cut at 64 KiB)'];
}

# ---- keep-alive: a POST denied with a relayed body, then the next request
{
    require IO::Socket::INET;
    require IO::Select;
    my $s = IO::Socket::INET->new(PeerAddr => server_host(), PeerPort => server_port(), Timeout => 10);
    my $body = 'x' x 5000;
    print $s "POST /fa/authn/env.fcgi HTTP/1.1\r\nHost: x\r\nAuthorization: " . basic_auth('bob', 'bad')
           . "\r\nContent-Length: 5000\r\n\r\n$body"
           . "GET /fa/authn/env.fcgi HTTP/1.1\r\nHost: x\r\nAuthorization: " . basic_auth('bob', 'secret')
           . "\r\nConnection: close\r\n\r\n";
    my $all = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(10)) {
        last unless sysread($s, my $buf, 65536);
        $all .= $buf;
    }
    my @st = $all =~ m{^HTTP/1\.1 (\d{3})}mg;
    ok t_cmp("@st", '401 200', 'pipelined: denied POST (body discarded), then a granted GET on the same connection');
    ok t_cmp($all =~ /^AUTHN_USER=bob$/m ? 1 : 0, 1, 'the second request was authenticated');
}

# ---- Authoritative Off: a denial passes to mod_authn_file
{
    my $r = areq(path => '/fa/authn-off/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . (protected_env($r)->{AUTHN_USER} // ''), '200 bob', 'Off: the app grants bob');

    $r = areq(path => '/fa/authn-off/env.fcgi', user => 'dave', pw => 'davepw');
    my $e = protected_env($r);
    ok t_cmp($r->{status}, 200, 'Off: dave (refused by the app, in the AuthUserFile) -> 200');
    ok t_cmp("$e->{REMOTE_USER} " . (exists $e->{AUTHN_USER} ? 'exported' : 'none'), 'dave none',
             'Off: REMOTE_USER=dave, nothing exported by the app');
    ok t_cmp(app_contacted($r->{id}), 1, 'Off: the app was asked first');
    ok t_cmp(hdr($r, 'X-Denied-By') // 'none', 'none', "Off: the app's denial headers are not sent");

    $r = areq(path => '/fa/authn-off/env.fcgi', user => 'dave', pw => 'bad');
    my @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("$r->{status} @c", '401 Basic realm="fcgi-authn-off"', 'Off: both refuse -> 401 with httpd challenge');
    ok t_cmp(($r->{body} =~ /<title>401 Unauthorized<\/title>/ && !hdr($r, 'X-Denied-By')) ? 1 : 0, 1,
             "Off: httpd's page, not the app's");
    ok t_cmp(protected_free($r), 1, 'Off: no protected content');
}

# ---- Require combinations
{
    # Require user bob: the app authenticates, mod_authz_user decides
    my $r = areq(path => '/fa/authn-user/page.txt', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} $r->{body}", "200 protected page\n", 'Require user bob: bob -> 200');
    $r = areq(path => '/fa/authn-user/page.txt', user => 'carol', pw => 'carolpw');
    my @c = hdr($r, 'WWW-Authenticate');
    ok t_cmp("$r->{status} @c", '401 Basic realm="fcgi-authn-user"', 'Require user bob: carol (authenticated) -> 401');
    ok t_cmp(app_contacted($r->{id}), 1, 'Require user bob: carol was authenticated by the app');

    # <RequireAny> Require ip 127.0.0.1 / Require valid-user: the ip grants,
    # no user is needed, so the authenticator is never asked
    $r = areq(path => '/fa/authn-ipany/env.fcgi');
    my $e = protected_env($r);
    ok t_cmp($r->{status}, 200, 'RequireAny ip 127.0.0.1|valid-user: no credentials -> 200');
    ok t_cmp(join(',', grep { exists $e->{$_} } qw(REMOTE_USER AUTHN_USER)), '', '... anonymous, nothing exported');
    ok t_cmp(app_contacted($r->{id}), 0, '... the app was not asked');
    $r = areq(path => '/fa/authn-ipany/page.txt', user => 'bob', pw => 'wrong');
    ok t_cmp($r->{status}, 200, '... even wrong credentials -> 200 (never checked)');
    ok t_cmp(app_contacted($r->{id}), 0, '... the app was not asked');

    # the ip does not match: valid-user decides
    $r = areq(path => '/fa/authn-ipother/page.txt');
    ok t_cmp($r->{status}, 401, 'RequireAny ip 192.0.2.1|valid-user: no credentials -> 401');
    $r = areq(path => '/fa/authn-ipother/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . (protected_env($r)->{AUTHN_USER} // ''), '200 bob', '... bob:secret -> 200 via the app');
    $r = areq(path => '/fa/authn-ipother/page.txt', user => 'bob', pw => 'wrong');
    ok t_cmp("$r->{status} " . (hdr($r, 'X-Denied-By') // ''), '401 authenticator', '... bob:wrong -> the app denies');

    # Require all granted: nothing needs a user, the authenticator is not run
    $r = areq(path => '/fa/authn-norequire/page.txt');
    ok t_cmp($r->{status}, 200, 'Require all granted: no credentials -> 200');
    ok t_cmp(app_contacted($r->{id}), 0, 'Require all granted: the authenticator is never asked');
}

# ---- a CGI script behind the authenticator (mod_cgid / mod_cgi)
if (have_module('cgid') || have_module('cgi')) {
    my $r = areq(path => '/fa/authn/env.cgi', user => 'bob', pw => 'secret');
    my $e = protected_env($r);
    ok t_cmp($r->{status}, 200, 'CGI: bob:secret -> 200');
    ok t_cmp("$e->{AUTHN_USER} $e->{AUTHN_APP} $e->{Authn_Plain}", 'bob c plain-bob', 'CGI: the exported variables');
    ok t_cmp($e->{REMOTE_USER}, 'bob', 'CGI: REMOTE_USER');
    my @leak = grep { /^(REMOTE_PASSWD|HTTP_AUTHN_|HTTP_VARIABLE_|HTTP_AUTHORIZATION)/ } sort keys %$e;
    ok t_cmp("@leak", '', 'CGI: no REMOTE_PASSWD, no HTTP_ variable made of the answer');

    $r = areq(path => '/fa/authn-compat/env.cgi', user => 'bob', pw => 'secret');
    $e = protected_env($r);
    ok t_cmp("$r->{status} " . ($e->{AUTHN_USER} // '') . ' ' . (exists $e->{Authn_Plain} ? 'plain' : 'no-plain'),
             '200 bob no-plain', 'CGI, -compat: only the Variable- headers exported');

    $r = areq(path => '/fa/authn/env.cgi', user => 'bob', pw => 'bad');
    ok t_cmp("$r->{status} " . protected_free($r), '401 1', 'CGI: a denial never runs the script');
} else {
    skip 'mod_cgid/mod_cgi not loaded' for 1 .. 6;
}

# ---- the LoadModule order the suite runs with
{
    open my $fh, '<', t_dir() . '/conf/httpd.conf' or die;
    my ($n, $basic, $fcgi) = (0);
    while (<$fh>) {
        $n++;
        $basic //= $n if /^\s*LoadModule\s+auth_basic_module/;
        $fcgi  //= $n if /^\s*LoadModule\s+fastcgi_module/;
    }
    ok t_cmp(($basic && $fcgi && $basic < $fcgi) ? 1 : 0, 1,
             "mod_auth_basic is loaded before mod_fastcgi (lines $basic, $fcgi): the tests above "
             . 'prove the hooks run first anyway, without AuthBasicAuthoritative Off');
}

# ---- leaks
leak_check('authenticator', 60, sub {
    my $i = shift;
    my @c = (['/fa/authn/env.fcgi', 'bob', 'secret'], ['/fa/authn/env.fcgi', 'bob', 'bad'],
             ['/fa/authn-perl/page.txt', 'alice', 'wonderland'], ['/fa/authn-off/page.txt', 'dave', 'davepw'],
             ['/fa/authn-static/page.txt', 'carol', 'carolpw'], ['/fa/authn/env.fcgi'],
             ['/fa/authn-compat/page.txt', 'bob', 'secret'], ['/fa/authn-off/page.txt', 'dave', 'x']);
    my $c = $c[$i % @c];
    areq(path => $c->[0], (@$c > 1 ? (user => $c->[1], pw => $c->[2]) : ()),
         ($i % 16 == 3 ? (cmd => 'deny403') : ()));
});

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/FastCGI: authentication failed for user/, qr/FastCGI: access denied: \/fa\/access\//,
                            qr/AH01617|AH01618|AH01630|AH01631|AH01797|AH01614/,   # mod_auth_basic / authz_core refusals
                            qr/AH01796/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));

# ---- behaviour that was wrong once (Location without Status, long denial pages)
ok t_cmp($_->[0], $_->[1], $_->[2]) for @bugs;
