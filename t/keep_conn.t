# Connection reuse (FCGI_KEEP_CONN): the same app process and connection
# serve a client's requests; a connection whose client vanished, whose
# exchange was cut or stopped early, or whose app closed it is never reused;
# apps that ignore FCGI_KEEP_CONN still work; a one-process static app is
# never starved by kept connections; what an app can serve is asked with
# FCGI_GET_VALUES.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use IO::Socket::IP;
use LWP::UserAgent;
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

plan tests => 37, need_module 'fastcgi';

my $start_mark = log_mark();
start_apps(qw(c c4 c_tcp raw perl));
start_apps('go') if have_go();
start_apps('php') if have_php_cgi();
my $base = 'http://' . server_host() . ':' . server_port();

# Until an external app's answer to FCGI_GET_VALUES is in (the children ask
# in the background, again every second while the app is not up), nothing
# is kept: wait for it (a generation that already knows does not ask again).
for my $app (qw(keep keep-raw keep-perl), (have_go() ? 'keep-go' : ()), (have_php_cgi() ? 'keep-php' : ())) {
    FastCGITest::wait_match(sub { log_since($start_mark) }, qr/\Q$app.fcgi" at \E.*keeping up to/, 4);
}

# One client over one HTTP keep-alive connection, so that its requests are
# served by one httpd child (kept connections belong to a child).
sub client { LWP::UserAgent->new(keep_alive => 1, timeout => 30) }

sub conn_ids {
    my ($ua, $path, $n, $pause) = @_;
    my @ids;
    for (1 .. $n) {
        select undef, undef, undef, $pause if $pause && @ids;
        my $res = $ua->get("$base$path");
        push @ids, $res->code == 200 && $res->content =~ /^conn=(\d+:\d+)$/m ? $1 : 'fail:' . $res->code;
    }
    return @ids;
}
sub distinct { my %h = map { $_ => 1 } @_; scalar keys %h }
# Whether the last three of a client's answers came over one connection: a
# client that lands on another httpd child goes without for a request or two
# while the connection kept by the first child is released (its sweeper
# looks every 5 ms: such clients pause 20 ms between requests).
sub settles { my @l = @_[-3 .. -1]; return (distinct(@l) == 1 && $l[0] =~ /^\d/) ? 1 : 0 }

# ---- reuse: one app process, one connection, many requests
{
    my @ids = conn_ids(client(), '/ext/keep.fcgi?conn', 10);
    ok t_cmp(scalar(grep { /^\d/ } @ids), 10, '-keep-conn: 10 requests answered');
    ok t_cmp(distinct(@ids), 1, "-keep-conn: one app process and one connection served all 10 (@ids)");

    @ids = conn_ids(client(), '/ext/c.fcgi?conn', 5);
    ok t_cmp(distinct(@ids), 5, "without -keep-conn (external default): a new connection per request (@ids)");

    @ids = conn_ids(client(), '/static1/resp?conn', 10);
    ok t_cmp(scalar(grep { /^\d/ } @ids), 10, 'static app: 10 requests answered');
    ok t_cmp(distinct(@ids), 1, "static app (-processes 1): reuse is the default, one connection (@ids[0..2] ...)");

    @ids = conn_ids(client(), '/ext/keep-tcp.fcgi?conn', 5);
    ok t_cmp(distinct(@ids) == 1 && $ids[0] =~ /^\d/ ? 1 : 0, 1, "-keep-conn over TCP (-max-conns 2): one connection (@ids[0..1] ...)");

    my $ua = client();
    my $res;
    my @bodies = map { $res = $ua->get("$base/ext/keep-perl.fcgi?pid"); $res->code . ' ' . $res->content } 1 .. 5;
    ok t_cmp(distinct(@bodies), 1, "Perl FCGI app with -keep-conn: same process for 5 requests ($bodies[0])");
}

# ---- a connection whose client went away mid-response is not reused
{
    my $ua = client();
    my ($before) = conn_ids($ua, '/ext/keep.fcgi?conn', 1);
    my $s = IO::Socket::IP->new(PeerHost => server_host(), PeerPort => server_port(), Type => SOCK_STREAM);
    print $s "GET /ext/keep.fcgi?conn&size=50000000 HTTP/1.1\r\nHost: x\r\n\r\n";
    my ($got, $buf) = (0, '');
    my $first = '';
    while ($got < 1048576) {
        my $n = sysread($s, $buf, 65536);
        last unless $n;
        $first .= $buf if length($first) < 4096;
        $got += $n;
    }
    close $s;
    my ($vanished) = $first =~ /conn=(\d+:\d+)/;
    $vanished //= 'none';
    select undef, undef, undef, 0.5;
    my @after = conn_ids(client(), '/ext/keep.fcgi?conn', 3);
    ok t_cmp(scalar(grep { /^\d/ } @after), 3, 'after a client vanished mid-response: requests answered');
    ok t_cmp(scalar(grep { $_ eq $vanished } @after), 0,
             "... and never over the vanished client's connection ($vanished; after: @after)");
}

# ---- an exchange cut by -idle-timeout does not leave its connection behind
{
    my $ua = client();
    # (keep.fcgi and keep-idle.fcgi share c.sock, so they share what it serves)
    my @ids = conn_ids($ua, '/ext/keep-idle.fcgi?conn', 8, 0.02);
    ok t_cmp(settles(@ids), 1, "-keep-conn -idle-timeout 2: kept (@ids)");
    my $res = $ua->get("$base/ext/keep-idle.fcgi?conn&flush&hang");
    my ($cut) = ($res->content // '') =~ /conn=(\d+:\d+)/;
    $cut //= 'none';
    ok t_cmp($cut, $ids[-1], 'the hanging request went over the kept connection');
    my @after = conn_ids(client(), '/ext/keep-idle.fcgi?conn', 2);
    ok t_cmp(scalar(grep { /^\d/ } @after), 2, 'after the idle timeout: the next requests are answered');
    ok t_cmp(scalar(grep { $_ eq $cut } @after), 0, "... over a new connection (@after)");
}

# ---- an app that dies on a kept connection: one 502, never replayed
{
    my $ua = client();
    my @ids = conn_ids($ua, '/ext/keep.fcgi?conn', 8, 0.02);
    ok t_cmp(settles(@ids), 1, "kept before the app dies (@ids)");
    my $reqlog = t_dir() . '/logs/app_requests.log';
    my $mark = -s $reqlog || 0;
    my $res = $ua->get("$base/ext/keep.fcgi?exit=1&n=once");
    ok t_cmp($res->code, 502, 'the app exits on a kept connection before answering: 502');
    select undef, undef, undef, 0.3;
    my $seen = () = FastCGITest::file_since($reqlog, $mark) =~ /n=once/g;
    # (a kept connection that ends before any answer is taken for one the
    # app closed after its last request, and the bodiless request is sent
    # once more on a new connection: at most twice in all)
    ok t_cmp(($seen >= 1 && $seen <= 2) ? 1 : 0, 1, "the request that killed it was sent at most once more ($seen)");
    my @after = conn_ids($ua, '/ext/keep.fcgi?conn', 3);
    ok t_cmp(scalar(grep { /^\d/ } @after), 3, "next requests answered (@after)");
    ok t_cmp(scalar(grep { $_ eq $ids[-1] } @after), 0, '... never over the dead connection');
}

# ---- an exchange stopped early (HEAD: the body is not read) is not reused
{
    my $ua = client();
    my ($kept) = conn_ids($ua, '/ext/keep.fcgi?conn', 1);
    my $res = $ua->head("$base/ext/keep.fcgi?conn&size=3000000");
    ok t_cmp($res->code, 200, 'HEAD over a kept connection: 200');
    my @after = conn_ids($ua, '/ext/keep.fcgi?conn', 2);
    ok t_cmp(scalar(grep { $_ eq $kept } @after), 0, "after a HEAD the half-read connection is gone ($kept; after: @after)");
    # (a fresh client may land on another httpd child, whose first request
    # goes without while the connection kept by this one is released)
    my @fresh = conn_ids(client(), '/ext/keep.fcgi?conn', 8, 0.02);
    ok t_cmp(settles(@fresh), 1, "... and a new one is kept (@fresh)");
}

# ---- an app that ignores FCGI_KEEP_CONN (raw.pl closes after each request)
{
    my $ua = client();
    # GETs and POSTs in turn (a POST is never sent twice, so it never takes
    # a kept connection: the app may be closing it)
    my @codes = map {
        my $r = $_ % 2 ? $ua->get("$base/ext/keep-raw.fcgi?ok")
                       : $ua->post("$base/ext/keep-raw.fcgi?ok", Content => 'p' x 5000, 'Content-Type' => 'text/plain');
        $r->code . ':' . $r->content
    } 1 .. 6;
    ok t_cmp(scalar(grep { $_ eq "200:raw ok\n" } @codes), 6, "app that closes its connections: 6 of 6 GETs and POSTs answered (@codes)");
    my $mark = log_mark();
    @codes = map { my $r = $ua->get("$base/ext/keep-raw.fcgi?ok"); $r->code } 1 .. 4;
    ok t_cmp("@codes", '200 200 200 200', '... again');
    ok t_cmp(scalar(grep { !/closes its connections after each request/ } unexpected_errors($mark)), 0,
             '... and no error logged');
    ok t_cmp(log_since(0) =~ /keep-raw\.fcgi" at \S+ closes its connections after each request \(it ignores FCGI_KEEP_CONN\)/ ? 1 : 0, 1,
             'the app that ignores FCGI_KEEP_CONN is noticed: its connections are no longer kept');
}

# ---- a one-process static app under 64 parallel clients
{
    my $t0 = time;
    # one TCP connection per request: under this load mpm_event closes idle
    # keep-alive client connections, which LWP would report as 500
    my @ok = in_children(64, sub {
        my ($i) = @_;
        my $ok = 0;
        for (1 .. 3) {
            my $r = http(path => "/static1/resp?sleep=5&write=ok$i", timeout => 30);
            $ok++ if $r->{status} == 200 && $r->{body} eq "ok$i";
        }
        return $ok;
    });
    my $total = 0;
    $total += $_ for @ok;
    my $elapsed = time - $t0;
    ok t_cmp($total, 192, '64 clients x 3 requests to a -processes 1 static app: all answered');
    # 192 requests of 5 ms each, served one at a time: about 1 s of work.
    ok t_cmp($elapsed < 15 ? 1 : 0, 1, sprintf('... within 15 s (%.1f s): kept connections never starve it', $elapsed));
}

# ---- kept connections stay kept under parallel load
# Twice as many clients as the app serves at once (-max-conns 4): a request
# that finds the kept connections busy waits for one of its httpd child's
# to come back (or, in a child that keeps none, for room), instead of
# opening a one-off connection that waits in the app's listen queue.
{
    my @ids = map { split ' ' } in_children(8, sub {
        my @ids;
        for (1 .. 20) {
            my $r = http(path => "/ext/keep4.fcgi?conn&sleep=2", timeout => 30);
            push @ids, $r->{status} == 200 && $r->{body} =~ /^conn=(\d+:\d+)$/m ? $1 : "fail:$r->{status}";
        }
        return "@ids";
    });
    ok t_cmp(scalar(grep { /^\d/ } @ids), 160, '8 clients x 20 requests to an app with -max-conns 4: all answered');
    my $conns = distinct(@ids);
    # new connections only while the kept ones settle among httpd's
    # children (and as the MPM starts and stops children): 5-30 here; before,
    # about every request that found them busy opened one (146-154)
    ok t_cmp($conns <= 80 ? 1 : 0, 1, "... over few connections: $conns for 160 requests (at most half)");
}

# ---- ... with requests that carry a body among them
# A POST goes on a fresh connection of its own (a body is never sent on one
# the app may have closed after its last answer), made in the room of a
# kept one that came back: the GETs keep theirs. (Before: a POST that found
# them all busy opened a one-off connection, and while it waited every
# child closed its kept connections: most GETs connected anew.)
{
    my @got = map { split ' ' } in_children(8, sub {
        my @ids;
        for my $i (1 .. 20) {
            my $post = $i % 4 == 0;
            my $r = http(path => "/ext/keep4.fcgi?conn&sleep=2", timeout => 30,
                         $post ? (method => 'POST', body => 'x' x 1000) : ());
            push @ids, ($post ? 'P' : 'G') . ($r->{status} == 200 && $r->{body} =~ /^conn=(\d+:\d+)$/m ? $1 : "fail:$r->{status}");
        }
        return "@ids";
    });
    my @gets = map { substr $_, 1 } grep { /^G/ } @got;
    my @posts = map { substr $_, 1 } grep { /^P/ } @got;
    ok t_cmp(scalar(grep { /^\d/ } @gets) . '/' . scalar(grep { /^\d/ } @posts), '120/40',
             '8 clients x 20 requests, one in four a POST, -max-conns 4: all answered');
    ok t_cmp(distinct(@posts), 40, '... every POST over a connection of its own');
    # Every POST makes one (which GETs then reuse); the GETs made the rest.
    my $conns = distinct(@gets, @posts) - 40;
    # (5-32 here; before, 70-81)
    ok t_cmp($conns <= 50 ? 1 : 0, 1, "... the GETs made few connections: $conns for 120 (fewer than half)");
}

# ---- what the apps say they can serve (FCGI_GET_VALUES), logged once
{
    my $log = log_since(0);
    ok t_cmp($log =~ /keep\.fcgi" at unix:\S+c\.sock: keeping up to 1 connection\(s\) open \(FCGI_GET_VALUES: no answer/ ? 1 : 0, 1,
             'libfcgi does not answer FCGI_GET_VALUES: one connection kept');
    if (have_php_cgi()) {
        ok t_cmp($log =~ /keep-php\.fcgi".*keeping up to 2 connection\(s\).*FCGI_MAX_CONNS=2/ ? 1 : 0, 1,
                 'php-cgi (PHP_FCGI_CHILDREN=2) answers FCGI_MAX_CONNS=2: two kept');
    } else {
        skip 'php-cgi not installed';
    }
    if (have_go()) {
        ok t_cmp($log =~ /keep-go\.fcgi".*keeping up to 1024 connection\(s\).*FCGI_MPXS_CONNS=1/ ? 1 : 0, 1,
                 'Go net/http/fcgi multiplexes (FCGI_MPXS_CONNS=1): no bound');
        my $ua = client();
        my @r = map { $ua->get("$base/ext/keep-go.fcgi?pid")->code } 1 .. 5;
        ok t_cmp("@r", '200 200 200 200 200', 'Go app with -keep-conn answers');
    } else {
        skip 'Go not built' for 1 .. 2;
    }
}

# ---- nothing left behind
{
    my $mark = log_mark();
    my @ids = conn_ids(client(), '/ext/keep.fcgi?conn', 8, 0.02);
    ok t_cmp(settles(@ids), 1, "still kept at the end (@ids)");
}
