# X-Sendfile and X-Accel-Redirect: files and URIs the application hands back
# to httpd (mod_fastcgi/file_handoff.cpp, FastCgiInternalOnly).
# The app is the C responder with ONE worker (sf.sock); its `rawhead=`
# command sends exactly the header block the test writes. Files: t/sendfile/.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::Auth qw(make_htpasswd basic_auth);
use Digest::MD5 qw(md5_hex);
use HTTP::Date ();
use IO::Socket::IP;
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);

plan tests => 117, need_module 'fastcgi';

my $dir  = t_dir() . '/sendfile';
my $root = "$dir/root";
my $app_file = docroot() . '/sf/app.fcgi';
my $parent = httpd_pid();
my $mark0  = log_mark();
start_apps('sf', 'c');

# ---- the files the repository cannot hold
my $big_size = 100 * 1048576;
{
    my $f = "$root/big.bin";
    unless (-s $f && -s $f == $big_size) {
        open my $fh, '>', $f or die "$f: $!";
        my $block = join('', 'a' .. 'z') x 40330;   # 1048580 bytes, a multiple of 26
        my $left = $big_size;
        while ($left > 0) {
            my $n = $left > length $block ? length $block : $left;
            print $fh substr($block, 0, $n);
            $left -= $n;
        }
        close $fh;
    }
    for (['link-out', '../outside/secret.txt'], ['link-in', 'small.txt']) {
        unlink "$root/$_->[0]";
        symlink $_->[1], "$root/$_->[0]" or die "symlink: $!";
    }
    unlink "$dir/follow/link-out";
    symlink '../outside/secret.txt', "$dir/follow/link-out" or die "symlink: $!";
    open my $u, '>', "$root/unreadable.txt" or die $!;
    print $u "nobody may read this\n";
    close $u;
    chmod 0600, "$root/unreadable.txt";    # owned by root; httpd runs as nobody
    unlink "$root/fifo";
    POSIX::mkfifo("$root/fifo", 0644) or die "mkfifo: $!";
}
sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; my $d = <$fh>; $d }
my $small = slurp("$root/small.txt");

# One request to /sf/<app>.fcgi whose app sends the header lines @lines
# (no Content-Type unless given) and then the body $o{body}.
sub handoff {
    my ($app, $lines, %o) = @_;
    my $q = 'rawhead=' . url_encode(join('', map { "$_\r\n" } @$lines) . "\r\n");
    $q .= '&write=' . url_encode($o{body}) if defined $o{body};
    return http(path => "/sf/$app.fcgi?$q", %{ $o{http} || {} });
}
sub sendfile { my ($path, @more) = @_; handoff('app', ["X-Sendfile: $path", @more]) }
sub no_handoff_headers {
    my ($r) = @_;
    return (grep { /^X-(Sendfile|Accel-Redirect)$/i } map { $_->[0] } @{ $r->{headers} }) ? 0 : 1;
}

# ---- a small file: httpd answers as for a static file
{
    my $r = handoff('app', ["X-Sendfile: $root/small.txt"], body => 'APP BODY TO DISCARD');
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'X-Sendfile: the file is the body (the app body is discarded)');
    ok t_cmp(hdr($r, 'Content-Type'), qr{^text/plain}, 'Content-Type from the mime type of .txt');
    ok t_cmp(hdr($r, 'Content-Length'), length($small), 'Content-Length of the file');
    my $mtime = (stat "$root/small.txt")[9];
    ok t_cmp(hdr($r, 'Last-Modified') // '', qr/ GMT$/, 'Last-Modified present');
    ok t_cmp(HTTP::Date::str2time(hdr($r, 'Last-Modified') // ''), $mtime, 'Last-Modified is the file mtime');
    ok t_cmp(hdr($r, 'ETag') // '', qr/^(W\/)?"[^"]+"$/, 'ETag from httpd');
    ok t_cmp(hdr($r, 'Accept-Ranges') // '', 'bytes', 'Accept-Ranges: bytes');
    ok t_cmp(no_handoff_headers($r), 1, 'X-Sendfile never reaches the client');
}
{
    my $r = sendfile("$root/page.html");
    ok t_cmp(hdr($r, 'Content-Type'), qr{^text/html}, '.html gets text/html');
    ok t_cmp($r->{body}, slurp("$root/page.html"), '... and its bytes');
}
{
    my $r = sendfile("$root/small.txt", 'Content-Type: application/x-from-app', 'Content-Disposition: attachment; filename="s.txt"',
                     'X-App: kept', 'ETag: "from-app"', 'Last-Modified: Mon, 01 Jan 2001 00:00:00 GMT', 'Set-Cookie: a=1',
                     'Set-Cookie: b=2');
    ok t_cmp(hdr($r, 'Content-Type'), 'application/x-from-app', "the app's Content-Type wins over the mime type");
    ok t_cmp(hdr($r, 'Content-Disposition') // '', 'attachment; filename="s.txt"', "the app's other headers are kept");
    ok t_cmp(join(',', hdr($r, 'Set-Cookie')), 'a=1,b=2', '... repeated ones too');
    ok t_cmp(join(',', hdr($r, 'ETag')) =~ /from-app/ ? 'app' : 'file', 'file', "the file's ETag replaces the app's");
    ok t_cmp(scalar(my @lm = hdr($r, 'Last-Modified')), 1, 'one Last-Modified ...');
    ok t_cmp(HTTP::Date::str2time(hdr($r, 'Last-Modified') // ''), (stat "$root/small.txt")[9], "... the file's");
}
{
    my $r = sendfile("$root/small.txt", 'Status: 203 From App');
    ok t_cmp("$r->{status} $r->{body}", "203 $small", "the app's 2xx status is kept");
    $r = handoff('app', ["X-Sendfile: $root/link-in"]);
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'a symlink that stays inside the root is served');
    $r = http(method => 'HEAD', path => '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/small.txt\r\n\r\n"));
    ok t_cmp("$r->{status} " . (hdr($r, 'Content-Length') // '') . " [$r->{body}]", '200 ' . length($small) . ' []',
             'HEAD: the headers of the file, no body');
}

# ---- the exchange runs to its end first
{
    my $r = http(path => '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/small.txt\r\n\r\n") . '&size=5242880',
                 timeout => 30);
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'a 5 MB app body after X-Sendfile is read and discarded');
    my $m = log_mark();
    # (on the 4-worker app: the one-worker app would be gone)
    $r = http(path => '/sf/multi.fcgi?rawhead=' . url_encode("X-Sendfile: $root/small.txt\r\n\r\n") . '&write=x&exit=3');
    ok t_cmp("$r->{status} " . ($r->{body} =~ /small file/ ? 'file' : 'no file') . ' ' . no_handoff_headers($r),
             '502 no file 1', 'the app dies before FCGI_END_REQUEST: 502, no file');
    ok t_cmp(log_line($m, qr{/sf/multi\.fcgi}, qr/closed the connection before FCGI_END_REQUEST/) ? 1 : 0, 1,
             '... logged as any early close');
    $r = sendfile("$dir/outside/secret.txt", "X-Sendfile: $root/small.txt");
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'X-Sendfile repeated: the last one counts');
}

# ---- 100 MB: checksummed, httpd's memory bounded
{
    sleep 0.3;
    my $before = children_rss_map();
    my %max = %$before;
    my $t0 = time;
    my $r = http(path => '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/big.bin\r\n\r\n"), sink => 1,
                 timeout => 60, progress => sub { rss_sample(\%max) if $_[0] % (8 * 1048576) < 1048576 });
    my $secs = time - $t0;
    rss_sample(\%max);
    ok t_cmp("$r->{status} $r->{body_len} $r->{complete}", "200 $big_size 1", '100 MB: status, length, complete');
    ok t_cmp($r->{body_md5}, pattern_md5($big_size), '100 MB: md5');
    my ($grow, $who) = rss_growth($before, \%max);
    ok t_cmp($grow < 10240 ? 1 : 0, 1, "100 MB: largest RSS growth of an httpd child $grow kB (< 10 MB)");
    t_debug(sprintf '100 MB via X-Sendfile in %.2f s (%.0f MB/s)', $secs, 100 / ($secs || 1e-6));
}

# ---- EnableSendfile On and EnableMMAP Off send the same bytes
for my $app (qw(sendfile-on mmap-off)) {
    my $q = "/sf/$app.fcgi?rawhead=" . url_encode("X-Sendfile: $root/big.bin\r\n\r\n");
    my $r = http(path => $q, sink => 1, timeout => 60);
    ok t_cmp("$r->{status} $r->{body_len} $r->{body_md5}", "200 $big_size " . pattern_md5($big_size), "$app: 100 MB, md5");
    $r = http(path => $q, headers => [Range => 'bytes=52-55']);
    ok t_cmp("$r->{status} $r->{body}", '206 abcd', "$app: Range");
}

# ---- Range and conditional GET, as for a static file
my $big_q = '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/big.bin\r\n\r\n");
{
    my $r = http(path => $big_q, headers => [Range => 'bytes=1000-1999']);
    my $want = substr(join('', 'a' .. 'z') x 80, 1000 % 26, 1000);
    ok t_cmp($r->{status}, 206, 'Range: 206');
    ok t_cmp(hdr($r, 'Content-Range') // '', "bytes 1000-1999/$big_size", 'Content-Range');
    ok t_cmp($r->{body} eq $want ? 1 : 0, 1, 'the right 1000 bytes');
    $r = http(path => $big_q, headers => [Range => 'bytes=-5']);
    my $tail = substr(join('', 'a' .. 'z') x 2, ($big_size - 5) % 26, 5);
    ok t_cmp("$r->{status} $r->{body}", "206 $tail", 'suffix Range: the last 5 bytes');
    $r = http(path => $big_q, headers => [Range => 'bytes=0-1,10-11']);
    ok t_cmp("$r->{status} " . (hdr($r, 'Content-Type') // ''), qr{^206 multipart/byteranges}, 'two ranges: multipart/byteranges');
}
{
    my $first = sendfile("$root/small.txt");
    my ($etag, $lm) = (hdr($first, 'ETag'), hdr($first, 'Last-Modified'));
    my $r = http(path => '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/small.txt\r\n\r\n"),
                 headers => ['If-None-Match' => $etag]);
    ok t_cmp("$r->{status} [$r->{body}]", '304 []', 'If-None-Match with the ETag: 304');
    $r = http(path => '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/small.txt\r\n\r\n"),
              headers => ['If-Modified-Since' => $lm]);
    ok t_cmp($r->{status}, 304, 'If-Modified-Since the Last-Modified: 304');
    $r = http(path => '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/small.txt\r\n\r\n"),
              headers => ['If-None-Match' => '"other"']);
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'If-None-Match with another ETag: 200');
    $r = http(path => $big_q, headers => ['If-Range' => '"other"', Range => 'bytes=0-9'], sink => 1);
    ok t_cmp("$r->{status} $r->{body_len}", "200 $big_size", 'If-Range that does not match: the whole file');
}

# ---- refusals: status, nothing of the file, one log line naming the app and the path
my @refusals = (
    ['outside the roots', "$dir/outside/secret.txt", 403, qr/outside the allowed roots/],
    ['a ".." path',        "$root/../outside/secret.txt", 403, qr/"\.\." segment/],
    ['a symlink out of a root', "$root/link-out", 403, qr/symlink leads outside the allowed roots/],
    ['a missing file',     "$root/nosuch.bin", 404, qr/no such file/],
    ['a directory',        "$root/sub", 403, qr/is a directory/],
    ['a FIFO',             "$root/fifo", 403, qr/not a regular file/],
    ['a file httpd cannot read', "$root/unreadable.txt", 403, qr/not readable by httpd's user/],
    ['a relative path',    'root/small.txt', 403, qr/not an absolute path/],
    ['an empty value',     '', 403, qr/not an absolute path/],
);
for my $c (@refusals) {
    my ($name, $path, $status, $why) = @$c;
    my $m = log_mark();
    my $r = handoff('app', ["X-Sendfile: $path", 'X-Visible: yes'], body => 'APP BODY');
    ok t_cmp($r->{status}, $status, "$name: $status");
    ok t_cmp(($r->{body} =~ /SECRET|APP BODY|nobody may read/ ? 1 : 0) + (1 - no_handoff_headers($r)), 0,
             "$name: neither the file, the app's body nor the header reach the client");
    ok t_cmp(log_line($m, qr/:error\]/, qr/\Q$app_file\E/, qr/X-Sendfile "\Q$path\E" refused/, $why) ? 1 : 0, 1,
             "$name: one error line naming the app, the path and why");
}
{
    my $r = handoff('app', ["X-Sendfile: $dir/follow/link-out"]);
    ok t_cmp("$r->{status} $r->{body}", "200 " . slurp("$dir/outside/secret.txt"),
             '-sendfile-root-follow: a symlink may leave that root');
    $r = handoff('app', ["X-Sendfile: $root/small.txt", 'Status: abc']);
    ok t_cmp("$r->{status} " . no_handoff_headers($r), '502 1', 'an invalid Status with X-Sendfile: 502 without the header');
}

# ---- the options off: the header is dropped, the app's answer goes out
{
    my $m = log_mark();
    my $r = handoff('off', ["X-Sendfile: $root/small.txt", 'Content-Type: text/plain'], body => 'the app answer');
    ok t_cmp("$r->{status} $r->{body}", '200 the app answer', '-x-sendfile off: the app body is the answer');
    ok t_cmp(no_handoff_headers($r), 1, '-x-sendfile off: X-Sendfile is dropped all the same');
    ok t_cmp(log_line($m, qr/\[fastcgi:debug\]/, qr/X-Sendfile but X-Sendfile is off \(-x-sendfile, FastCgiXSendfile\): header dropped/) ? 1 : 0, 1,
             '... with a debug line');
    $r = handoff('off', ['X-Accel-Redirect: /sf-public/plain.txt', 'Content-Type: text/plain'], body => 'no redirect');
    ok t_cmp("$r->{status} $r->{body} " . no_handoff_headers($r), '200 no redirect 1',
             '-x-accel-redirect off: no redirect, header dropped');
    $r = handoff('sendfile-only', ['X-Accel-Redirect: /sf-public/plain.txt', 'Content-Type: text/plain'], body => 'only');
    ok t_cmp("$r->{status} $r->{body}", '200 only', 'an app with -x-sendfile only does not redirect');
    $r = handoff('sendfile-only', ["X-Sendfile: $root/small.txt"]);
    ok t_cmp("$r->{status} $r->{body}", "200 $small", '... and does serve X-Sendfile');
    $r = handoff('app', ["X-Sendfile: $root/small.txt", 'X-Accel-Redirect: /sf-public/plain.txt']);
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'both headers: X-Sendfile is served');
}

# ---- per directory: FastCgiXSendfile, FastCgiXAccelRedirect, FastCgiSendfileRoot
{
    my $plain = slurp("$dir/follow/plain.txt");
    my $r = handoff('dir', ["X-Sendfile: $dir/follow/plain.txt"], body => 'discarded');
    ok t_cmp("$r->{status} $r->{body} " . no_handoff_headers($r), "200 $plain 1",
             'FastCgiXSendfile On in a <Location>: an app without -x-sendfile hands a file back');
    my $m = log_mark();
    $r = handoff('dir', ["X-Sendfile: $root/small.txt"]);
    ok t_cmp($r->{status}, 403, "the section's FastCgiSendfileRoot replaces the app's -sendfile-root: 403");
    ok t_cmp(log_line($m, qr/\Qdir.fcgi\E/, qr/outside the allowed roots/) ? 1 : 0, 1, '... logged, naming the app');
    $r = handoff('dir', ['X-Accel-Redirect: /sf-internal/small.txt']);
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'FastCgiXAccelRedirect On: into a FastCgiInternalOnly location');
    $r = handoff('dir-off', ["X-Sendfile: $root/small.txt", 'Content-Type: text/plain'], body => 'app answer');
    ok t_cmp("$r->{status} $r->{body} " . no_handoff_headers($r), '200 app answer 1',
             'FastCgiXSendfile Off in a <Location> overrides -x-sendfile: the app answers, header dropped');
    $r = handoff('dir-off', ['X-Accel-Redirect: /sf-public/plain.txt', 'Content-Type: text/plain'], body => 'no redirect');
    ok t_cmp("$r->{status} $r->{body}", '200 no redirect', 'FastCgiXAccelRedirect Off overrides -x-accel-redirect');
}

# ---- X-Accel-Redirect: internal redirect through httpd's access control
{
    my $plain = slurp("$dir/follow/plain.txt");
    my $r = handoff('app', ['X-Accel-Redirect: /sf-public/plain.txt', 'X-App: along'], body => 'discarded');
    ok t_cmp("$r->{status} $r->{body}", "200 $plain", 'X-Accel-Redirect to a public location');
    ok t_cmp(hdr($r, 'X-App') // '', 'along', "the app's headers go along");
    ok t_cmp(no_handoff_headers($r), 1, 'X-Accel-Redirect never reaches the client');

    $r = handoff('app', ['X-Accel-Redirect: /sf-internal/small.txt']);
    ok t_cmp("$r->{status} $r->{body}", "200 $small", 'X-Accel-Redirect into a FastCgiInternalOnly location');
    ok t_cmp(hdr($r, 'Content-Type') // '', qr{^text/plain}, "... the target's Content-Type");
    my $m = log_mark();
    $r = http(path => '/sf-internal/small.txt');
    ok t_cmp($r->{status}, 404, 'a client request into the FastCgiInternalOnly location: 404');
    ok t_cmp($r->{body} =~ /small file/ ? 1 : 0, 0, '... without the file');
    ok t_cmp(log_line($m, qr/FastCgiInternalOnly/, qr{/sf-internal/small\.txt}) ? 1 : 0, 1, '... and an info line');
    $r = http(path => '/sf/app.fcgi?location=' . url_encode('/sf-internal/small.txt'));
    ok t_cmp($r->{status}, 404, 'a plain Location redirect into it: 404 (only X-Accel-Redirect passes)');

    $r = handoff('app', ['X-Accel-Redirect: /sf-internal/big.bin'], http => { headers => [Range => 'bytes=26-30'] });
    ok t_cmp("$r->{status} $r->{body}", '206 abcde', 'X-Accel-Redirect with Range: 206 from the target');

    $r = handoff('app', ['X-Accel-Redirect: /sf-protected/file.txt']);
    ok t_cmp($r->{status}, 403, 'X-Accel-Redirect to a "Require all denied" location: 403');
    ok t_cmp($r->{body} =~ /^protected$/m ? 1 : 0, 0, '... without the file');
    $r = http(path => '/sf-protected/file.txt');
    ok t_cmp($r->{status}, 403, '... as for a client');

    make_htpasswd();
    $r = handoff('app', ['X-Accel-Redirect: /sf-authed/plain.txt']);
    ok t_cmp($r->{status}, 401, 'X-Accel-Redirect to a Basic-auth location, no credentials: 401');
    ok t_cmp(hdr($r, 'WWW-Authenticate') // '', qr/Basic realm="sf-authed"/, '... with the challenge');
    $r = handoff('app', ['X-Accel-Redirect: /sf-authed/plain.txt'],
                 http => { headers => [Authorization => basic_auth('alice', 'wonderland')] });
    ok t_cmp($r->{status}, 401, '... a user the location does not admit: 401');
    $r = handoff('app', ['X-Accel-Redirect: /sf-authed/plain.txt'],
                 http => { headers => [Authorization => basic_auth('bob', 'secret')] });
    ok t_cmp("$r->{status} $r->{body}", "200 $plain", "... the client's own credentials for bob: 200");

    for my $c (['/sf-internal/../protected/file.txt', qr/"\.\." segment/], ['/sf-internal/%2e%2e/outside/secret.txt', qr/"\.\." segment/],
               ['sf-internal/small.txt', qr/not an absolute path/], ['//evil.example/x', qr/not an absolute path/]) {
        my ($uri, $why) = @$c;
        my $m2 = log_mark();
        $r = handoff('app', ["X-Accel-Redirect: $uri"]);
        ok t_cmp($r->{status}, 403, "X-Accel-Redirect $uri: 403");
        ok t_cmp(log_line($m2, qr/:error\]/, qr/\Q$app_file\E/, qr/X-Accel-Redirect "\Q$uri\E" refused/, $why) ? 1 : 0, 1,
                 '... with an error line');
    }
}

# ---- the app is free while a slow client downloads
# Starts a download of $path, reads 1 MB and stops reading: the rest waits.
sub slow_download {
    my ($path) = @_;
    my $s = IO::Socket::IP->new(PeerHost => server_host(), PeerPort => server_port(), Type => SOCK_STREAM)
        or die "connect: $!";
    print $s "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    my $raw = '';
    while (length($raw) < 1048576) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
    }
    return ($s, $raw);
}
{
    # control: the same app streaming 100 MB itself is busy until the client reads
    my ($s) = slow_download("/sf/app.fcgi?size=$big_size");
    my $r = http(path => '/sf/app.fcgi?write=next', timeout => 2);
    ok t_cmp($r->{timeout} ? 1 : 0, 1, 'control: while the app streams its own 100 MB to a slow client, the next request waits');
    close $s;
    # the app gives up when httpd's connection closes; then it answers again
    my $deadline = time + 20;
    do { $r = http(path => '/sf/app.fcgi?write=back', timeout => 5) } until ($r->{status} // 0) == 200 || time > $deadline;
    ok t_cmp("$r->{status} $r->{body}", '200 back', 'control: the app answers once that download is gone');
}
{
    my ($s, $raw) = slow_download($big_q);
    my $t0 = time;
    my $r = http(path => '/sf/app.fcgi?pid&write=next', timeout => 10);
    my $took = time - $t0;
    ok t_cmp($r->{status}, 200, 'the single-process app answers during a slow X-Sendfile download');
    ok t_cmp($r->{body}, qr/pid=\d+\nnext/, '... with its body');
    ok t_cmp($took < 2 ? 1 : 0, 1, sprintf('... at once (%.2f s)', $took));
    my $r2 = handoff('app', ["X-Sendfile: $root/small.txt"]);
    ok t_cmp("$r2->{status} $r2->{body}", "200 $small", 'and serves another X-Sendfile meanwhile');
    # the slow download still completes, intact
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my $md5 = Digest::MD5->new;
    $md5->add($body);
    my $got = length $body;
    while (1) {
        my $n = sysread($s, my $buf, 1048576);
        last unless $n;
        $md5->add($buf);
        $got += $n;
    }
    close $s;
    ok t_cmp("$got " . $md5->hexdigest, "$big_size " . pattern_md5($big_size), 'the slow download completes, md5 intact');
}

leak_check('X-Sendfile', 40, sub { http(path => '/sf/app.fcgi?rawhead=' . url_encode("X-Sendfile: $root/small.txt\r\n\r\n")) });
my ($ok, $why) = crash_check($mark0, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark0, qr/X-(Sendfile|Accel-Redirect) ".*" refused/, qr/error parsing headers: invalid Status/,
                           qr/closed the connection before FCGI_END_REQUEST/,
                           qr{AH01630: client denied by server configuration: .*/sendfile/protected/},
                           qr{AH01631: user alice: authorization failure for "/sf-authed/plain\.txt"});
ok t_cmp(scalar(@bad), 0, "no unexpected error lines:\n" . join("\n", @bad));
