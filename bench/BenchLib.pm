# BenchLib.pm - helpers of bench/run: expected bodies, a tiny HTTP client,
# wrk output parsing, and RSS of a server's process tree from /proc.
package BenchLib;
use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;

our @EXPORT_OK = qw(cpu_ticks app_pids median pattern fnv1a http_request parse_wrk proc_tree sum_rss_kb);

sub median {                  # median of the defined values, undef if none
    my @v = sort { $a <=> $b } grep { defined && /^-?[\d.]+(?:e[-+]?\d+)?$/i } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# the ?size=N body of bench/hello.c and mod_bench_hello.c: 63 letters + "\n"
my $UNIT = join '', map { $_ == 63 ? "\n" : chr(ord('a') + $_ % 26) } 0 .. 63;
sub pattern { my $n = shift; substr($UNIT x (int($n / 64) + 1), 0, $n) }

sub fnv1a {                   # 32-bit FNV-1a, as bench/hello.c answers a POST
    my $h = 2166136261;
    for my $b (unpack 'C*', $_[0]) { $h = (($h ^ $b) * 16777619) & 0xffffffff }
    return $h;
}

# http_request(port, method, path, body): (status, {lc header => value}, body)
# HTTP/1.0 with Connection: close, so the body ends with the connection.
sub http_request {
    my ($port, $method, $path, $body, $extra_headers) = @_;    # extra_headers: "Name: value\r\n" lines
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 10)
        or return;
    my $req = "$method $path HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n" . ($extra_headers // '');
    $req .= "Content-Type: application/octet-stream\r\nContent-Length: " . length($body) . "\r\n" if defined $body;
    print {$s} $req, "\r\n", $body // '';
    my $all = '';
    local $SIG{ALRM} = sub { die "timeout\n" };
    my $ok = eval {
        alarm 30;
        1 while sysread($s, $all, 1 << 20, length $all);
        alarm 0;
        1;
    };
    alarm 0;
    return unless $ok;
    my ($head, $rest) = split /\r\n\r\n/, $all, 2;
    return unless defined $rest;
    my ($status) = $head =~ m{^HTTP/\d\.\d (\d{3})};
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } split /\r\n/, $head;
    return ($status // 0, \%h, $rest);
}

# parse_wrk(text): {rps, mbs (MiB/s), p50, p99 (ms), errs (non-2xx + socket errors)}
sub parse_wrk {
    my $t = shift;
    my %mul = (B => 1 / 1048576, KB => 1 / 1024, MB => 1, GB => 1024);
    my %ms = (us => 0.001, ms => 1, s => 1000, m => 60000, h => 3600000);
    my %m = (errs => 0);
    $m{rps} = $1 + 0 if $t =~ /^Requests\/sec:\s+([\d.]+)/m;
    $m{mbs} = $1 * $mul{$2} if $t =~ /^Transfer\/sec:\s+([\d.]+)(\w+)/m && $mul{$2};
    $m{p50} = $1 * $ms{$2} if $t =~ /^\s+50%\s+([\d.]+)(us|ms|s|m|h)\b/m;
    $m{p99} = $1 * $ms{$2} if $t =~ /^\s+99%\s+([\d.]+)(us|ms|s|m|h)\b/m;
    $m{errs} += $1 if $t =~ /Non-2xx or 3xx responses:\s+(\d+)/;
    $m{errs} += $1 + $2 + $3 + $4 if $t =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
    $m{fail} = 'no Requests/sec in wrk output' unless defined $m{rps};
    if ($t =~ /^\s*0 requests in /m) {          # nothing answered: wrk's latencies are zeros
        ($m{p50}, $m{p99}) = (undef, undef);
        $m{note} = 'a measurement got no response at all';
    }
    return \%m;
}

# proc_tree(pid, exe): pid and its descendants whose executable is exe
# (httpd's children and process managers, but not the apps they start)
sub proc_tree {
    my ($root, $exe) = @_;
    return () unless $root;
    my %kids;
    for my $d (glob '/proc/[0-9]*') {
        open my $f, '<', "$d/stat" or next;
        my $st = <$f> // next;
        my ($pid, $ppid) = $st =~ /^(\d+) \(.*\) \S+ (\d+)/s or next;
        push @{ $kids{$ppid} }, $pid;
    }
    my @out;
    my @todo = ($root);
    while (defined(my $p = shift @todo)) {
        push @out, $p if (readlink("/proc/$p/exe") // '') eq $exe;
        push @todo, @{ $kids{$p} // [] };
    }
    return @out;
}

# cpu_ticks(pids): summed utime + stime (clock ticks) of the live pids
sub cpu_ticks {
    my $sum = 0;
    for my $p (@_) {
        open my $f, '<', "/proc/$p/stat" or next;
        my $st = <$f> // next;
        my @f = split ' ', ($st =~ /\)\s(.*)$/s)[0] // '';
        $sum += ($f[11] // 0) + ($f[12] // 0);    # fields 14 and 15 of stat, after "pid (comm)"
    }
    return $sum;
}

# app_pids(dir): the processes whose executable is a hello app under dir
# (bench/bin/hello and the copies the process managers start)
sub app_pids {
    my ($dir) = @_;
    my @pids;
    for my $d (glob '/proc/[0-9]*') {
        my $exe = readlink("$d/exe") // next;
        push @pids, $d =~ m{(\d+)$} if $exe =~ m{^\Q$dir\E/.*/hello(?:\.fcgi)?$};
    }
    return @pids;
}

sub sum_rss_kb {              # sum_rss_kb(page_kb, pids): summed resident set in KiB
    my ($page_kb, @pids) = @_;
    my $sum = 0;
    for my $p (@pids) {
        open my $f, '<', "/proc/$p/statm" or next;
        my (undef, $res) = split ' ', <$f> // '';
        $sum += ($res // 0) * $page_kb;
    }
    return $sum;
}

1;
