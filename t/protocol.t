# Record-level behaviour against t/apps/raw.pl, a FastCGI peer written on the
# wire format: what the module sends, and how it treats odd or bad records.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

plan tests => 46, need_module 'fastcgi';

my $parent  = httpd_pid();
my $mark    = log_mark();
my $docroot = docroot();
start_apps(qw(raw raw_tcp));

# ---- valid variants must work
{
    my $r = http(path => '/ext/raw.fcgi?ok');
    ok t_cmp("$r->{status} $r->{body}", "200 raw ok\n", 'raw ok over unix');
    $r = http(path => '/ext/raw-tcp.fcgi?ok');
    ok t_cmp("$r->{status} $r->{body}", "200 raw ok\n", 'raw ok over TCP');
    $r = http(path => '/ext/raw.fcgi?padded');
    ok t_cmp("$r->{status} $r->{body}", "200 padded ok\n", 'records with padding bytes work');
    $r = http(path => '/ext/raw.fcgi?split');
    ok t_cmp("$r->{status} $r->{body}", "200 split ok\n", 'response written one byte per write works');
}

# ---- what the module sends
{
    my $r = http(path => '/ext/raw.fcgi?records');
    my @rec = split /\n/, $r->{body};
    ok t_cmp($rec[0] // '', qr/^type=1 id=1 clen=8 plen=\d+ role=1 flags=0$/,
             'BEGIN_REQUEST first: requestId 1, role RESPONDER, flags 0 (no keep-conn)');
    my @params = grep { /^type=4 / } @rec;
    ok t_cmp(scalar(@params) >= 2 ? 1 : 0, 1, 'PARAMS records sent');
    ok t_cmp($params[-1] // '', qr/clen=0 /, 'PARAMS stream ends with an empty record');
    my @stdin = grep { /^type=5 / } @rec;
    ok t_cmp(join(',', @stdin), qr/^type=5 id=1 clen=0 plen=\d+$/, 'GET: exactly one, empty, STDIN record');
    ok t_cmp(scalar(grep { !/^type=[145] id=1 / && !/^stdin_bytes=/ } @rec), 0,
             'nothing but BEGIN_REQUEST, PARAMS and STDIN, all with requestId 1');
    my ($last_params) = grep { $rec[$_] =~ /^type=4 .*clen=0 / } 0 .. $#rec;
    my ($first_stdin) = grep { $rec[$_] =~ /^type=5 / } 0 .. $#rec;
    ok t_cmp(($last_params // 99) < ($first_stdin // -1) ? 1 : 0, 1, 'all PARAMS before STDIN');

    my $body = random_bytes(200000, 3);
    $r = http(method => 'POST', path => '/ext/raw.fcgi?records', body => $body);
    @rec = split /\n/, $r->{body};
    @stdin = grep { /^type=5 / } @rec;
    my $sum = 0;
    my $max = 0;
    for (@stdin) { my ($c) = /clen=(\d+)/; $sum += $c; $max = $c if $c > $max }
    ok t_cmp($sum, 200000, 'POST 200000 bytes: STDIN records carry 200000 bytes');
    ok t_cmp($stdin[-1] // '', qr/clen=0 /, 'STDIN ends with an empty record');
    ok t_cmp(scalar(grep { /clen=0 / } @stdin), 1, 'exactly one empty STDIN record');

    # a 100 KB param needs 4-byte lengths and several PARAMS records
    my $v = 'v' x 100000;
    $r = http(path => '/ext/raw.fcgi?records', headers => ['X-Long' => $v]);
    @params = grep { /^type=4 / } split /\n/, $r->{body};
    my @clens = map { /clen=(\d+)/ ? $1 : 0 } @params;
    ok t_cmp((grep { $_ > 65535 } @clens) ? 0 : 1, 1, 'no PARAMS record over 65535 bytes');
    $r = http(path => '/ext/raw.fcgi?env', headers => ['X-Long' => $v]);
    my $e = parse_env($r->{body});
    ok t_cmp(($e->{HTTP_X_LONG} // '') eq $v ? 1 : 0, 1, '100 KB param decoded intact by an independent parser');
    ok t_cmp($e->{SCRIPT_FILENAME}, "$docroot/ext/raw.fcgi", 'independent parser: SCRIPT_FILENAME');
}

# ---- records after END_REQUEST are never passed on
{
    my $r = http(path => '/ext/raw.fcgi?afterend', check_trailing => 1);
    ok t_cmp("$r->{status} $r->{body}", "200 before end\n", 'afterend: the valid response');
    ok t_cmp(($r->{raw} . ($r->{extra} // '')) =~ /SMUGGLED/ ? 1 : 0, 0, 'afterend: the SMUGGLED bytes never reach the client');
    $r = http(path => '/ext/raw.fcgi?ok');
    ok t_cmp($r->{body}, "raw ok\n", 'next request unaffected');
}

# ---- malformed records before the headers: 502 + protocol error in the log
my @cases = (
    ['badversion',  qr/protocol/i, 'record version 2'],
    ['wrongid',     qr/protocol/i, 'records with requestId 7'],
    ['unknowntype', qr/protocol/i, 'record type 42'],
    ['overrun',     qr/protocol|record/i, 'record longer than the data sent (truncated record)'],
    ['endstatus=2', qr/protocol/i, 'END_REQUEST protocolStatus 2 (OVERLOADED) before any output'],
    ['endstatus=1', qr/protocol/i, 'END_REQUEST protocolStatus 1 (CANT_MPX_CONN)'],
    ['endstatus=3', qr/protocol/i, 'END_REQUEST protocolStatus 3 (UNKNOWN_ROLE)'],
    ['closeearly',  qr/./,         'connection closed without any record'],
    ['shortend',    qr/protocol/i, 'END_REQUEST with 4 content bytes instead of 8'],
);
for my $c (@cases) {
    my ($mode, $cause, $what) = @$c;
    my $m = log_mark();
    my $r = http(path => "/ext/raw.fcgi?$mode", timeout => 10);
    ok t_cmp($r->{status}, 502, "$what -> 502");
    my $l = log_line($m, qr/\Q$docroot\E\/ext\/raw\.fcgi/, $cause);
    ok t_cmp($l ne '' ? 1 : 0, 1, "$what: log line naming the app" . ($cause eq qr/./ ? '' : " and $cause") . ": $l");
}

# ---- app closes mid-body after the headers went out (-flush): abort
{
    my $r = http(path => '/ext/raw-flush.fcgi?closemidbody');
    ok t_cmp("$r->{status} $r->{chunked} $r->{complete}", '200 1 0',
             'closemidbody with -flush: 200, chunked, no terminating chunk');
}

# ---- truncated record after the headers went out (-flush): abort
{
    my $r = http(path => '/ext/raw-flush.fcgi?overrunbody');
    ok t_cmp("$r->{status} $r->{complete}", '200 0', 'truncated STDOUT record mid-body: 200 and aborted');
    ok t_cmp($r->{body}, qr/^first part /, 'the complete records before it were delivered');
}

# ---- the app answers before reading STDIN and closes
{
    my $body = 'e' x (5 * 1048576);
    my $r = http(method => 'POST', path => '/ext/raw.fcgi?earlyanswer', body => $body, timeout => 20);
    ok t_cmp("$r->{status} $r->{body}", "200 early answer\n",
             'app answers without reading a 5 MB body: its complete response is delivered');
    $r = http(path => '/ext/raw.fcgi?ok');
    ok t_cmp($r->{body}, "raw ok\n", 'next request fine');
}

leak_check('protocol', 50, sub {
    my $i = shift;
    my @m = qw(ok badversion wrongid overrun unknowntype endstatus=2 afterend closeearly padded);
    http(path => '/ext/raw.fcgi?' . $m[$i % @m], timeout => 10);
});
my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/\Q$docroot\E\/ext\/raw(-flush)?\.fcgi/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
