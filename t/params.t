# The FastCGI params (CGI/1.1 environment) an external app receives.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

plan tests => 71, need_module 'fastcgi';

my $parent  = httpd_pid();
my $mark    = log_mark();
my $docroot = docroot();
my $port    = server_port();
start_apps('c');

my $basic  = 'Basic dXNlcjpwYXNz';
my $pbasic = 'Basic cHJveHk6cHc=';

# ---- the full CGI/1.1 set
{
    my $r = http(path => '/ext/c.fcgi/extra/path?env&x=1',
                 headers => ['X-Dash-Name' => 'dash', 'User-Agent' => 'fcgi-test/1.0',
                             'X-Empty' => '']);
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'env request answered');
    ok t_cmp($e->{GATEWAY_INTERFACE}, 'CGI/1.1', 'GATEWAY_INTERFACE');
    ok t_cmp($e->{SERVER_SOFTWARE}, qr/Apache/, 'SERVER_SOFTWARE');
    ok t_cmp($e->{SERVER_NAME}, qr/^(127\.0\.0\.1|localhost)$/, 'SERVER_NAME');
    ok t_cmp($e->{SERVER_PORT}, $port, 'SERVER_PORT');
    ok t_cmp($e->{SERVER_ADDR}, '127.0.0.1', 'SERVER_ADDR');
    ok t_cmp($e->{REMOTE_ADDR}, '127.0.0.1', 'REMOTE_ADDR');
    ok t_cmp($e->{REMOTE_PORT}, qr/^\d+$/, 'REMOTE_PORT');
    ok t_cmp($e->{REQUEST_METHOD}, 'GET', 'REQUEST_METHOD');
    ok t_cmp($e->{QUERY_STRING}, 'env&x=1', 'QUERY_STRING');
    ok t_cmp($e->{REQUEST_URI}, '/ext/c.fcgi/extra/path?env&x=1', 'REQUEST_URI');
    ok t_cmp($e->{SCRIPT_NAME}, '/ext/c.fcgi', 'SCRIPT_NAME');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/c.fcgi", 'SCRIPT_FILENAME');
    ok t_cmp($e->{DOCUMENT_ROOT}, $docroot, 'DOCUMENT_ROOT');
    ok t_cmp($e->{REQUEST_SCHEME}, 'http', 'REQUEST_SCHEME');
    ok t_cmp($e->{SERVER_PROTOCOL}, 'HTTP/1.1', 'SERVER_PROTOCOL');
    ok t_cmp($e->{HTTP_HOST}, "127.0.0.1:$port", 'HTTP_HOST');
    ok t_cmp($e->{HTTP_USER_AGENT}, 'fcgi-test/1.0', 'HTTP_USER_AGENT');
    ok t_cmp($e->{HTTP_X_DASH_NAME}, 'dash', 'X-Dash-Name -> HTTP_X_DASH_NAME');
    ok t_cmp($e->{HTTP_X_EMPTY}, '', 'an empty header value arrives as an empty param');
    ok t_cmp($e->{PATH_INFO}, '/extra/path', 'PATH_INFO');
    ok t_cmp($e->{PATH_TRANSLATED}, "$docroot/extra/path", 'PATH_TRANSLATED');
    ok t_cmp(exists $e->{CONTENT_LENGTH} ? 1 : 0, 0, 'no CONTENT_LENGTH on a GET without body');
    ok t_cmp(exists $e->{CONTENT_TYPE} ? 1 : 0, 0, 'no CONTENT_TYPE on a GET without body');
    ok t_cmp(exists $e->{PATH} ? 1 : 0, 1, 'PATH is passed (as mod_cgi does)');
}

# ---- no query string: QUERY_STRING present and empty; no PATH_INFO
{
    my $r = http(path => '/ext/c.fcgi');
    my @q = env_lines($r->{body}, 'QUERY_STRING');
    ok t_cmp("@q", 'QUERY_STRING=', 'QUERY_STRING is the empty string when there is none');
    my @pi = env_lines($r->{body}, 'PATH_INFO');
    ok t_cmp(scalar(@pi), 0, 'no PATH_INFO without extra path');
    my @pt = env_lines($r->{body}, 'PATH_TRANSLATED');
    ok t_cmp(scalar(@pt), 0, 'no PATH_TRANSLATED without extra path');
}

# ---- HTTP/1.0 request
{
    my $r = http(path => '/ext/c.fcgi?env', version => '1.0');
    my $e = parse_env($r->{body});
    ok t_cmp($e->{SERVER_PROTOCOL}, 'HTTP/1.0', 'SERVER_PROTOCOL for an HTTP/1.0 request');
}

# ---- request body metadata
{
    my $r = http(path => '/ext/c.fcgi?env', method => 'POST', body => 'a=1&b',
                 headers => ['Content-Type' => 'application/x-www-form-urlencoded']);
    my $e = parse_env($r->{body});
    ok t_cmp($e->{REQUEST_METHOD}, 'POST', 'POST: REQUEST_METHOD');
    ok t_cmp($e->{CONTENT_LENGTH}, 5, 'POST: CONTENT_LENGTH');
    ok t_cmp($e->{CONTENT_TYPE}, 'application/x-www-form-urlencoded', 'POST: CONTENT_TYPE');
}

# ---- SetEnv
{
    my $r = http(path => '/ext/setenv.fcgi?env');
    my $e = parse_env($r->{body});
    ok t_cmp($e->{FCGI_TEST_SETENV}, 'hello-from-setenv', 'SetEnv variable reaches the app');
    ok t_cmp($e->{FCGI_TEST_LONGENV}, ('0123456789abcdef' x 20), 'SetEnv value of 320 bytes (> 127) intact');
}

# ---- Authorization
{
    my @h = ('Authorization' => $basic, 'Proxy-Authorization' => $pbasic);
    my $r = http(path => '/ext/c.fcgi?env', headers => [@h]);
    my $e = parse_env($r->{body});
    ok t_cmp(exists $e->{HTTP_AUTHORIZATION} ? 1 : 0, 0, 'no HTTP_AUTHORIZATION by default');
    ok t_cmp(exists $e->{HTTP_PROXY_AUTHORIZATION} ? 1 : 0, 0, 'no HTTP_PROXY_AUTHORIZATION by default');
    ok t_cmp(scalar(grep { /AUTHORIZATION/ } keys %$e), 0, 'no *AUTHORIZATION* at all by default');

    $r = http(path => '/ext/pass.fcgi?env', headers => [@h]);
    $e = parse_env($r->{body});
    ok t_cmp($e->{HTTP_AUTHORIZATION}, $basic, '-pass-header Authorization gives HTTP_AUTHORIZATION');
    ok t_cmp($e->{HTTP_PROXY_AUTHORIZATION}, $pbasic, 'second -pass-header (Proxy-Authorization) works too');
    ok t_cmp(exists $e->{REDIRECT_HTTP_AUTHORIZATION} ? 1 : 0, 0, 'never REDIRECT_HTTP_AUTHORIZATION (-pass-header)');
    my @lines = env_lines($r->{body}, 'HTTP_AUTHORIZATION');
    ok t_cmp(scalar(@lines), 1, 'HTTP_AUTHORIZATION exactly once');

    $r = http(path => '/ext/cgipassauth.fcgi?env', headers => [@h]);
    $e = parse_env($r->{body});
    ok t_cmp($e->{HTTP_AUTHORIZATION}, $basic, 'CGIPassAuth On gives HTTP_AUTHORIZATION');
    ok t_cmp(exists $e->{REDIRECT_HTTP_AUTHORIZATION} ? 1 : 0, 0, 'never REDIRECT_HTTP_AUTHORIZATION (CGIPassAuth)');

    # pass-header without the header in the request: nothing (not an empty value)
    $r = http(path => '/ext/pass.fcgi?env');
    $e = parse_env($r->{body});
    ok t_cmp(exists $e->{HTTP_AUTHORIZATION} ? 1 : 0, 0, '-pass-header of an absent header sends nothing');
}

# ---- httpoxy and header-name collisions
{
    my $r = http(path => '/ext/c.fcgi?env', headers => ['Proxy' => 'http://evil.example:1/']);
    my $e = parse_env($r->{body});
    ok t_cmp(exists $e->{HTTP_PROXY} ? 1 : 0, 0, 'Proxy: header never gives HTTP_PROXY');
    $r = http(path => '/ext/pass.fcgi?env', headers => ['Proxy' => 'http://evil.example:1/']);
    $e = parse_env($r->{body});
    ok t_cmp(exists $e->{HTTP_PROXY} ? 1 : 0, 0, 'no HTTP_PROXY with -pass-header either');

    $r = http(path => '/ext/c.fcgi?env', headers => ['Foo_Bar' => 'evil', 'Foo-Bar' => 'good']);
    my @l = env_lines($r->{body}, 'HTTP_FOO_BAR');
    ok t_cmp("@l", 'HTTP_FOO_BAR=good', 'Foo_Bar dropped, Foo-Bar kept (underscore first)');
    $r = http(path => '/ext/c.fcgi?env', headers => ['Foo-Bar' => 'good', 'Foo_Bar' => 'evil']);
    @l = env_lines($r->{body}, 'HTTP_FOO_BAR');
    ok t_cmp("@l", 'HTTP_FOO_BAR=good', 'Foo_Bar dropped, Foo-Bar kept (underscore last)');
    $r = http(path => '/ext/c.fcgi?env', headers => ['X_Only_Underscore' => 'evil']);
    ok t_cmp(scalar(grep { /evil/ } split /\n/, $r->{body}), 0, 'a header with only an underscore name is dropped');
}

# ---- long values (1- and 4-byte lengths, > 65535 needs several PARAMS records)
{
    for my $len (127, 128, 65535, 65536, 100000) {
        my $v = join '', map { chr(97 + $_ % 26) } 0 .. $len - 1;
        my $r = http(path => '/ext/c.fcgi?env', headers => ['X-Long' => $v]);
        my $e = parse_env($r->{body});
        ok t_cmp(length($e->{HTTP_X_LONG} // ''), $len, "header value of $len bytes: length");
        ok t_cmp(($e->{HTTP_X_LONG} // '') eq $v ? 1 : 0, 1, "header value of $len bytes: content");
    }
    my $pad = 'q' x 100000;
    my $r = http(path => "/ext/c.fcgi?env&pad=$pad");
    my $e = parse_env($r->{body});
    ok t_cmp(($e->{QUERY_STRING} // '') eq "env&pad=$pad" ? 1 : 0, 1, '100 KB QUERY_STRING intact');
    ok t_cmp(($e->{REQUEST_URI} // '') eq "/ext/c.fcgi?env&pad=$pad" ? 1 : 0, 1, '100 KB REQUEST_URI intact');
    my $cookie = join '; ', map { "c$_=" . ('v' x 60) } 1 .. 1200;   # ~78 KB
    $r = http(path => '/ext/c.fcgi?env', headers => ['Cookie' => $cookie]);
    $e = parse_env($r->{body});
    ok t_cmp(($e->{HTTP_COOKIE} // '') eq $cookie ? 1 : 0, 1, 'a ' . length($cookie) . '-byte cookie intact');
    # a long name too
    my $name = 'X-' . ('N' x 200);
    (my $pname = 'HTTP_' . uc $name) =~ tr/-/_/;
    $r = http(path => '/ext/c.fcgi?env', headers => [$name => 'long-name']);
    $e = parse_env($r->{body});
    ok t_cmp($e->{$pname}, 'long-name', 'header with a 202-byte name (4-byte name length)');
}

# ---- encoded characters
{
    my $r = http(path => '/ext/missing.fcgi/a%20b/c%2Bd?env&q=%41+b');
    my $e = parse_env($r->{body});
    ok t_cmp($e->{PATH_INFO}, '/a b/c+d', 'PATH_INFO is decoded');
    ok t_cmp($e->{REQUEST_URI}, '/ext/missing.fcgi/a%20b/c%2Bd?env&q=%41+b', 'REQUEST_URI is raw');
    ok t_cmp($e->{QUERY_STRING}, 'env&q=%41+b', 'QUERY_STRING is raw');
}

# ---- many headers
{
    my @h = map { ("X-Many-$_" => "v$_") } 1 .. 90;
    my $r = http(path => '/ext/c.fcgi?env', headers => \@h);
    my $e = parse_env($r->{body});
    my $n = grep { ($e->{"HTTP_X_MANY_$_"} // '') eq "v$_" } 1 .. 90;
    ok t_cmp($n, 90, '90 request headers all arrive');
}

leak_check('params', 50, sub { http(path => '/ext/pass.fcgi/p?env', headers => ['Authorization' => $basic]) });
my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
