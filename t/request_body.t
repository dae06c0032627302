# Request bodies: exact bytes to C, Perl, PHP and Go apps; chunked uploads;
# LimitRequestBody.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Digest::MD5 qw(md5_hex);
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

my @sizes = (0, 1, 65535, 65536, 1048576, 20 * 1048576);
my @apps  = qw(c perl php go);
my $tests = @sizes * @apps * 2    # Content-Length bodies
          + 4 * 3 + 2             # chunked to C (4 sizes) + chunked CONTENT_LENGTH
          + 2                     # chunked empty body
          + 2 + 1 + 1             # chunked to PHP (2), Go, Perl
          + 1                     # RSS with a 20 MB chunked upload
          + 1                     # no spool file left behind
          + 1                     # app that does not read its body
          + 2                     # over HTTP/2 (h2c)
          + 6                     # LimitRequestBody
          + 2 + 2;                # leaks, crash, errors
plan tests => $tests, need_module 'fastcgi';

my $parent = httpd_pid();
my $httpd_uid = getpwnam(Apache::Test::vars('user') || 'nobody');
$httpd_uid = 65534 unless defined $httpd_uid;
# files in the temp dirs owned by the httpd user (spool files)
sub temp_files {
    my %f;
    for my $d (grep { defined && -d } $ENV{TMPDIR}, '/tmp', '/var/tmp') {
        opendir my $dh, $d or next;
        for (readdir $dh) {
            my @st = lstat "$d/$_" or next;
            $f{"$d/$_"} = 1 if $st[4] == $httpd_uid && -f _;
        }
    }
    return \%f;
}
my $temp_before = temp_files();
my $mark   = log_mark();
start_apps(qw(c perl));
my $have_php = have_php_cgi();
my $have_go  = have_go();
start_apps('php') if $have_php;
start_apps('go') if $have_go;

my %url = (c => '/ext/c.fcgi?echo', perl => '/ext/perl.fcgi?echo',
           php => '/php/env.php', go => '/ext/go.fcgi?echo');

my $big = random_bytes(20 * 1048576, 7);
my %data = map { $_ => substr($big, 0, $_) } @sizes;

sub check_echo {
    my ($app, $r, $n, $md5, $what) = @_;
    if ($app eq 'php' || $app eq 'go') {
        ok t_cmp(($r->{status} // 0) . ' ' . (hdr($r, 'X-Body-Length') // 'none'), "200 $n",
                 "$app: $what: status and X-Body-Length");
        ok t_cmp(hdr($r, 'X-Body-MD5') // 'none', $md5, "$app: $what: md5 seen by the app");
    } else {
        ok t_cmp(($r->{status} // 0) . ' ' . (hdr($r, 'X-Stdin-Length') // 'none'), "200 $n",
                 "$app: $what: status and X-Stdin-Length");
        ok t_cmp($r->{body_md5}, $md5, "$app: $what: echoed bytes identical (md5)");
    }
}

# ---- bodies with Content-Length
for my $app (@apps) {
    if (($app eq 'php' && !$have_php) || ($app eq 'go' && !$have_go)) {
        skip "$app app not available" for 1 .. 2 * @sizes;
        next;
    }
    for my $n (@sizes) {
        my $r = http(method => 'POST', path => $url{$app}, body => $data{$n}, sink => 1,
                     headers => ['Content-Type' => 'application/octet-stream'], timeout => 60);
        check_echo($app, $r, $n, md5_hex($data{$n}), "$n bytes");
    }
}

# ---- chunked uploads: accepted, CONTENT_LENGTH = real size, exact bytes
for my $case ([1000, 100], [60000, 4096], [5 * 1048576, 65536], [3 * 1048576 + 5, 7777]) {
    my ($n, $cs) = @$case;
    my $body = substr($big, 0, $n);
    my $r = http(method => 'POST', path => '/ext/c.fcgi?echo', body => $body, chunked => $cs,
                 sink => 1, timeout => 60);
    ok t_cmp($r->{status}, 200, "chunked upload of $n bytes (chunks of $cs) accepted");
    ok t_cmp(hdr($r, 'X-Stdin-Length') // 'none', $n, "chunked $n: the app read $n bytes");
    ok t_cmp($r->{body_md5}, md5_hex($body), "chunked $n: bytes identical (md5)");
}
for my $n (1000, 5 * 1048576) {
    my $r = http(method => 'POST', path => '/ext/c.fcgi?env', body => substr($big, 0, $n),
                 chunked => 8192, timeout => 60);
    my $e = parse_env($r->{body});
    ok t_cmp($e->{CONTENT_LENGTH} // 'none', $n, "chunked $n: CONTENT_LENGTH=$n");
}
{
    my $r = http(method => 'POST', path => '/ext/c.fcgi?echo', body => '', chunked => 10);
    ok t_cmp(($r->{status} // 0) . ' ' . (hdr($r, 'X-Stdin-Length') // 'none'), '200 0',
             'chunked upload with no data: 200, the app reads 0 bytes');
    $r = http(method => 'POST', path => '/ext/c.fcgi?env', body => '', chunked => 10);
    my $e = parse_env($r->{body});
    ok t_cmp($e->{CONTENT_LENGTH} // 'none', 0, 'chunked upload with no data: CONTENT_LENGTH=0');
}
if ($have_php) {
    for my $n (1000, 5 * 1048576) {
        my $body = substr($big, 0, $n);
        my $r = http(method => 'POST', path => '/php/env.php', body => $body, chunked => 16384,
                     headers => ['Content-Type' => 'application/octet-stream'], timeout => 60);
        ok t_cmp((hdr($r, 'X-Body-Length') // 'none') . ' ' . (hdr($r, 'X-Body-MD5') // 'none'),
                 "$n " . md5_hex($body), "PHP sees the full chunked body of $n bytes");
    }
} else {
    skip 'php-cgi not installed' for 1 .. 2;
}
if ($have_go) {
    my $body = substr($big, 0, 1048576);
    my $r = http(method => 'POST', path => '/ext/go.fcgi?echo', body => $body, chunked => 10000);
    ok t_cmp(hdr($r, 'X-Body-MD5') // 'none', md5_hex($body), 'Go sees the full chunked body (1 MB)');
} else {
    skip 'Go app not built' for 1;
}
{
    my $body = substr($big, 0, 100000);
    my $r = http(method => 'POST', path => '/ext/perl.fcgi?echo', body => $body, chunked => 3000);
    ok t_cmp($r->{body_md5}, md5_hex($body), 'Perl FCGI sees the full chunked body (100 KB)');
}

# ---- a libfcgi app that never reads its (large) body
{
    my $r = http(method => 'POST', path => '/ext/c.fcgi?write=noread', body => substr($big, 0, 5 * 1048576),
                 timeout => 30);
    ok t_cmp("$r->{status} $r->{body}", '200 noread', 'app ignores a 5 MB body: response delivered');
}

# ---- over HTTP/2 (h2c, prior knowledge): a stream has no socket of its own,
# so the body is read from mod_http2 with blocking reads, piece by piece
SKIP: {
    my $hp = h2c_hostport();
    skip 'mod_http2 or an h2-capable curl missing', 2 unless $hp;
    my $n = 3 * 1048576 + 7;
    my $file = Apache::Test::vars('t_dir') . '/h2-body.bin';
    open my $f, '>:raw', $file or die "$file: $!";
    print {$f} substr($big, 0, $n);
    close $f;
    my $out = `curl -s --http2-prior-knowledge -D - -H 'Content-Type: application/octet-stream' --data-binary '\@$file' 'http://$hp/ext/c.fcgi?echo'`;
    unlink $file;
    my ($head, $body) = split /\r\n\r\n/, $out, 2;
    $head //= '';
    my ($len) = $head =~ /^x-stdin-length:\s*(\d+)/mi;
    ok t_cmp(($head =~ m{^HTTP/2 200}m ? 200 : 0) . ' ' . ($len // 'none'), "200 $n",
             'h2c: 3 MiB body: status and X-Stdin-Length');
    ok t_cmp(md5_hex($body // ''), md5_hex(substr($big, 0, $n)), 'h2c: echoed bytes identical (md5)');
}

# ---- a large chunked body is spooled, not kept in memory
{
    sleep 0.3;
    my $before = children_rss_map();
    my %max = %$before;
    # the app sleeps 1.5 s before answering: sample RSS while the body sits
    # in the module's spool
    my $r = http(method => 'POST', path => '/ext/c.fcgi?sleep=1500&env', body => $big, chunked => 65536,
                 timeout => 60, tick => sub { rss_sample(\%max) });
    rss_sample(\%max);
    my $grow = rss_growth($before, \%max);
    ok t_cmp(($r->{status} == 200 && $grow < 10240) ? 1 : 0, 1,
             "20 MB chunked upload: status $r->{status}, httpd children RSS grew by $grow kB (< 10 MB)");
}

# ---- LimitRequestBody 1000 on /ext/limited.fcgi
{
    my $amark = app_request_log_mark();
    my $r = http(method => 'POST', path => '/ext/limited.fcgi?echo&over-chunked',
                 body => 'x' x 5000, chunked => 500);
    ok t_cmp($r->{status}, 413, 'chunked body beyond LimitRequestBody: 413');
    $r = http(method => 'POST', path => '/ext/limited.fcgi?echo&over-cl', body => 'x' x 5000);
    ok t_cmp($r->{status}, 413, 'Content-Length beyond LimitRequestBody: 413');
    sleep 0.3;
    my $hits = app_requests_since($amark);
    ok t_cmp($hits =~ /over-chunked/ ? 1 : 0, 0, 'the app was not contacted for the chunked 413');
    $r = http(method => 'POST', path => '/ext/limited.fcgi?echo', body => 'y' x 1000, chunked => 300);
    ok t_cmp(($r->{status} // 0) . ' ' . (hdr($r, 'X-Stdin-Length') // 'none'), '200 1000',
             'chunked body exactly at LimitRequestBody is accepted');
    $r = http(method => 'POST', path => '/ext/limited.fcgi?echo', body => 'z' x 999);
    ok t_cmp($r->{body}, 'z' x 999, 'Content-Length body under the limit is echoed');
    $r = http(path => '/ext/c.fcgi?write=still-alive');
    ok t_cmp($r->{body}, 'still-alive', 'server fine after the 413s');
}

{
    my $after = temp_files();
    my @left = grep { !$temp_before->{$_} } sort keys %$after;
    ok t_cmp(scalar(@left), 0, "no spool file left in the temp dir (@left)");
}

leak_check('request_body', 50, sub {
    my $i = shift;
    if ($i % 5 == 0) {
        http(method => 'POST', path => '/ext/limited.fcgi?echo', body => 'x' x 3000, chunked => 1000);
    } elsif ($i % 2) {
        http(method => 'POST', path => '/ext/c.fcgi?echo', body => 'x' x 70000, chunked => 8000, sink => 1);
    } else {
        http(method => 'POST', path => '/ext/c.fcgi?echo', body => 'x' x 70000, sink => 1);
    }
});
my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/AH01587|AH01591|AH01592|LimitRequestBody|too large|configured limit|413|larger than|exceed/i);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
