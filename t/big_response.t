# Response bodies of many sizes, checksummed; 1 GB streamed with bounded
# httpd memory.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use Time::HiRes qw(time);
use IO::Socket::IP;
use Socket qw(SOCK_STREAM);

my @sizes = (0, 1, 8191, 65535, 65536, 10 * 1048576, 100 * 1048576);
plan tests => @sizes * 2 + 2 + 1 + 4 + 3 + 2 + 2 + 2, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
start_apps(qw(c c_tcp));
start_apps('go') if have_go();

for my $n (@sizes) {
    my $r = http(path => "/ext/c.fcgi?size=$n", sink => 1, timeout => 60);
    ok t_cmp("$r->{status} $r->{body_len} $r->{complete}", "200 $n 1", "size=$n: status, length, complete framing");
    ok t_cmp($r->{body_md5}, pattern_md5($n), "size=$n: md5 of the pattern");
}
{
    my $n = 10 * 1048576;
    my $r = http(path => "/ext/c-tcp.fcgi?size=$n", sink => 1, timeout => 60);
    ok t_cmp("$r->{status} $r->{body_len} $r->{complete}", "200 $n 1", "TCP size=$n: status, length, complete");
    ok t_cmp($r->{body_md5}, pattern_md5($n), "TCP size=$n: md5");
}
if (have_go()) {
    my $n = 10 * 1048576 + 3;
    my $r = http(path => "/ext/go.fcgi?size=$n", sink => 1, timeout => 60);
    ok t_cmp($r->{body_md5}, pattern_md5($n), "Go size=$n: md5");
} else {
    skip 'Go app not built' for 1;
}

# ---- 1 GB: streamed, httpd children RSS grows by < 10 MB
{
    my $n = 1073741824;
    sleep 0.3;
    my $before = children_rss_map();
    my %max = %$before;
    my $t0 = time;
    my $r = http(path => "/ext/c.fcgi?size=$n", sink => 1, timeout => 30,
                 progress => sub {
                     my ($got) = @_;
                     return if $got % (32 * 1048576) > 1048576 * 2;   # sample every ~32 MB
                     rss_sample(\%max);
                 });
    my $secs = time - $t0;
    rss_sample(\%max);
    ok t_cmp("$r->{status} $r->{body_len} $r->{complete}", "200 $n 1", '1 GB: status, length, complete framing');
    ok t_cmp($r->{body_md5}, pattern_md5($n), '1 GB: md5 of the pattern');
    my ($grow, $who) = rss_growth($before, \%max);
    my $detail = join ' ', map { "$_:" . ($before->{$_} // 'new') . "->$max{$_}" } sort keys %max;
    ok t_cmp($grow < 10240 ? 1 : 0, 1, "1 GB: largest RSS growth of an httpd child $grow kB (< 10 MB) [$detail]");
    ok t_cmp($secs < 60 ? 1 : 0, 1, sprintf('1 GB streamed in %.1f s (< 60 s)', $secs));
}

# ---- the client goes away in the middle of a big response / upload
sub abort_download {
    my ($path, $read) = @_;
    my $s = IO::Socket::IP->new(PeerHost => server_host(), PeerPort => server_port(), Type => SOCK_STREAM)
        or return 0;
    print $s "GET $path HTTP/1.1\r\nHost: x\r\n\r\n";
    my $got = 0;
    while ($got < $read) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $got += $n;
    }
    close $s;
    return $got;
}
sub abort_upload {
    my ($path, $len, $send) = @_;
    my $s = IO::Socket::IP->new(PeerHost => server_host(), PeerPort => server_port(), Type => SOCK_STREAM)
        or return 0;
    print $s "POST $path HTTP/1.1\r\nHost: x\r\nContent-Length: $len\r\n\r\n";
    print $s 'u' x $send;
    select undef, undef, undef, 0.1;
    close $s;
    return 1;
}
{
    my $m = log_mark();
    abort_download('/ext/c.fcgi?size=104857600', 1048576) for 1 .. 6;   # more than the app's 4 workers
    abort_download('/ext/flush.fcgi?write=x&flush&pause=3000&size=1000', 1) for 1 .. 2;
    abort_upload('/ext/c.fcgi?echo', 10485760, 1048576) for 1 .. 6;
    abort_upload('/ext/c.fcgi?echo', 10485760, 1048576) for 1 .. 2;
    my $t0 = time;
    my $r = http(path => '/ext/c.fcgi?write=after-aborts', timeout => 10);
    ok t_cmp("$r->{status} $r->{body}", '200 after-aborts', 'requests work after client aborts (app workers were released)');
    ok t_cmp(time - $t0 < 5 ? 1 : 0, 1, sprintf('... answered in %.2f s', time - $t0));
    sleep 0.5;
    my @bad = unexpected_errors($m);
    ok t_cmp(scalar(@bad), 0, "client aborts log no errors:\n" . join("\n", @bad));
}

leak_check('client aborts', 20, sub {
    my $i = shift;
    $i % 2 ? abort_download('/ext/c.fcgi?size=10485760', 65536)
           : abort_upload('/ext/c.fcgi?echo', 1048576, 65536);
});
leak_check('big_response', 50, sub { http(path => '/ext/c.fcgi?size=200000', sink => 1) });
my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
