# X-Sendfile and X-Accel-Redirect for the applications the process manager
# runs: a static app (FastCgiServer -processes 1 -x-sendfile) and dynamic
# apps (FastCgiConfig -x-sendfile -x-accel-redirect), in an httpd of their
# own (t/lib/FastCGITest/PM.pm). t/sendfile.t covers the feature in depth.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use Digest::MD5 ();
use IO::Socket::IP;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);

plan tests => 12, need_module 'fastcgi';

my $h = FastCGITest::PM->new('sendfile');
my $bin = app_bin();
my $htdocs = $h->htdocs;
my $static = $h->install("$bin/responder", 'st/resp.fcgi');
my $dyn    = $h->install("$bin/responder", 'dyn/app.fcg');
my $files  = $h->dir . '/files';
mkdir $files, 0755;
my $size = 40 * 1048576;
{
    open my $fh, '>', "$files/big.bin" or die $!;
    my $block = join('', 'a' .. 'z') x 40330;
    my $left = $size;
    while ($left > 0) { my $n = $left > length $block ? length $block : $left; print $fh substr($block, 0, $n); $left -= $n }
    close $fh;
    open $fh, '>', "$files/small.txt" or die $!;
    print $fh "pm small\n";
    close $fh;
    open $fh, '>', $h->dir . '/outside.txt' or die $!;
    print $fh "outside\n";
    close $fh;
}

$h->write_conf(
    "FastCgiServer $static -processes 1 -x-sendfile -sendfile-root $files",
    "FastCgiConfig -x-sendfile -x-accel-redirect -sendfile-root $files -startDelay 1",
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
    "<Directory $files>",
    '    Require all granted',
    '</Directory>',
    "Alias /internal $files",
    '<Location /internal>',
    '    FastCgiInternalOnly On',
    '</Location>',
);
my $started = $h->start;
ok t_cmp($started, 1, 'httpd with a static and dynamic apps using X-Sendfile starts' . ($started ? '' : ": $h->{error}"));

sub q_for { my ($line) = @_; 'rawhead=' . url_encode("$line\r\n\r\n") }

# ---- static
{
    my $r = $h->http(path => '/st/resp.fcgi?' . q_for("X-Sendfile: $files/small.txt"), timeout => 20);
    ok t_cmp("$r->{status} $r->{body}", "200 pm small\n", 'static app: X-Sendfile served');
    $r = $h->http(path => '/st/resp.fcgi?' . q_for('X-Sendfile: ' . $h->dir . '/outside.txt'));
    ok t_cmp($r->{status}, 403, 'static app: a file outside its root is refused');

    # a slow client of a 40 MB file does not hold the only instance
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $h->port, Type => SOCK_STREAM) or die $!;
    print $s 'GET /st/resp.fcgi?' . q_for("X-Sendfile: $files/big.bin") . " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    my $raw = '';
    while (length($raw) < 1048576) { my $n = sysread($s, my $b, 65536); last unless $n; $raw .= $b }
    my $t0 = time;
    $r = $h->http(path => '/st/resp.fcgi?write=next', timeout => 10);
    my $took = time - $t0;
    ok t_cmp("$r->{status} $r->{body}", '200 next', '-processes 1: the instance answers during the slow download');
    ok t_cmp($took < 2 ? 1 : 0, 1, sprintf('... at once (%.2f s)', $took));
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my $md5 = Digest::MD5->new;
    $md5->add($body);
    my $got = length $body;
    while (1) { my $n = sysread($s, my $b, 1048576); last unless $n; $md5->add($b); $got += $n }
    close $s;
    ok t_cmp("$got " . $md5->hexdigest, "$size " . pattern_md5($size), 'the slow download completes intact');
}

# ---- dynamic (FastCgiConfig)
{
    my $r = $h->http(path => '/dyn/app.fcg?' . q_for("X-Sendfile: $files/small.txt"), timeout => 20);
    ok t_cmp("$r->{status} $r->{body}", "200 pm small\n", 'dynamic app: X-Sendfile served (FastCgiConfig -x-sendfile)');
    $r = $h->http(path => '/dyn/app.fcg?' . q_for('X-Sendfile: ' . $h->dir . '/outside.txt'));
    ok t_cmp($r->{status}, 403, 'dynamic app: a file outside its root is refused');
    $r = $h->http(path => '/dyn/app.fcg?' . q_for('X-Accel-Redirect: /internal/small.txt'));
    ok t_cmp("$r->{status} $r->{body}", "200 pm small\n", 'dynamic app: X-Accel-Redirect into an internal location');
    $r = $h->http(path => '/internal/small.txt');
    ok t_cmp($r->{status}, 404, 'the internal location to a client: 404');
    $r = $h->http(path => '/st/resp.fcgi?' . q_for('X-Accel-Redirect: /internal/small.txt') . '&write=static-body');
    ok t_cmp("$r->{status} $r->{body}", '200 static-body', 'the static app has no -x-accel-redirect: header dropped, its body goes out');
}
my @bad = $h->unexpected_errors(0, qr/X-Sendfile ".*" refused/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines:\n" . join("\n", @bad));
$h->stop;
