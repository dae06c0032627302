# -flush: app output is passed to the client as it comes; without it small
# output may be held until the end (but large output is never held).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

plan tests => 9, need_module 'fastcgi';

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

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
