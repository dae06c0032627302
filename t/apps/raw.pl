#!/usr/bin/perl
# raw.pl -- a FastCGI peer written against the wire format, without any FastCGI
# library, for record-level misbehaviour that real libraries cannot produce.
#
# Usage: raw.pl [--keep] ADDRESS   ADDRESS = /unix/socket/path | host:port | [v6addr]:port
#
# --keep: answer FCGI_GET_VALUES (MAX_CONNS/MAX_REQS 8, MPXS_CONNS 0) and,
# after a request whose BEGIN_REQUEST has FCGI_KEEP_CONN, read the next
# request on the same connection (without --keep raw.pl closes after each).
#
# One forked child per connection.  The child reads BEGIN_REQUEST, PARAMS
# (pairs accumulated across records until the empty PARAMS record; 1- and
# 4-byte lengths) and STDIN (until the empty STDIN record), then answers
# according to the first '&'-separated word of QUERY_STRING:
#
#   ok            valid response "raw ok\n"
#   env           valid response, body = params as NAME=VALUE\n (sorted)
#   records       valid response, body = one line per record received:
#                 "type=T id=I clen=C plen=P" (+ " role=R flags=F" for BEGIN)
#   badversion    a STDOUT record with version 2
#   wrongid       a complete response, every record with requestId 7
#   afterend      valid response, END_REQUEST, then a STDOUT record "SMUGGLED"
#   endstatus=N   END_REQUEST with protocolStatus N before any stdout
#   closeearly    close without sending any record
#   closemidbody  headers + part of the body, then close (no END_REQUEST)
#   overrun       a STDOUT record claiming 1000 bytes, 26 sent, then close
#   padded        valid response, every record padded with 1..7 garbage bytes
#   split         valid response written one byte per write, 1 ms apart
#   unknowntype   a record of type 42, then a valid response
#   earlyanswer   valid response right after PARAMS, then close without
#                 reading STDIN
#   overrunbody   headers + body, then a STDOUT record claiming 1000 bytes,
#                 9 sent, then close
#   shortend      END_REQUEST whose content is 4 bytes instead of 8
#   answerfirst   valid response "answered first\n" right after PARAMS, then
#                 reads whatever still comes until the web server closes and
#                 logs "raw.pl: answerfirst: N bytes after the answer" to stderr
#   conn          valid response "conn=<pid>:<n>\n": pid of the connection's
#                 process, n = requests read on this connection so far
#   wrongidend    headers, body and the empty STDOUT for the request, 300 ms
#                 later END_REQUEST with requestId 7
#   afterendlate=MS  valid response, then MS ms later a STDOUT record
#                 "SMUGGLED" (with --keep: on a connection that is kept)
#   closemidhead  "Content-Type: text/pl" (no end of line), then close
#   stall         sends nothing, reads until the web server closes
#   stallmidrecord  a STDOUT record header claiming 100 bytes, 10 sent, then
#                 as stall
#   stderrflood=K K KiB of 100-byte stderr lines "flood <i> xxx..." in 32 KiB
#                 records, then a valid response "after flood\n"
#   stderrlong=K  one stderr line of K KiB 'L' (then a newline), then a valid
#                 response
#   stderrctl     stderr "a\0b\x1b[31mFAKE [error] line\rc\n", then valid
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Socket::IP;
use Socket qw(SOCK_STREAM SOMAXCONN);
use POSIX ();

$| = 1;
my $keep = 0;
if (@ARGV && $ARGV[0] eq '--keep') { $keep = 1; shift }
my $addr = shift or die "usage: $0 [--keep] ADDRESS\n";
$SIG{PIPE} = 'IGNORE';
my %kids;
$SIG{CHLD} = sub { while ((my $p = waitpid(-1, POSIX::WNOHANG())) > 0) { delete $kids{$p} } };
# on TERM: stop the connection children and reap them (no zombies for init)
$SIG{TERM} = $SIG{INT} = sub {
    $SIG{CHLD} = 'DEFAULT';
    kill 'TERM', keys %kids;
    waitpid($_, 0) for keys %kids;
    POSIX::_exit(0);
};

my $listen;
if ($addr =~ m{^/} || $addr =~ m{^\.}) {
    unlink $addr;
    my $old = umask 0;
    $listen = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $addr, Listen => SOMAXCONN)
        or die "raw.pl: cannot listen on $addr: $!\n";
    umask $old;
} else {
    my ($h, $p) = $addr =~ /^\[?([^\]]*?)\]?:(\d+)$/ or die "raw.pl: bad address $addr\n";
    $listen = IO::Socket::IP->new(LocalHost => $h, LocalPort => $p, Listen => SOMAXCONN,
                                  ReuseAddr => 1, Type => SOCK_STREAM)
        or die "raw.pl: cannot listen on $addr: $@\n";
}

while (1) {
    my $c = $listen->accept or next;
    my $pid = fork;
    if (!defined $pid) { close $c; next }
    if ($pid == 0) {
        $SIG{TERM} = $SIG{INT} = 'DEFAULT';
        $SIG{CHLD} = 'DEFAULT';
        close $listen;
        eval { serve($c) };
        print STDERR "raw.pl: $@" if $@;
        POSIX::_exit(0);
    }
    $kids{$pid} = 1;
    close $c;
}

sub readn {
    my ($c, $n) = @_;
    my $buf = '';
    while (length($buf) < $n) {
        my $r = sysread($c, $buf, $n - length($buf), length($buf));
        die "short read ($!)\n" unless $r;
    }
    return $buf;
}

sub record {
    my ($type, $id, $content, $pad, $version) = @_;
    $content = '' unless defined $content;
    $pad ||= 0;
    $version = 1 unless defined $version;
    return pack('CCnnCC', $version, $type, $id, length($content), $pad, 0)
        . $content . ('P' x $pad);
}

sub end_request {
    my ($id, $app, $proto, $pad) = @_;
    return record(3, $id, pack('NCCCC', $app, $proto, 0, 0, 0), $pad);
}

sub out {
    my ($c, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $w = syswrite($c, $data, length($data) - $off, $off);
        return unless $w;
        $off += $w;
    }
}

# one connection: requests until the web server closes (or, without
# --keep or FCGI_KEEP_CONN, after the first)
my $served = 0;
sub serve {
    my $c = shift;
    for (my $n = 0; ; $n++) {
        my $again = eval { serve_one($c) };
        return if !defined $again && $n > 0;   # the web server closed a kept connection
        die $@ if $@;
        return unless $again;
    }
}

sub serve_one {
    my $c = shift;
    my (%env, @records, $params, $id, $stdin_len, $flags);
    $params = '';
    $stdin_len = 0;
    $id = 1;
    my ($params_done, $stdin_done) = (0, 0);
    my $early;
    while (!$stdin_done) {
        if ($params_done && !defined $early) {
            $early = (decode_params($params)->{QUERY_STRING} // '') =~ /^(?:earlyanswer|answerfirst)/ ? 1 : 0;
            last if $early;
        }
        my $h = readn($c, 8);
        my ($ver, $type, $rid, $clen, $plen) = unpack 'CCnnC', $h;
        my $content = $clen ? readn($c, $clen) : '';
        readn($c, $plen) if $plen;
        my $line = "type=$type id=$rid clen=$clen plen=$plen";
        if ($type == 1) {
            my $role;
            ($role, $flags) = unpack 'nC', $content;
            $line .= " role=$role flags=$flags";
            $id = $rid;
        }
        if ($type == 9 && $keep) {   # FCGI_GET_VALUES: answer and go on
            my $pairs = join '', map { chr(length $_->[0]) . chr(length $_->[1]) . $_->[0] . $_->[1] }
                ['FCGI_MAX_CONNS', '8'], ['FCGI_MAX_REQS', '8'], ['FCGI_MPXS_CONNS', '0'];
            out($c, record(10, 0, $pairs));
            next;
        }
        push @records, $line;
        if ($type == 4) {
            if ($clen) { $params .= $content } else { $params_done = 1 }
        } elsif ($type == 5) {
            if ($clen) { $stdin_len += $clen } else { $stdin_done = 1 }
        }
    }
    %env = %{ decode_params($params) };
    $served++;

    my $qs = defined $env{QUERY_STRING} ? $env{QUERY_STRING} : '';
    my ($mode) = split /&/, $qs;
    $mode = 'ok' unless defined $mode && length $mode;
    my $arg;
    ($mode, $arg) = split /=/, $mode, 2;
    answer($c, $mode, $arg, $id, \%env, \@records, $stdin_len);
    if ($mode eq 'earlyanswer') {
        close $c;   # never read STDIN
        return;
    }
    if ($mode eq 'stall' || $mode eq 'stallmidrecord') {
        my $junk;
        1 while sysread($c, $junk, 65536);
        print STDERR "raw.pl: $mode: the web server closed the connection\n";
        close $c;
        return;
    }
    return 1 if $keep && ($flags // 0) & 1;
    if ($mode eq 'answerfirst') {
        my ($n, $buf) = (0, '');
        while (my $r = sysread($c, $buf, 65536)) { $n += $r }
        print STDERR "raw.pl: answerfirst: $n bytes after the answer\n";
        close $c;
        return;
    }
    shutdown $c, 1;
    # drain until the peer closes so that it reads everything we sent
    my $junk;
    1 while sysread($c, $junk, 65536);
    close $c;
}

sub decode_params {
    my ($params) = @_;
    my %env;
    my $p = 0;
    while ($p < length $params) {
        my @len;
        for (1, 2) {
            my $b = ord substr($params, $p, 1);
            if ($b & 0x80) {
                push @len, unpack('N', substr($params, $p, 4)) & 0x7fffffff;
                $p += 4;
            } else {
                push @len, $b;
                $p += 1;
            }
        }
        my $name = substr($params, $p, $len[0]);
        $p += $len[0];
        $env{$name} = substr($params, $p, $len[1]);
        $p += $len[1];
    }
    return \%env;
}

sub answer {
    my ($c, $mode, $arg, $id, $envp, $recp, $stdin_len) = @_;
    my %env = %$envp;
    my @records = @$recp;

    my $head = "Content-Type: text/plain\r\n\r\n";
    my $ok = sub {
        my ($body) = @_;
        return record(6, $id, $head . $body) . record(6, $id, '') . end_request($id, 0, 0);
    };

    if ($mode eq 'ok') {
        out($c, $ok->("raw ok\n"));
    } elsif ($mode eq 'env') {
        my $body = join '', map { "$_=$env{$_}\n" } sort keys %env;
        my $data = record(6, $id, $head);
        for (my $o = 0; $o < length $body; $o += 65535) {
            $data .= record(6, $id, substr($body, $o, 65535));
        }
        out($c, $data . record(6, $id, '') . end_request($id, 0, 0));
    } elsif ($mode eq 'records') {
        push @records, "stdin_bytes=$stdin_len";
        out($c, $ok->(join('', map { "$_\n" } @records)));
    } elsif ($mode eq 'badversion') {
        out($c, record(6, $id, $head . "bad version\n", 0, 2));
        sleep 1;
    } elsif ($mode eq 'wrongid') {
        out($c, record(6, 7, $head . "wrong id\n") . record(6, 7, '') . end_request(7, 0, 0));
        sleep 1;
    } elsif ($mode eq 'afterend') {
        out($c, $ok->("before end\n") . record(6, $id, "SMUGGLED\n"));
        sleep 1;
    } elsif ($mode eq 'endstatus') {
        out($c, end_request($id, 0, $arg || 0));
        sleep 1;
    } elsif ($mode eq 'closeearly') {
        # nothing at all
    } elsif ($mode eq 'closemidbody') {
        out($c, record(6, $id, $head . "partial body"));
        select undef, undef, undef, 0.3;
    } elsif ($mode eq 'overrun') {
        my $content = "Content-Type: text/plain\r\n";
        out($c, pack('CCnnCC', 1, 6, $id, 1000, 0, 0) . $content);
        select undef, undef, undef, 0.3;
    } elsif ($mode eq 'padded') {
        my $pad = 1;
        my $data = '';
        for my $part ($head, "padded ", "ok\n", '') {
            $data .= record(6, $id, $part, $pad);
            $pad = $pad % 7 + 1;
        }
        out($c, $data . end_request($id, 0, 0, 3));
    } elsif ($mode eq 'split') {
        my $data = record(6, $id, $head) . record(6, $id, "split ") . record(6, $id, "ok\n")
            . record(6, $id, '') . end_request($id, 0, 0);
        for my $byte (split //, $data) {
            out($c, $byte);
            select undef, undef, undef, 0.001;
        }
    } elsif ($mode eq 'unknowntype') {
        out($c, record(42, $id, "whatever") . $ok->("after unknown type\n"));
        sleep 1;
    } elsif ($mode eq 'earlyanswer') {
        out($c, $ok->("early answer\n"));
    } elsif ($mode eq 'answerfirst') {
        out($c, $ok->("answered first\n"));
    } elsif ($mode eq 'overrunbody') {
        # complete headers and some body, then a record that claims more than is sent
        out($c, record(6, $id, $head . "first part ") . pack('CCnnCC', 1, 6, $id, 1000, 0, 0) . 'truncated');
        select undef, undef, undef, 0.3;
    } elsif ($mode eq 'conn') {
        out($c, $ok->("conn=$$:$served\n"));
    } elsif ($mode eq 'wrongidend') {
        out($c, record(6, $id, $head . "end for another id\n") . record(6, $id, ''));
        select undef, undef, undef, 0.3;   # so that -flush sends the headers first
        out($c, end_request(7, 0, 0));
        sleep 1 unless $keep;
    } elsif ($mode eq 'afterendlate') {
        out($c, $ok->("before end\n"));
        select undef, undef, undef, ($arg || 100) / 1000;
        out($c, record(6, $id, "SMUGGLED\n"));
    } elsif ($mode eq 'closemidhead') {
        out($c, record(6, $id, "Content-Type: text/pl"));
        select undef, undef, undef, 0.3;
    } elsif ($mode eq 'stall') {
        # nothing: serve_one waits for the close
    } elsif ($mode eq 'stallmidrecord') {
        out($c, pack('CCnnCC', 1, 6, $id, 100, 0, 0) . 'Content-Ty');
    } elsif ($mode eq 'stderrflood') {
        my $kib = $arg || 1024;
        my ($i, $chunk) = (0, '');
        my $total = 0;
        while ($total < $kib * 1024) {
            my $l = sprintf("flood %07d ", $i++);
            $l .= 'x' x (99 - length $l) . "\n";
            $chunk .= $l;
            $total += 100;
            if (length $chunk >= 32768) { out($c, record(7, $id, $chunk)); $chunk = '' }
        }
        out($c, record(7, $id, $chunk)) if length $chunk;
        out($c, record(7, $id, '') . $ok->("after flood\n"));
    } elsif ($mode eq 'stderrlong') {
        my $left = ($arg || 64) * 1024;
        while ($left > 0) {
            my $n = $left > 65535 ? 65535 : $left;
            out($c, record(7, $id, 'L' x $n));
            $left -= $n;
        }
        out($c, record(7, $id, "\n") . $ok->("after long line\n"));
    } elsif ($mode eq 'stderrctl') {
        out($c, record(7, $id, "a\0b\x1b[31mFAKE [error] line\rc\n") . $ok->("after ctl\n"));
    } elsif ($mode eq 'shortend') {
        out($c, record(3, $id, pack('N', 0)));   # END_REQUEST with 4 bytes instead of 8
        sleep 1;
    } else {
        out($c, $ok->("unknown mode $mode\n"));
    }
}
