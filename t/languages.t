# Apps on other FastCGI libraries: Perl FCGI, php-cgi -b, Go net/http/fcgi.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

plan tests => 16, need_module 'fastcgi';

my $parent  = httpd_pid();
my $mark    = log_mark();
my $docroot = docroot();
my $t_dir   = t_dir();
start_apps('perl');
start_apps('php') if have_php_cgi();
start_apps('go') if have_go();

# ---- Perl FCGI
{
    my $r = http(path => '/ext/perl.fcgi/pi?env&a=b');
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'Perl FCGI app: 200');
    ok t_cmp($e->{SCRIPT_NAME}, '/ext/perl.fcgi', 'Perl: SCRIPT_NAME');
    ok t_cmp($e->{PATH_INFO}, '/pi', 'Perl: PATH_INFO');
    ok t_cmp($e->{QUERY_STRING}, 'env&a=b', 'Perl: QUERY_STRING');
}

# ---- PHP (php-cgi -b); the definition is the script, reached through Alias
if (have_php_cgi()) {
    my $r = http(path => '/php/env.php?x=1');
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'PHP: 200');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$t_dir/apps/env.php", 'PHP: SCRIPT_FILENAME is the script');
    ok t_cmp($e->{SCRIPT_NAME}, '/php/env.php', 'PHP: SCRIPT_NAME');
    ok t_cmp($e->{QUERY_STRING}, 'x=1', 'PHP: QUERY_STRING');
    $r = http(method => 'POST', path => '/php/env.php', body => 'hello php',
              headers => ['Content-Type' => 'application/octet-stream']);
    ok t_cmp(hdr($r, 'X-Body-Length') // 'none', 9, 'PHP: POST body length');
} else {
    skip 'php-cgi not installed' for 1 .. 5;
}

# ---- Go net/http/fcgi
if (have_go()) {
    my $r = http(path => '/ext/go.fcgi/sub/path?env');
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'Go: 200');
    ok t_cmp($e->{GO_METHOD}, 'GET', 'Go: method');
    ok t_cmp($e->{GO_URL}, qr{^(http://[^/]+)?/ext/go\.fcgi/sub/path\?env$}, 'Go: URL from REQUEST_URI');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/go.fcgi", 'Go: SCRIPT_FILENAME via fcgi.ProcessEnv');
    $r = http(path => '/ext/go.fcgi/env');
    ok t_cmp(parse_env($r->{body})->{GO_METHOD} // 'none', 'GET', 'Go: /env path dumps the env too');
    $r = http(method => 'HEAD', path => '/ext/go.fcgi?size=1000', check_trailing => 1);
    ok t_cmp($r->{status} . ' ' . length($r->{extra} // ''), '200 0', 'Go: HEAD has no body');
} else {
    skip 'Go app not built' for 1 .. 6;
}

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
