# FCGI_STDERR goes to the error_log, one line per line, naming the app.
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
my $app    = docroot() . '/ext/c.fcgi';
start_apps('c');

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

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/stderr: (line one|line two|mid-1|mid-2|tail-no-newline)$/);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
