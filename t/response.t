# Response headers from the app: Status, repeated headers, Location, malformed
# header blocks, Content-Length/Transfer-Encoding from the app, HEAD, -nph.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

plan tests => 71, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
start_apps('c');

sub q_enc { url_encode($_[0]) }

# ---- Status
{
    my $r = http(path => '/ext/c.fcgi?status=' . q_enc('404 Not Found') . '&write=app-404-body');
    ok t_cmp($r->{status}, 404, 'Status: 404 Not Found -> 404');
    ok t_cmp($r->{body}, 'app-404-body', '404 carries the app body');
    $r = http(path => '/ext/c.fcgi?status=' . q_enc('299 Custom') . '&write=x');
    ok t_cmp($r->{status_line}, 'HTTP/1.1 299 Custom', 'Status: 299 Custom -> HTTP/1.1 299 Custom');
    $r = http(path => '/ext/c.fcgi?status=201&write=x');
    ok t_cmp($r->{status}, 201, 'Status: 201 (no reason) -> 201');
}

# ---- repeated headers stay separate lines
{
    my $r = http(path => '/ext/c.fcgi?header=' . q_enc('Set-Cookie: a=1') . '&header=' . q_enc('Set-Cookie: b=2')
                 . '&header=' . q_enc('X-Foo: one') . '&header=' . q_enc('X-Foo: two') . '&write=x');
    my $h = $r->{raw_head};
    ok t_cmp(scalar(() = $h =~ /^Set-Cookie: a=1\r$/mg), 1, 'Set-Cookie a=1 on its own line');
    ok t_cmp(scalar(() = $h =~ /^Set-Cookie: b=2\r$/mg), 1, 'Set-Cookie b=2 on its own line');
    ok t_cmp(scalar(() = $h =~ /^X-Foo: one\r$/mg), 1, 'X-Foo: one on its own line');
    ok t_cmp(scalar(() = $h =~ /^X-Foo: two\r$/mg), 1, 'X-Foo: two on its own line');
}

# ---- Location
{
    # local path, no Status: internal redirect to the static file
    my $r = http(path => '/ext/c.fcgi?location=' . q_enc('/ext/static.html') . '&write=APPBODY');
    ok t_cmp($r->{status}, 200, 'Location: /ext/static.html -> 200');
    ok t_cmp($r->{body}, "STATIC-CONTENT-OK\n", 'internal redirect: the static file content');
    ok t_cmp($r->{body} !~ /APPBODY/ ? 1 : 0, 1, 'internal redirect: the app body is discarded');

    # POST redirected to an env-dumping app: re-run as GET
    $r = http(method => 'POST', path => '/ext/c.fcgi?location=' . q_enc('/ext/c.fcgi?env'),
              body => 'posted=data', headers => ['Content-Type' => 'application/x-www-form-urlencoded']);
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'POST + Location: /ext/c.fcgi?env -> 200');
    ok t_cmp($e->{REQUEST_METHOD}, 'GET', 'the redirect target runs as GET');
    ok t_cmp($e->{REDIRECT_STATUS}, 200, 'REDIRECT_STATUS=200');
    ok t_cmp(exists $e->{CONTENT_LENGTH} ? 1 : 0, 0, 'no CONTENT_LENGTH in the redirected GET');
    ok t_cmp($e->{QUERY_STRING}, 'env', 'the redirect target gets the query of the Location');

    # absolute URL, no Status: 302
    $r = http(path => '/ext/c.fcgi?location=' . q_enc('http://example.com/x') . '&write=APPBODY');
    ok t_cmp($r->{status}, 302, 'Location: http://example.com/x without Status -> 302');
    ok t_cmp(hdr($r, 'Location'), 'http://example.com/x', '302 carries that Location');

    # Status 302 + Location + body: the app's own response
    $r = http(path => '/ext/c.fcgi?status=302&location=' . q_enc('http://example.com/x') . '&write=APPBODY');
    ok t_cmp($r->{status}, 302, 'Status: 302 + Location -> 302');
    ok t_cmp($r->{body}, 'APPBODY', 'Status: 302 keeps the app body');
    ok t_cmp(hdr($r, 'Location'), 'http://example.com/x', 'Status: 302 keeps the Location');

    $r = http(path => '/ext/c.fcgi?status=' . q_enc('301 Moved') . '&location=' . q_enc('/ext/static.html') . '&write=MOVED');
    ok t_cmp("$r->{status} $r->{body}", '301 MOVED', 'Status: 301 + local Location: passed through, no redirect');
}

# ---- malformed header blocks: 502, nothing of them reaches the client
my @bad = (
    ['CR inside a header line', "Content-Type: text/plain\r\nX-Marker: leaked\r\nX-Bad: a\rInjected: leaked\r\n\r\n"],
    ['NUL inside a header line', "Content-Type: text/plain\r\nX-Marker: leaked\r\nX-Bad: a\0b\r\n\r\n"],
    ['header line without colon', "Content-Type: text/plain\r\nX-Marker: leaked\r\nNoColonHereleaked\r\n\r\n"],
    ['Status: abc', "Status: abc\r\nX-Marker: leaked\r\nContent-Type: text/plain\r\n\r\n"],
    ['Status: 99', "Status: 99\r\nX-Marker: leaked\r\nContent-Type: text/plain\r\n\r\n"],
    ['Status: 1000', "Status: 1000\r\nX-Marker: leaked\r\nContent-Type: text/plain\r\n\r\n"],
    ['Status: 600', "Status: 600\r\nX-Marker: leaked\r\nContent-Type: text/plain\r\n\r\n"],
    ['space in a header name', "Content-Type: text/plain\r\nX-Marker: leaked\r\nX Bad: 1\r\n\r\n"],
    ['empty header name', "Content-Type: text/plain\r\nX-Marker: leaked\r\n: novalue\r\n\r\n"],
);
for my $b (@bad) {
    my ($what, $head) = @$b;
    my $r = http(path => '/ext/c.fcgi?rawhead=' . q_enc($head) . '&write=BODYleaked');
    ok t_cmp($r->{status}, 502, "$what -> 502");
    ok t_cmp(($r->{raw} =~ /leaked/) ? 1 : 0, 0, "$what: nothing of the app output passed on");
}
{
    my $r = http(path => '/ext/c.fcgi?manyheaders=1001&write=BODYleaked');
    ok t_cmp($r->{status}, 502, 'more than 1000 headers -> 502');
    ok t_cmp(($r->{raw} =~ /X-Many-|leaked/) ? 1 : 0, 0, '1001 headers: nothing passed on');
    $r = http(path => '/ext/c.fcgi?longheader=1048576&write=BODYleaked');
    ok t_cmp($r->{status}, 502, '1 MB header block -> 502');
    ok t_cmp(($r->{raw} =~ /xxxxxxxxxx|leaked/) ? 1 : 0, 0, '1 MB header block: nothing passed on');
    my $log = wait_log($mark, qr/c\.fcgi.*(header|Status)/i);
    ok t_cmp($log, qr/\Q@{[docroot()]}\E\/ext\/c\.fcgi/, 'the error_log names the app for bad headers');
}

# ---- obs-fold: rejected, or unfolded into one line (RFC 7230 3.2.4); a
#      continuation line is never passed on as such
{
    my $r = http(path => '/ext/c.fcgi?rawhead=' . q_enc("Content-Type: text/plain\r\nX-Fold: a\r\n folded\r\n\r\n") . '&write=x');
    my $v = hdr($r, 'X-Fold') // '';
    ok t_cmp(($r->{status} == 502 || ($r->{status} == 200 && $v =~ /^a\s+folded$/)) ? 1 : 0, 1,
             "obs-fold: 502 or unfolded (status $r->{status}, X-Fold '$v')");
    ok t_cmp(scalar(grep { /^[ \t]/ } split /\r\n/, $r->{raw_head}), 0, 'obs-fold: no continuation line reaches the client');
}

# ---- header block variants that must work
{
    my $r = http(path => '/ext/c.fcgi?rawhead=' . q_enc("Content-Type: text/plain\nX-Lf: 1\n\n") . '&write=lf-only');
    ok t_cmp("$r->{status} $r->{body}", '200 lf-only', 'headers terminated by bare LF work');
    ok t_cmp(hdr($r, 'X-Lf') // 'none', 1, 'LF-only header value');
    $r = http(path => '/ext/c.fcgi?rawhead=' . q_enc("X-No-Type: 1\r\n\r\n") . '&write=no-type');
    ok t_cmp("$r->{status} $r->{body}", '200 no-type', 'a response without Content-Type works');
    $r = http(path => '/ext/c.fcgi?rawhead=' . q_enc("Content-Type: text/plain\r\nX-Spaces:    padded value   \r\n\r\n") . '&write=x');
    ok t_cmp(hdr($r, 'X-Spaces') // 'none', 'padded value', 'header value whitespace trimmed');
}

# ---- big but acceptable headers
{
    my $r = http(path => '/ext/c.fcgi?longheader=16384&write=ok');
    ok t_cmp($r->{status}, 200, 'a single 16 KiB header line works');
    ok t_cmp(hdr($r, 'X-Long') // '', 'x' x 16384, '16 KiB header value intact');
    $r = http(path => '/ext/c.fcgi?manyheaders=100&write=ok');
    my $n = grep { $_->[0] =~ /^X-Many-\d+$/ } @{ $r->{headers} };
    ok t_cmp("$r->{status} $n", '200 100', '100 app headers all reach the client');
}

# ---- Content-Length / Transfer-Encoding from the app are not trusted
{
    my $r = http(path => '/ext/c.fcgi?header=' . q_enc('Content-Length: 5') . '&write=0123456789');
    ok t_cmp($r->{body}, '0123456789', 'app Content-Length: 5 + 10-byte body: the client gets all 10 bytes');
    my @cl = hdr($r, 'Content-Length');
    ok t_cmp((!@cl || (@cl == 1 && $cl[0] == 10)) ? 1 : 0, 1, "no wrong Content-Length (got: @cl)");

    $r = http(path => '/ext/c.fcgi?header=' . q_enc('Transfer-Encoding: chunked') . '&write=hello');
    my @te = hdr($r, 'Transfer-Encoding');
    ok t_cmp(scalar(@te) <= 1 ? 1 : 0, 1, "at most one Transfer-Encoding header (got: @te)");
    ok t_cmp("$r->{status} $r->{body} $r->{complete}", '200 hello 1', 'app Transfer-Encoding: chunked not passed on: body intact');

    # HTTP/1.0 client: no chunked framing at all
    $r = http(path => '/ext/c.fcgi?header=' . q_enc('Transfer-Encoding: chunked') . '&write=hello', version => '1.0');
    ok t_cmp(scalar(hdr($r, 'Transfer-Encoding')) ? 1 : 0, 0, 'HTTP/1.0 client never sees Transfer-Encoding');
    ok t_cmp($r->{body}, 'hello', 'HTTP/1.0 client gets the plain body');
}

# ---- HEAD
{
    my $r = http(method => 'HEAD', path => '/ext/c.fcgi?size=100000', check_trailing => 1);
    ok t_cmp($r->{status}, 200, 'HEAD -> 200');
    ok t_cmp(hdr($r, 'Content-Type'), qr{^text/plain}, 'HEAD: Content-Type of the app');
    ok t_cmp(length($r->{extra} // ''), 0, 'HEAD: no body bytes');
    $r = http(path => '/ext/c.fcgi?write=after-head');
    ok t_cmp($r->{body}, 'after-head', 'a request after HEAD works');
}

# ---- -nph: raw output as is
{
    my $raw = "HTTP/1.0 203 Whatever\r\nX-Nph: 1\r\n\r\nNPH-BODY";
    my $r = http(path => '/ext/nph.fcgi?rawhead=' . q_enc("HTTP/1.0 203 Whatever\r\nX-Nph: 1\r\n\r\n") . '&write=NPH-BODY',
                 nph => 1);
    ok t_cmp($r->{raw}, $raw, '-nph: the app output reaches the client byte for byte');
    ok t_cmp($r->{status}, 203, '-nph: the app status line');
}

# ---- Content-Type as the app wrote it
{
    my $r = http(path => '/ext/c.fcgi?ctype=' . q_enc('application/x-custom; charset=koi8-r') . '&write=x');
    ok t_cmp(hdr($r, 'Content-Type'), 'application/x-custom; charset=koi8-r', 'Content-Type passed through');
}

leak_check('response', 50, sub {
    my $i = shift;
    my @p = ('/ext/c.fcgi?write=x',
             '/ext/c.fcgi?rawhead=' . q_enc("NoColon\r\n\r\n"),
             '/ext/c.fcgi?location=' . q_enc('/ext/static.html'),
             '/ext/c.fcgi?location=' . q_enc('http://example.com/'),
             '/ext/c.fcgi?status=abc');
    http(path => $p[$i % @p]);
});
my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @unexp = unexpected_errors($mark, qr/\Q@{[docroot()]}\E\/ext\/c\.fcgi/);
ok t_cmp(scalar(@unexp), 0, "no unexpected error lines in error_log:\n" . join("\n", @unexp));
