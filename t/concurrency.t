# Many clients at once (threads of mpm_event share the module): every answer
# must be exact.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Digest::MD5 qw(md5_hex);
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use Time::HiRes qw(time);
use POSIX ();

plan tests => 6, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
start_apps(qw(c c_tcp raw));
start_apps('go') if have_go();

my $clients = 24;
my $size = 1048576;
my $want_size = pattern_md5($size);

sub one_client {
    my ($id) = @_;
    my @fail;
    my $done = 0;
    for my $round (1 .. 3) {
        my $r = http(path => "/ext/c.fcgi?size=$size", sink => 1, timeout => 60);
        push @fail, "size: $r->{status} $r->{body_len}" unless $r->{status} == 200 && $r->{body_md5} eq $want_size;
        my $body = "client $id round $round " . ('z' x (100000 + $id));
        $r = http(method => 'POST', path => '/ext/c-tcp.fcgi?echo', body => $body, timeout => 60);
        push @fail, "echo: $r->{status}" unless $r->{status} == 200 && $r->{body} eq $body;
        $r = http(path => "/ext/c.fcgi/c$id/r$round?env", timeout => 60);
        my $e = parse_env($r->{body});
        push @fail, "env: $r->{status} " . ($e->{PATH_INFO} // 'none')
            unless ($e->{PATH_INFO} // '') eq "/c$id/r$round";
        $r = http(path => '/ext/raw.fcgi?padded', timeout => 60);
        push @fail, "raw: $r->{status}" unless $r->{body} eq "padded ok\n";
        if (have_go()) {
            $r = http(method => 'POST', path => '/ext/go.fcgi?echo', body => $body, timeout => 60);
            push @fail, "go: $r->{status}" unless ($r->{body} // '') eq $body;
            $done++;
        }
        $done += 4;
    }
    return (@fail, "DONE $done");
}

my $t0 = time;
my %kids;
for my $id (1 .. $clients) {
    pipe my $rd, my $wr or die "pipe: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        close $rd;
        my @f = eval { one_client($id) };
        push @f, "died: $@" if $@;
        print $wr join("\n", @f), "\n";
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    $kids{$pid} = $rd;
}
my @fail;
my $total = 0;
for my $pid (keys %kids) {
    my $fh = $kids{$pid};
    local $/;
    my $out = <$fh>;
    waitpid $pid, 0;
    for (grep { length } split /\n/, $out // '') {
        if (/^DONE (\d+)$/) { $total += $1 } else { push @fail, $_ }
    }
}
my $expect = $clients * 3 * (have_go() ? 5 : 4);
my $secs = time - $t0;
ok t_cmp(scalar(@fail), 0, "$clients concurrent clients x 3 rounds: every answer exact (@fail)");
ok t_cmp($total, $expect, "all $expect requests were made and checked");
ok t_cmp($secs < 60 ? 1 : 0, 1, sprintf('done in %.1f s', $secs));

leak_check('concurrency', 30, sub { http(path => '/ext/c.fcgi?write=x') });
my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
