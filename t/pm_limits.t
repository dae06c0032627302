# httpd's RLimitCPU, RLimitMEM and RLimitNPROC (server config) apply to the
# applications the process manager spawns, static (FastCgiServer) and
# dynamic, as mod_cgi applies them to CGI scripts: each instance's
# /proc/<pid>/limits shows the configured soft and hard values (RLimitMEM as
# the address space). Without RLimit* an instance keeps the PM's limits.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;

plan tests => 12, need_module 'fastcgi';

# Generous values: RLimitNPROC counts every process of httpd's User on the
# machine (other test servers run as nobody too).
my %want = (cpu => [50, 60], mem => [1073741824, 2147483648], nproc => [4000, 5000]);

my $h = FastCGITest::PM->new('limits');
my $bin = app_bin();
my $static = $h->install("$bin/responder", 'st/limited.fcgi');
my $dyn    = $h->install("$bin/responder", 'dyn/app.fcg');
my $htdocs = $h->htdocs;

sub limits_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/limits" or return {};
    my %l;
    while (<$fh>) {
        $l{cpu}   = [$1, $2] if /^Max cpu time\s+(\S+)\s+(\S+)/;
        $l{mem}   = [$1, $2] if /^Max address space\s+(\S+)\s+(\S+)/;
        $l{nproc} = [$1, $2] if /^Max processes\s+(\S+)\s+(\S+)/;
    }
    return \%l;
}
sub show { my ($l, $k) = @_; return $l->{$k} ? "$l->{$k}[0] $l->{$k}[1]" : 'none' }
sub pid_of { my ($r) = @_; return $r->{body} =~ /pid=(\d+)/ ? $1 : 0 }

$h->write_conf(
    "RLimitCPU $want{cpu}[0] $want{cpu}[1]",
    "RLimitMEM $want{mem}[0] $want{mem}[1]",
    "RLimitNPROC $want{nproc}[0] $want{nproc}[1]",
    "FastCgiServer $static -init-start-delay 0",
    'FastCgiConfig -startDelay 1',
    "<Directory $htdocs/dyn>",
    '    Options +ExecCGI',
    '    AddHandler fastcgi-script .fcg',
    '</Directory>',
);
my $started = $h->start;
ok t_cmp($started, 1, 'httpd with RLimitCPU/MEM/NPROC and a FastCgiServer starts'
                      . ($started ? '' : ": $h->{error}"));

# 1. the static app
my ($spid) = keys %{ $h->wait_instances($static, 1, 5) };
$spid //= 0;
my $sl = limits_of($spid);
for my $k (qw(cpu mem nproc)) {
    ok t_cmp(show($sl, $k), "@{ $want{$k} }", "static app (pid $spid): RLimit" . uc($k) . " in /proc/pid/limits");
}
my $r = $h->http(path => '/st/limited.fcgi?pid');
ok t_cmp($r->{status}, 200, 'the limited static app answers');

# 2. a dynamic app
$r = $h->http(path => '/dyn/app.fcg?pid', timeout => 20);
ok t_cmp($r->{status}, 200, 'the limited dynamic app answers');
my $dpid = pid_of($r);
my $dl = limits_of($dpid);
for my $k (qw(cpu mem nproc)) {
    ok t_cmp(show($dl, $k), "@{ $want{$k} }", "dynamic app (pid $dpid): RLimit" . uc($k) . " in /proc/pid/limits");
}
$h->stop;

# 3. without RLimit*, the PM's own limits (here: the test driver's)
my $own = limits_of($$);
$h->write_conf("FastCgiServer $static -init-start-delay 0");
$started = $h->start;
ok t_cmp($started, 1, 'httpd without RLimit* starts' . ($started ? '' : ": $h->{error}"));
($spid) = keys %{ $h->wait_instances($static, 1, 5) };
$spid //= 0;
$sl = limits_of($spid);
ok t_cmp(show($sl, 'cpu'), show($own, 'cpu'), 'without RLimitCPU the app has the limit httpd started with');
ok t_cmp(show($sl, 'mem'), show($own, 'mem'), 'without RLimitMEM the app has the limit httpd started with');
$h->stop;
