# Process manager, static applications on other FastCGI libraries: php-cgi
# (alone, and as its own master with PHP_FCGI_CHILDREN=2 workers), Perl FCGI
# (t/apps/echo.pl on fd 0) and Ruby fcgi (t/apps/ruby.rb).  Each is started
# by the PM from a "#!" script, gets the listening socket on fd 0 and only
# its -initial-env; every process of every app is gone after stop.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Digest::MD5 qw(md5_hex);
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use Time::HiRes qw(time sleep);

my $php = have_php_cgi();
my $have_ruby = system(q{ruby -e 'require "fcgi"' >/dev/null 2>&1}) == 0
    && grep { -x "$_/ruby" } split /:/, $ENV{PATH};

plan tests => 37, need_module 'fastcgi';

my $h = FastCGITest::PM->new('languages');
my $t = t_dir();
my $htdocs = $h->htdocs;

sub script {
    my ($interp, $src) = @_;
    open my $fh, '<', $src or die "$src: $!";
    local $/;
    my $body = <$fh>;
    $body =~ s/\A#![^\n]*\n//;
    return "#!$interp\n$body";
}

my @conf;
my ($php0, $php2);
if ($php) {
    $php0 = $h->put('php0/env.php', script($php, "$t/apps/env.php"), 0755);
    $php2 = $h->put('php2/env.php', script($php, "$t/apps/env.php"), 0755);
    push @conf,
        "FastCgiServer $php0 -initial-env PHP_FCGI_CHILDREN=0",
        "FastCgiServer $php2 -initial-env PHP_FCGI_CHILDREN=2 -initial-env PHP_FCGI_MAX_REQUESTS=0";
}
my $perl = $h->put('perl/echo.pl', script($^X, "$t/apps/echo.pl"), 0755);
$h->install("$t/apps/FCGIApp.pm", 'perl/FCGIApp.pm', 0644);   # echo.pl's shared code, beside it
push @conf, "FastCgiServer $perl -initial-env PERL_TEST=1";
my $ruby;
if ($have_ruby) {
    my ($rb) = grep { -x } map { "$_/ruby" } split /:/, $ENV{PATH};
    $ruby = $h->put('ruby/app.rb', script($rb, "$t/apps/ruby.rb"), 0755);
    push @conf, "FastCgiServer $ruby -initial-env RUBY_TEST=1";
}
$h->write_conf(@conf);

my $started = $h->start;
ok t_cmp($started, 1, 'httpd with php-cgi, Perl and Ruby static apps starts' . ($started ? '' : ": $h->{error}"));
my $pm = $h->pm_pid // 0;
my %seen_pids;   # every process of every app, checked after stop

sub group_of {
    my ($pid) = @_;
    return unless $pid;
    my @g = $h->group_members($pid);
    $seen_pids{$_} = 1 for @g;
    return @g;
}

# ------------------------------------------------------------------ PHP
if ($php) {
    my $i0 = $h->wait_instances($php0, 1, 5);
    my ($p0) = keys %$i0;
    my $info = $i0->{ $p0 // 0 } || { cmdline => [], environ => {} };
    ok t_cmp(join(' ', @{ $info->{cmdline} }), "$php $php0", 'php-cgi runs from the #! line with the script as argument');
    ok t_cmp(join(' ', map { "$_=$info->{environ}{$_}" } sort keys %{ $info->{environ} }), 'PHP_FCGI_CHILDREN=0',
             'php-cgi environment is exactly its -initial-env');
    my @g0 = group_of($p0 // 0);
    ok t_cmp(scalar(@g0), 1, "PHP_FCGI_CHILDREN=0: one process (@g0)");

    my $r = $h->http(path => '/php0/env.php?x=1');
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'php-cgi (PHP_FCGI_CHILDREN=0) answers');
    ok t_cmp($e->{SCRIPT_FILENAME} // '', $php0, 'php-cgi: SCRIPT_FILENAME');
    ok t_cmp($e->{QUERY_STRING} // '', 'x=1', 'php-cgi: QUERY_STRING');
    $r = $h->http(method => 'POST', path => '/php0/env.php', body => 'hello php',
                  headers => ['Content-Type' => 'application/octet-stream']);
    ok t_cmp(hdr($r, 'X-Body-MD5') // 'none', md5_hex('hello php'), 'php-cgi: POST body arrives');

    my $i2 = $h->wait_instances($php2, 1, 5);
    my ($p2) = keys %$i2;
    # the master forks its two workers at once; give them a moment
    my @g2;
    for (1 .. 40) { @g2 = group_of($p2 // 0); last if @g2 >= 3; sleep 0.1 }
    ok t_cmp(scalar(@g2), 3, "PHP_FCGI_CHILDREN=2: php-cgi master + 2 workers in the instance's group (@g2)");
    my %t = FastCGITest::PM::proc_table();
    my @workers = grep { $_ != ($p2 // 0) } @g2;
    ok t_cmp(scalar(grep { ($t{$_}{ppid} // 0) == ($p2 // -1) } @workers), 2, 'the workers are children of the master');
    ok t_cmp((($t{ $p2 // 0 } || {})->{ppid} // 0), $pm, 'the master is a child of the PM');

    my @res = $h->parallel([map { { path => "/php2/env.php?n=$_" } } 1 .. 4]);
    ok t_cmp(join(' ', map { $_->{status} } @res), '200 200 200 200', 'php-cgi (PHP_FCGI_CHILDREN=2): 4 parallel requests');
    ok t_cmp(scalar(grep { (parse_env($_->{body})->{SCRIPT_FILENAME} // '') eq $php2 } @res), 4,
             'php-cgi (children): SCRIPT_FILENAME');
    my @g2b = group_of($p2 // 0);
    ok t_cmp(scalar(@g2b), 3, 'still master + 2 workers after the requests');
} else {
    skip 'php-cgi not installed' for 1 .. 13;
}

# ----------------------------------------------------------------- Perl
{
    my $ip = $h->wait_instances($perl, 1, 5);
    my ($pp) = keys %$ip;
    my $info = $ip->{ $pp // 0 } || { cmdline => [], environ => {} };
    ok t_cmp(join(' ', @{ $info->{cmdline} }), "$^X $perl", 'Perl app runs from its #! line');
    ok t_cmp(join(' ', map { "$_=$info->{environ}{$_}" } sort keys %{ $info->{environ} }), 'PERL_TEST=1',
             'Perl app environment is exactly its -initial-env');
    ok t_cmp($info->{cwd} // '', "$htdocs/perl", 'Perl app runs in its directory');
    my @g = group_of($pp // 0);
    ok t_cmp(scalar(@g), 1, 'Perl app without arguments serves fd 0 in one process');

    my $r = $h->http(path => '/perl/echo.pl/pi?env&a=b');
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'Perl FCGI static app answers');
    ok t_cmp($e->{SCRIPT_FILENAME} // '', $perl, 'Perl: SCRIPT_FILENAME');
    ok t_cmp($e->{PATH_INFO} // '', '/pi', 'Perl: PATH_INFO');
    my $body = join '', map { chr(($_ * 7) % 256) } 1 .. 100000;
    $r = $h->http(method => 'POST', path => '/perl/echo.pl?echo', body => $body);
    ok t_cmp(($r->{status} == 200 && md5_hex($r->{body}) eq md5_hex($body)) ? 1 : 0, 1,
             'Perl: 100000-byte body echoed intact');
    $r = $h->http(path => '/perl/echo.pl?pid');
    ok t_cmp($r->{body}, "pid=" . ($pp // 0) . "\n", 'Perl: served by the instance the PM started');
}

# ----------------------------------------------------------------- Ruby
if ($have_ruby) {
    my $ir = $h->wait_instances($ruby, 1, 5);
    my ($rp) = keys %$ir;
    my $info = $ir->{ $rp // 0 } || { cmdline => [], environ => {} };
    ok t_cmp(($info->{cmdline}[1] // '') eq $ruby && ($info->{cmdline}[0] // '') =~ /ruby/ ? 1 : 0, 1,
             'Ruby app runs from its #! line: ' . join(' ', @{ $info->{cmdline} }));
    ok t_cmp(join(' ', map { "$_=$info->{environ}{$_}" } sort keys %{ $info->{environ} }), 'RUBY_TEST=1',
             'Ruby app environment is exactly its -initial-env');
    group_of($rp // 0);
    my $r = $h->http(path => '/ruby/app.rb/rp?env&q=1', timeout => 20);
    my $e = parse_env($r->{body});
    ok t_cmp($r->{status}, 200, 'Ruby fcgi static app answers');
    ok t_cmp($e->{SCRIPT_FILENAME} // '', $ruby, 'Ruby: SCRIPT_FILENAME');
    ok t_cmp($e->{PATH_INFO} // '', '/rp', 'Ruby: PATH_INFO');
    my $body = 'ruby body ' x 5000;
    $r = $h->http(method => 'POST', path => '/ruby/app.rb?echo', body => $body, timeout => 20);
    ok t_cmp(($r->{status} == 200 && $r->{body} eq $body) ? 1 : 0, 1, 'Ruby: body echoed intact');
    $r = $h->http(path => '/ruby/app.rb?pid');
    ok t_cmp($r->{body}, "pid=" . ($rp // 0) . "\n", 'Ruby: served by the instance the PM started');
} else {
    skip 'ruby or its fcgi library not installed' for 1 .. 7;
}

# ---------------------------------------------------------------- leaks
$h->leak_check('languages', 30, sub {
    my $i = shift;
    my @p = ('/perl/echo.pl?env');
    push @p, '/php0/env.php', '/php2/env.php' if $php;
    push @p, '/ruby/app.rb?env' if $have_ruby;
    $h->http(path => $p[$i % @p], timeout => 20);
});

{
    my @bad = $h->unexpected_errors(0);
    ok t_cmp(scalar(@bad), 0, "no error lines:\n" . join("\n", @bad));
    ok t_cmp(scalar($h->log_times(0, qr/terminated|restarted/)), 0, 'no app exited or was restarted while serving');
}

# ----------------------------------------------------------------- stop
{
    $seen_pids{$_} = 1 for keys %{ $h->instances };
    $seen_pids{$pm} = 1 if $pm;
    my $took = $h->stop;
    ok t_cmp(defined $took ? 1 : 0, 1, sprintf('apache2 -k stop finishes (%.2f s)', $took // -1));
    sleep 0.3;
    my @left = grep { FastCGITest::PM::exists_pid($_) } sort keys %seen_pids;
    ok t_cmp(scalar(@left), 0, 'after stop no process of any app is left (php-cgi workers included): '
             . join(' ', map { "$_ " . join(' ', FastCGITest::PM::cmdline($_)) } @left));
    my $in_dir = $h->procs_in_dir;
    ok t_cmp(scalar(keys %$in_dir), 0, 'nothing runs in the instance directory: ' . join('; ', values %$in_dir));
}
