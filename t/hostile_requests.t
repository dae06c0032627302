# Request-side hostility: bodies beyond LimitRequestBody (refused before the
# app is contacted, for Content-Length and chunked, also when they never
# end), slow-loris uploads bounded by the timeouts (<VirtualHost hostile>:
# Timeout 2, mod_reqtimeout MinRate), clients that vanish mid-response (the
# app connection is never reused dirty), header names that would collide
# with CGI variables, Proxy:, header names with odd characters.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use Digest::MD5 ();
use IO::Select;
use IO::Socket::IP;
use LWP::UserAgent;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);

plan tests => 53, need_module 'fastcgi';

my $parent = httpd_pid();
my $start  = log_mark();
start_apps(qw(c perl));
start_apps('php') if have_php_cgi();
my $vport = Apache::Test::config()->{vhosts}{hostile}{port} or die 'no <VirtualHost hostile> port';
my $base  = 'http://' . server_host() . ':' . server_port();

# requests the C app (c.sock) saw for $uri_re since $m
sub app_saw {
    my ($m, $re) = @_;
    return scalar grep { /$re/ } split /\n/, app_requests_since($m);
}

sub raw_socket {
    my ($port) = @_;
    my $s = IO::Socket::IP->new(PeerHost => server_host(), PeerPort => $port || server_port(),
                                Type => SOCK_STREAM, Timeout => 5) or die "connect: $@";
    binmode $s;
    return $s;
}

# what the server answers on $s within $timeout s: (status or 0, bytes, eof, seconds)
sub answer_of {
    my ($s, $timeout, $t0) = @_;
    my $sel = IO::Select->new($s);
    my $buf = '';
    my $eof = 0;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = sysread($s, $buf, 65536, length $buf);
        if (!$n) { $eof = 1; last }
        last if $buf =~ /\r\n\r\n/ && $buf =~ /^HTTP\/1\.. (?:4|5)/;
    }
    my ($st) = $buf =~ m{^HTTP/1\.. (\d{3})};
    return ($st || 0, $buf, $eof, time - $t0);
}

# ---- bodies beyond LimitRequestBody: 413 before the app is contacted
{
    my $m = app_request_log_mark();
    my $r = http(method => 'POST', path => '/ext/limited.fcgi?echo&hostile-cl', body => 'x' x 5000);
    ok t_cmp($r->{status}, 413, 'Content-Length 5000 > LimitRequestBody 1000: 413');

    # a Content-Length of 10 GB, and no body sent at all
    my $t0 = time;
    my $s = raw_socket();
    print $s "POST /ext/limited.fcgi?echo&hostile-10g HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n";
    my ($st, undef, undef, $took) = answer_of($s, 10, $t0);
    close $s;
    ok t_cmp($st, 413, sprintf('Content-Length 10 GB > LimitRequestBody: 413 without waiting for a body (%.1f s)', $took));
    ok t_cmp($took < 3 ? 1 : 0, 1, 'answered at once');

    # httpd's default LimitRequestBody (1 GiB) holds without a <Location> limit
    $t0 = time;
    $s = raw_socket();
    print $s "POST /ext/c.fcgi?echo&hostile-default HTTP/1.1\r\nHost: x\r\nContent-Length: 2147483648\r\n\r\n";
    ($st, undef, undef, $took) = answer_of($s, 10, $t0);
    close $s;
    ok t_cmp($st, 413, 'Content-Length 2 GiB on an app without its own limit: 413 (default LimitRequestBody 1 GiB)');

    # an endless chunked body: the client keeps sending until the answer comes
    $t0 = time;
    $s = raw_socket();
    print $s "POST /ext/limited.fcgi?echo&hostile-endless HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    my $sel = IO::Select->new($s);
    my ($sent, $chunk) = (0, sprintf("%x\r\n", 4096) . ('e' x 4096) . "\r\n");
    local $SIG{PIPE} = 'IGNORE';
    while (time - $t0 < 10 && !$sel->can_read(0)) {
        my $w = syswrite($s, $chunk);
        last unless defined $w && $w > 0;
        $sent += $w;
        last if $sent > 64 * 1024 * 1024;
    }
    ($st, undef, undef, $took) = answer_of($s, 10, $t0);
    close $s;
    ok t_cmp($st, 413, sprintf('endless chunked body: 413 after %.1f s, %d bytes sent by the client', $took, $sent));
    ok t_cmp($took < 5 ? 1 : 0, 1, 'the endless body is cut quickly');

    $r = http(method => 'POST', path => '/ext/limited.fcgi?echo&hostile-chunked', body => 'y' x 5000, chunked => 700);
    ok t_cmp($r->{status}, 413, 'chunked 5000 bytes > LimitRequestBody 1000: 413');

    for my $cl ('12abc', '-1', '1 000') {
        $s = raw_socket();
        print $s "POST /ext/c.fcgi?echo&hostile-badcl HTTP/1.1\r\nHost: x\r\nContent-Length: $cl\r\n\r\nabc";
        ($st) = answer_of($s, 10, time);
        close $s;
        ok t_cmp($st, 400, "Content-Length '$cl': 400");
    }
    sleep 0.3;
    ok t_cmp(app_saw($m, qr/hostile-/), 0, 'none of these requests reached the app');
}

# ---- slow-loris uploads on <VirtualHost hostile> (Timeout 2)
{
    my $m = log_mark();
    my $t0 = time;
    my $s = raw_socket($vport);
    print $s "POST /ext/c.fcgi?echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" . ('s' x 1000);
    my ($st, $buf, $eof, $took) = answer_of($s, 20, $t0);
    close $s;
    ok t_cmp($took < 8 ? 1 : 0, 1, sprintf('upload that stops after 1000 of 100000 bytes: ended after %.1f s (Timeout 2)', $took));
    ok t_cmp(($st == 408 || ($st == 0 && $eof) || $st == 400) ? 1 : 0, 1,
             "... with a 408 or a close, never a response from the app (status $st)");
    my $l = log_line($m, qr/c\.fcgi/, qr/request body|client/i);
    ok t_cmp($l ne '' ? 1 : 0, 1, "a log line names the app and the body read: " . substr($l, 0, 250));

    # a trickle: 1 byte every 0.5 s stays under Timeout but under MinRate too
  SKIP: {
        skip 'mod_reqtimeout not loaded', 2 unless Apache::Test::have_module('reqtimeout');
        $t0 = time;
        $s = raw_socket($vport);
        print $s "POST /ext/c.fcgi?echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
        my $sel = IO::Select->new($s);
        local $SIG{PIPE} = 'IGNORE';
        while (time - $t0 < 30 && !$sel->can_read(0.5)) {
            last unless syswrite($s, 't');
        }
        ($st, $buf, $eof, $took) = answer_of($s, 10, $t0);
        close $s;
        ok t_cmp($took < 12 ? 1 : 0, 1, sprintf('a 2 byte/s trickle upload is cut after %.1f s (body=4,MinRate=500)', $took));
        ok t_cmp(($st =~ /^(0|400|408)$/) ? 1 : 0, 1, "... with a 408 or a close (status $st)");
    }
    my $r = http(port => $vport, method => 'POST', path => '/ext/c.fcgi?echo', body => 'quick');
    ok t_cmp("$r->{status} $r->{body}", '200 quick', 'a normal upload on the same virtual host works');
}

# ---- a client that vanishes mid-response: the app connection is closed or
#      drained, the next requests get exact bodies
for my $case (['/static1/resp', 'static app (-processes 1, reuse by default)'],
              ['/ext/keep.fcgi', 'external app with -keep-conn']) {
    my ($path, $what) = @$case;
    my $m = log_mark();
    my $s = raw_socket();
    print $s "GET $path?conn&size=30000000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    my $got = '';
    while (length $got < 200000) {
        my $n = sysread($s, $got, 65536, length $got);
        last unless $n;
    }
    close $s;   # 200 KB of 30 MB read
    ok t_cmp(length($got) >= 200000 ? 1 : 0, 1, "$what: the client read 200 KB of 30 MB and went away");
    my $l = log_line($m, qr/client stopped the connection|aborted|connection reset|Broken pipe/i);
    ok t_cmp($l ne '' ? 1 : 0, 1, "$what: the log says the client went away: " . substr($l, 0, 200));
    my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 30);
    my $want = pattern_md5(100000);
    my @res;
    for (1 .. 6) {
        my $res = $ua->get("$base$path?size=100000");
        push @res, $res->code . ' ' . Digest::MD5::md5_hex($res->content);
    }
    ok t_cmp(scalar(grep { $_ eq "200 $want" } @res), 6, "$what: the next 6 responses are exact (@res[0..1] ...)");
}

# ---- header names that would collide with CGI variables
my @collide = (
    'Content_Type' => 'evil/ct', 'Content_Length' => '999', 'Remote-Addr' => '6.6.6.6',
    'Remote_Addr' => '6.6.6.7', 'Script-Name' => '/evil-sn', 'Script_Name' => '/evil-sn2',
    'Document-Root' => '/evil-dr', 'Document_Root' => '/evil-dr2', 'Path-Info' => '/evil-pi',
    'Server-Name' => 'evil-server', 'Remote-User' => 'evil-admin', 'Auth-Type' => 'evil-basic',
    'Https' => 'evil-on', 'Gateway-Interface' => 'evil-gi', 'Script-Filename' => '/evil/passwd',
    'Query_String' => 'evil-qs', 'Request_Method' => 'evil-rm', 'Server_Port' => 'evil-1',
);
# the HTTP_ names the dash headers may give (underscore names are dropped)
my %dash_ok = map { my $n = $collide[2 * $_]; $n =~ /_/ ? () : ('HTTP_' . uc($n =~ s/-/_/gr) => 1) } 0 .. @collide / 2 - 1;
for my $case (['/ext/c.fcgi', 'external C app'], ['/static1/resp', 'static app'], ['/ext/perl.fcgi', 'Perl FCGI app']) {
    my ($path, $what) = @$case;
    my $r = http(method => 'POST', path => "$path?env", body => 'abc',
                 headers => ['Content-Type' => 'text/x-real', @collide]);
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, "$what: request with colliding header names: 200");
    my %want = (CONTENT_TYPE => 'text/x-real', CONTENT_LENGTH => '3', REMOTE_ADDR => '127.0.0.1',
                GATEWAY_INTERFACE => 'CGI/1.1', REQUEST_METHOD => 'POST', QUERY_STRING => 'env',
                SERVER_PORT => server_port());
    my @wrong = map { "$_=" . ($e->{$_} // '(unset)') } grep { ($e->{$_} // '') ne $want{$_} } sort keys %want;
    ok t_cmp("@wrong", '', "$what: CONTENT_TYPE, CONTENT_LENGTH, REMOTE_ADDR, ... have their real values");
    my @set = grep { exists $e->{$_} } qw(REMOTE_USER AUTH_TYPE HTTPS);
    ok t_cmp("@set", '', "$what: REMOTE_USER, AUTH_TYPE, HTTPS not set by headers");
    my @bad = grep { ($e->{$_} // '') =~ /evil|6\.6\.6/ && !$dash_ok{$_} } sort keys %$e;
    ok t_cmp("@bad", '', "$what: a header value reaches only HTTP_<dash name>, never a CGI variable");
    ok t_cmp(($e->{SCRIPT_NAME} // '') =~ /evil/ || ($e->{DOCUMENT_ROOT} // '') =~ /evil/
             || ($e->{SCRIPT_FILENAME} // '') =~ /evil/ || ($e->{PATH_INFO} // '') =~ /evil/ ? 1 : 0, 0,
             "$what: SCRIPT_NAME, DOCUMENT_ROOT, SCRIPT_FILENAME, PATH_INFO untouched");
}

# ---- Proxy: is never forwarded (httpoxy), whatever its spelling
for my $case (['/ext/c.fcgi', 'external C app'], ['/static1/resp', 'static app'], ['/ext/perl.fcgi', 'Perl FCGI app'],
              ['/php/env.php', 'php-cgi']) {
    my ($path, $what) = @$case;
  SKIP: {
        skip 'php-cgi not installed', 1 if $path =~ /php/ && !have_php_cgi();
        my @seen;
        for my $name ('Proxy', 'proxy', 'PROXY') {
            my $r = http(path => "$path?env", headers => [$name => 'http://evil.example:1/']);
            push @seen, "$name:$r->{status}" if $r->{status} != 200 || $r->{body} =~ /HTTP_PROXY=|evil\.example/;
        }
        ok t_cmp("@seen", '', "$what: Proxy/proxy/PROXY never gives HTTP_PROXY");
    }
}

# ---- header names with odd characters
{
    my $r = http(path => '/ext/c.fcgi?env', headers => ["X-Odd!#\$%&'*+.^`|~" => 'odd-value', 'X-Dot.Name' => 'dot']);
    my @names = map { (split /=/, $_, 2)[0] } grep { /=/ } split /\n/, $r->{body};
    ok t_cmp($r->{status}, 200, 'token characters in header names: 200');
    ok t_cmp(scalar(grep { !/^[A-Za-z0-9_]+$/ } @names), 0, 'every param name the app gets is [A-Za-z0-9_]');
    # as httpd's own CGI (ap_add_common_vars): a name with a character other
    # than a letter, digit or '-' is dropped, not mapped onto some HTTP_ name
    ok t_cmp(scalar(grep { /=(?:odd-value|dot)$/ } split /\n/, $r->{body}), 0,
             'names with other token characters (!#$%&\'*+.^`|~) are dropped, as by httpd\'s CGI');
    my $m = app_request_log_mark();
    for my $h ("X(Bad): v", "X\x{e9}t\x{e9}: v", "X Bad: v", "X\x01Ctl: v") {
        my $s = raw_socket();
        print $s "GET /ext/c.fcgi?env&hostile-oddname HTTP/1.1\r\nHost: x\r\n$h\r\nConnection: close\r\n\r\n";
        my ($st) = answer_of($s, 10, time);
        close $s;
        (my $show = $h) =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
        ok t_cmp($st, 400, "header name '$show': 400");
    }
    sleep 0.3;
    ok t_cmp(app_saw($m, qr/hostile-oddname/), 0, 'the app never saw them');
}

# ---- nothing left behind
leak_check('hostile requests', 30, sub {
    my ($i) = @_;
    if ($i % 3 == 0) {
        http(method => 'POST', path => '/ext/limited.fcgi?echo', body => 'x' x 3000, chunked => 1000);
    } elsif ($i % 3 == 1) {
        my $s = raw_socket();
        print $s "GET /ext/keep.fcgi?size=3000000 HTTP/1.1\r\nHost: x\r\n\r\n";
        sysread($s, my $b, 65536);
        close $s;
    } else {
        http(path => '/ext/c.fcgi?env', headers => [@collide]);
    }
});
{
    my ($ok, $why) = crash_check($start, $parent);
    ok t_cmp($ok, 1, "httpd's parent is the same and no child crashed ($why)");
}
