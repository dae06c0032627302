# -flush: app output is passed to the client as it comes; without it small
# output may be held until the end (but large output is never held).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use Time::HiRes qw(time);

plan tests => 19, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
start_apps('c');

my $q = 'write=first&flush&pause=1500&write=second';

my $f = http(path => "/ext/flush.fcgi?$q", time_from_end_of_request => 1);
ok t_cmp($f->{status}, 200, '-flush: 200');
ok t_cmp(sprintf('%.2f', $f->{t_first_body} // 99) < 1.0 ? 1 : 0, 1,
         sprintf('-flush: first body byte after %.2f s (< 1.0 s, app pauses 1.5 s)', $f->{t_first_body} // 99));
ok t_cmp($f->{body}, 'firstsecond', '-flush: body');

my $n = http(path => "/ext/c.fcgi?$q", time_from_end_of_request => 1);
ok t_cmp($n->{status}, 200, 'no -flush: 200');
ok t_cmp(($n->{t_first_body} // 0) >= 1.4 ? 1 : 0, 1,
         sprintf('no -flush: first body byte after %.2f s (>= 1.4 s: held until the end)', $n->{t_first_body} // 0));
ok t_cmp($n->{body}, 'firstsecond', 'no -flush: same body');

# large output is streamed even without -flush
my $b = http(path => '/ext/c.fcgi?size=1000000&flush&pause=1500&write=END', sink => 1,
             time_from_end_of_request => 1);
ok t_cmp(($b->{t_first_body} // 99) < 1.0 ? 1 : 0, 1,
         sprintf('no -flush, 1 MB then a pause: first body byte after %.2f s (< 1.0 s)', $b->{t_first_body} // 99));
ok t_cmp($b->{body_len}, 1000003, 'no -flush, 1 MB then a pause: whole body');

# streaming decided per response, without -flush: Server-Sent Events, and
# nginx's X-Accel-Buffering: no (removed before the client sees it)
my $sse = http(path => "/ext/c.fcgi?ctype=text/event-stream&$q", time_from_end_of_request => 1);
ok t_cmp($sse->{status}, 200, 'text/event-stream: 200');
ok t_cmp(($sse->{t_first_body} // 99) < 1.0 ? 1 : 0, 1,
         sprintf('text/event-stream: first body byte after %.2f s (< 1.0 s)', $sse->{t_first_body} // 99));
ok t_cmp($sse->{body}, 'firstsecond', 'text/event-stream: body');

my $xab = http(path => '/ext/c.fcgi?header=' . url_encode('X-Accel-Buffering: no') . "&$q", time_from_end_of_request => 1);
ok t_cmp(($xab->{t_first_body} // 99) < 1.0 ? 1 : 0, 1,
         sprintf('X-Accel-Buffering: no: first body byte after %.2f s (< 1.0 s)', $xab->{t_first_body} // 99));
ok t_cmp(hdr($xab, 'X-Accel-Buffering') // 'absent', 'absent', 'X-Accel-Buffering never reaches the client');
ok t_cmp($xab->{body}, 'firstsecond', 'X-Accel-Buffering: no: body');

my $xay = http(path => '/ext/c.fcgi?header=' . url_encode('X-Accel-Buffering: yes') . "&$q", time_from_end_of_request => 1);
ok t_cmp(($xay->{t_first_body} // 0) >= 1.4 ? 1 : 0, 1,
         sprintf('X-Accel-Buffering: yes: buffered as usual (%.2f s)', $xay->{t_first_body} // 0));
ok t_cmp(hdr($xay, 'X-Accel-Buffering') // 'absent', 'absent', '... and the header is removed too');

# ... and through mod_http2 (h2c, prior knowledge): curl's time to the
# first byte of the response
SKIP: {
    my $hp = h2c_hostport();
    skip 'mod_http2 or an h2-capable curl missing', 2 unless $hp;
    # seconds until the first byte of the body reaches curl (-N: unbuffered)
    my $first_body = sub {
        my ($path) = @_;
        my $t0 = time;
        open my $c, '-|', 'curl', '-sN', '--http2-prior-knowledge', "http://$hp$path" or return 99;
        my $n = sysread($c, my $buf, 1);
        my $t = time - $t0;
        1 while sysread($c, $buf, 65536);
        close $c;
        return $n ? $t : 99;
    };
    my $v = `curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version}' 'http://$hp/ext/c.fcgi?write=x'`;
    ok t_cmp($v, '2', 'h2c: the response came over HTTP/2');
    my $t = $first_body->("/ext/c.fcgi?ctype=text/event-stream&$q");
    ok t_cmp($t < 1.0 ? 1 : 0, 1, sprintf('h2c, text/event-stream: first body byte after %.2f s (< 1.0 s)', $t));
    # (mod_http2 does not hold small output back the way HTTP/1.1's core
    # output filter does, so there is no buffered case to compare with)
}

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
