# Routing: which requests reach an external server, over which transport.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET_BODY GET);
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

plan tests => 38, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
my $docroot = docroot();
start_apps(qw(c c_tcp));
start_apps('c_v6') if have_ipv6();

sub env_of {
    my ($path, %o) = @_;
    my $r = http(path => $path, %o);
    return ($r, parse_env($r->{body}));
}

# 1. fixup only: no SetHandler/AddHandler, no .fcgi suffix
{
    my ($r, $e) = env_of('/ext/plainapp');
    ok t_cmp($r->{status}, 200, 'fixup routes /ext/plainapp (no handler directive) to the app');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/plainapp", 'SCRIPT_FILENAME of plainapp');
    ok t_cmp($e->{FCGI_ROLE}, 'RESPONDER', 'the app ran in the responder role');
}

# 2. a .fcgi filename with no handler directive in its directory
{
    my ($r, $e) = env_of('/ext/c.fcgi');
    ok t_cmp($r->{status}, 200, '/ext/c.fcgi (unix socket, relative -socket) answers 200');
    ok t_cmp($e->{SCRIPT_NAME}, '/ext/c.fcgi', 'SCRIPT_NAME /ext/c.fcgi');
    ok t_cmp($e->{GATEWAY_INTERFACE}, 'CGI/1.1', 'GATEWAY_INTERFACE');
}

# 3. absolute -socket
{
    my ($r, $e) = env_of('/ext/c-abs.fcgi');
    ok t_cmp($r->{status}, 200, 'absolute -socket path works');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/c-abs.fcgi", 'SCRIPT_FILENAME for c-abs.fcgi');
}

# 4. AddHandler fastcgi-script .fcgi in a <Directory>; the file exists on disk,
#    its content must not be served
{
    my ($r, $e) = env_of('/ah/app.fcgi');
    ok t_cmp($r->{status}, 200, 'AddHandler fastcgi-script .fcgi: 200');
    ok t_cmp($r->{body}, qr/^SCRIPT_NAME=\/ah\/app\.fcgi$/m, 'AddHandler: the app answered');
    ok t_cmp($r->{body} !~ /FILE-ON-DISK/ ? 1 : 0, 1, 'AddHandler: the file on disk is not sent');
}

# 5. SetHandler fastcgi-script in a <Location>
{
    my ($r, $e) = env_of('/sh/real.txt');
    ok t_cmp($r->{status}, 200, 'SetHandler fastcgi-script: 200');
    ok t_cmp($e->{SCRIPT_NAME}, '/sh/real.txt', 'SetHandler: the app answered');
    ok t_cmp($r->{body} !~ /FILE-ON-DISK/ ? 1 : 0, 1, 'SetHandler: the file on disk is not sent');
}

# 6. TCP IPv4
{
    my ($r, $e) = env_of('/ext/c-tcp.fcgi?env');
    ok t_cmp($r->{status}, 200, '-host 127.0.0.1:port answers 200');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/c-tcp.fcgi", 'TCP: SCRIPT_FILENAME');
}

# 7. TCP IPv6
if (have_ipv6()) {
    my ($r, $e) = env_of('/ext/c-v6.fcgi?env');
    ok t_cmp($r->{status}, 200, '-host [::1]:port answers 200');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/c-v6.fcgi", 'IPv6: SCRIPT_FILENAME');
} else {
    skip 'no usable ::1' for 1 .. 2;
}

# 8. filename that does not exist, directory does: rest is PATH_INFO
{
    my ($r, $e) = env_of('/ext/missing.fcgi/p/i?env&x=1');
    ok t_cmp($r->{status}, 200, '/ext/missing.fcgi/p/i answers 200');
    ok t_cmp($e->{SCRIPT_NAME}, '/ext/missing.fcgi', 'SCRIPT_NAME without the path info');
    ok t_cmp($e->{PATH_INFO}, '/p/i', 'PATH_INFO=/p/i');
    ok t_cmp($e->{PATH_TRANSLATED}, "$docroot/p/i", 'PATH_TRANSLATED=<docroot>/p/i');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/missing.fcgi", 'SCRIPT_FILENAME of the definition');
}

# 9. prefix match stops at a path segment: /ext/c.fcgiX is not the app
{
    my $amark = app_request_log_mark();
    my $r = http(path => '/ext/c.fcgiX');
    ok t_cmp($r->{status}, 404, '/ext/c.fcgiX is not captured by the c.fcgi definition');
    ok t_cmp(app_requests_since($amark) =~ m{c\.fcgiX} ? 1 : 0, 0, 'the app never saw /ext/c.fcgiX');
}

# 10. Action: *.act is internally redirected to /ext/c.fcgi/<uri>
{
    my ($r, $e) = env_of('/act/page.act?env');
    ok t_cmp($r->{status}, 200, 'Action fcgi-action /ext/c.fcgi: 200');
    ok t_cmp($e->{SCRIPT_NAME}, '/ext/c.fcgi', 'Action: SCRIPT_NAME is the app');
    ok t_cmp($e->{PATH_INFO}, '/act/page.act', 'Action: PATH_INFO is the original file');
    ok t_cmp($e->{REDIRECT_URL}, '/act/page.act', 'Action: REDIRECT_URL');
}

# 11. any method is passed
{
    my ($r, $e) = env_of('/ext/c.fcgi?env', method => 'DELETE');
    ok t_cmp($e->{REQUEST_METHOD}, 'DELETE', 'DELETE reaches the app');
    ($r, $e) = env_of('/ext/c.fcgi?env', method => 'PUT', body => 'abc');
    ok t_cmp($e->{REQUEST_METHOD}, 'PUT', 'PUT reaches the app');
}

# 12. Apache::TestRequest (LWP) client too
ok t_cmp(GET_BODY('/ext/c.fcgi?write=hello-lwp'), 'hello-lwp', 'GET_BODY through LWP');

# 13. HTTP/1.1 keep-alive through the module
{
    require LWP::UserAgent;
    require HTTP::Request;
    my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 20);
    my $base = 'http://' . server_host() . ':' . server_port();
    my @bodies;
    my @ports;
    for my $i (1 .. 3) {
        my $res = $ua->get("$base/ext/c.fcgi?env&i=$i");
        push @ports, parse_env($res->content)->{REMOTE_PORT} // "none$i";
        my $req = HTTP::Request->new(POST => "$base/ext/c.fcgi?echo", [], "ka-body-$i");
        push @bodies, $ua->request($req)->content;
    }
    ok t_cmp("@bodies", 'ka-body-1 ka-body-2 ka-body-3', 'keep-alive: mixed GET/POST bodies right');
    ok t_cmp(scalar(keys %{{ map { $_ => 1 } @ports }}), 1,
             "keep-alive: one client connection reused for all requests (REMOTE_PORT @ports)");
}

# leaks and crashes
leak_check('handler', 50, sub {
    my $i = shift;
    my @p = ('/ext/c.fcgi?write=x', '/ext/plainapp?write=x', '/ah/app.fcgi?write=x',
             '/sh/real.txt?write=x', '/ext/c-tcp.fcgi?write=x');
    http(path => $p[$i % @p]);
});
my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
