# FCGI_STDERR goes to the error_log, one line per line, naming the app.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

plan tests => 26, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
my $app    = docroot() . '/ext/c.fcgi';
start_apps('c', 'raw');

my $m1 = log_mark();
my $r = http(path => '/ext/c.fcgi?stderr=' . url_encode("line one\nline two\n") . '&write=body-ok');
ok t_cmp("$r->{status} $r->{body}", '200 body-ok', 'response unaffected by stderr output');
my $log = wait_log($m1, qr/stderr: line two/);
my @lines = grep { /stderr: line (one|two)/ } split /\n/, $log;
ok t_cmp(scalar(@lines), 2, 'two error_log lines for two stderr lines');
ok t_cmp($lines[0] // '', qr/FastCGI: server "\Q$app\E" stderr: line one$/, 'first line, naming the app');
ok t_cmp($lines[1] // '', qr/FastCGI: server "\Q$app\E" stderr: line two$/, 'second line, naming the app');

# stderr interleaved with stdout, over several records
my $m2 = log_mark();
$r = http(path => '/ext/c.fcgi?write=a&flush&stderr=' . url_encode("mid-1\n") . '&write=b&flush&stderr='
          . url_encode("mid-2\n") . '&write=c');
ok t_cmp($r->{body}, 'abc', 'stdout intact when stderr is interleaved');
$log = wait_log($m2, qr/stderr: mid-2/);
ok t_cmp(scalar(grep { /stderr: mid-[12]$/ } split /\n/, $log), 2, 'interleaved stderr lines logged');

# a final line without newline is not lost (and not garbled)
my $m3 = log_mark();
$r = http(path => '/ext/c.fcgi?stderr=tail-no-newline&write=ok');
$log = wait_log($m3, qr/tail-no-newline/);
ok t_cmp(scalar(grep { /stderr: tail-no-newline$/ } split /\n/, $log), 1,
         'an unterminated last stderr line is logged once, intact');

# a line written in several records is one log line; httpd's prefix names
# the client, ours the app
my $m4 = log_mark();
$r = http(path => '/ext/c.fcgi?stderr=split-&stderr=across-&stderr=' . url_encode("records\n") . '&write=ok');
$log = wait_log($m4, qr/stderr: split-/);
@lines = grep { /stderr: split-/ } split /\n/, $log;
ok t_cmp(scalar(@lines) . ' ' . ($lines[0] // ''), qr/^1 .*stderr: split-across-records$/,
         'a line written in three FCGI_STDERR records is logged as one line');
ok t_cmp($lines[0] // '', qr/\[fastcgi:error\] \[pid \d+:tid \d+\] \[client 127\.0\.0\.1:\d+\] FastCGI: server "\Q$app\E" stderr: /,
         'the line names the client (httpd\'s prefix) and the app, at level error by default');

# FastCgiStderrLevel: the inner section's rules first, then the outer ones
my $lv = docroot() . '/ext/stderr-levels.fcgi';
my $m5 = log_mark();
my $text = "PHP Warning:  Undefined variable \$x in /a.php on line 2\nPHP Notice:  n1\nPHP Deprecated:  d1\n"
         . "a Debug line\nplain line\nend-of-levels\n";
$r = http(path => '/ext/stderr-levels.fcgi?stderr=' . url_encode($text) . '&write=levels');
ok t_cmp("$r->{status} $r->{body}", '200 levels', 'FastCgiStderrLevel: the response is not affected');
$log = wait_log($m5, qr/stderr: end-of-levels/);
my %lvl = map { /\[fastcgi:(\w+)\].*"\Q$lv\E" stderr: (.*)$/ ? ($2 => $1) : () } split /\n/, $log;
ok t_cmp($lvl{'PHP Warning:  Undefined variable $x in /a.php on line 2'} // 'none', 'warn', '"PHP Warning:" prefix -> warn');
ok t_cmp($lvl{'PHP Notice:  n1'} // 'none', 'notice', 'regex ^PHP (Notice|Deprecated): -> notice (before the outer "PHP Notice:" info)');
ok t_cmp($lvl{'PHP Deprecated:  d1'} // 'none', 'notice', 'regex -> notice for PHP Deprecated: too');
ok t_cmp(exists $lvl{'a Debug line'} ? 'logged' : 'not logged', 'not logged', 'regex (?i)\bdebug\b -> debug: not logged at LogLevel info');
ok t_cmp($lvl{'plain line'} // 'none', 'error', 'a line no rule matches -> error');

my $ou = docroot() . '/ext/stderr-outer.fcgi';
my $m6 = log_mark();
$r = http(path => '/ext/stderr-outer.fcgi?stderr=' . url_encode("PHP Notice:  n2\nPHP Warning:  w2\n") . '&write=ok');
$log = wait_log($m6, qr/stderr: PHP Warning:  w2/);
%lvl = map { /\[fastcgi:(\w+)\].*"\Q$ou\E" stderr: (.*)$/ ? ($2 => $1) : () } split /\n/, $log;
ok t_cmp($lvl{'PHP Notice:  n2'} // 'none', 'info', 'the server-wide rule applies outside the <Location>: "PHP Notice:" -> info');
ok t_cmp($lvl{'PHP Warning:  w2'} // 'none', 'error', 'the <Location>\'s rules do not apply outside it');

# FastCgiStderrLimit 1K: ten lines of 100 bytes fit, the other 20 are
# counted in one line at the end
my $m7 = log_mark();
my $cap = join '', map { sprintf("cap %02d ", $_) . ('y' x 93) . "\n" } 1 .. 30;
$r = http(path => '/ext/stderr-levels.fcgi?stderr=' . url_encode($cap) . '&write=capped');
ok t_cmp("$r->{status} $r->{body}", '200 capped', 'FastCgiStderrLimit: the response is not affected');
$log = wait_log($m7, qr/stderr limit of/);
my @cap = map { /stderr: cap (\d\d) y+$/ ? $1 : () } split /\n/, $log;
ok t_cmp("@cap", join(' ', map { sprintf '%02d', $_ } 1 .. 10), 'FastCgiStderrLimit 1K: the first 10 lines of 100 bytes are logged, then none');
my ($sup) = grep { /stderr limit of/ } split /\n/, $log;
ok t_cmp($sup // '', qr/\[fastcgi:warn\].*FastCGI: server "\Q$lv\E": stderr limit of 1024 bytes reached, 2000 more bytes in 20 lines not logged \(FastCgiStderrLimit\)$/,
         'one warning names the app, the limit and how much was not logged');

# the default limit, 64 KiB: 128 KiB of 99-byte lines (raw.pl) -> 661 logged
my $m8 = log_mark();
$r = http(path => '/ext/raw-flush.fcgi?stderrflood=128', timeout => 30);
ok t_cmp("$r->{status} $r->{body}", "200 after flood\n", '128 KiB of stderr: the response is not affected');
$log = wait_log($m8, qr/stderr limit of/, 10);
my $n = () = $log =~ /raw-flush\.fcgi" stderr: flood \d{7} x+$/mg;
ok t_cmp($n, 661, 'default FastCgiStderrLimit (64 KiB): 661 lines of 99 bytes logged');
ok t_cmp(($log =~ /raw-flush\.fcgi": stderr limit of 65536 bytes reached, 64350 more bytes in 650 lines not logged/) ? 1 : 0, 1,
         'the 650 others are counted in one line');

# a limit per request: the next request logs again
my $m9 = log_mark();
$r = http(path => '/ext/stderr-levels.fcgi?stderr=' . url_encode("after-cap\n") . '&write=ok');
$log = wait_log($m9, qr/stderr: after-cap/);
ok t_cmp(($log =~ /stderr: after-cap$/m) ? 1 : 0, 1, 'the limit is per request: the next request\'s stderr is logged');

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/stderr: (line one|line two|mid-1|mid-2|tail-no-newline|split-across-records|plain line|PHP Warning:  w2|cap \d\d y+|flood \d+ x+|end-of-levels|after-cap)$/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
