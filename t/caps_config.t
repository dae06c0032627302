# Configuration errors of -max-in-flight, -queue-depth and -queue-timeout
# (docs/overload.md): apache2 -t fails with a message naming the directive,
# the option and file:line (t/lib/FastCGITest/ConfigCheck.pm); a config with
# every option passes.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::ConfigCheck;

my $dir = t_dir() . '/logs/caps_config';

my @cases = (
    ['-max-in-flight without a value', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -max-in-flight"],
     'FastCgiExternalServer', qr/missing value for -max-in-flight/, 0],
    ['-max-in-flight -1', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -max-in-flight -1"],
     'FastCgiExternalServer', qr/option -max-in-flight: "-1" must be a non-negative integer/, 0],
    ['-max-in-flight 65536', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -max-in-flight 65536"],
     'FastCgiExternalServer', qr/option -max-in-flight: "65536" must be between 0 and 65535/, 0],
    ['-queue-depth without -max-in-flight', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -queue-depth 4"],
     'FastCgiExternalServer', qr/-queue-depth needs -max-in-flight N \(N > 0\)/, 0],
    ['-queue-timeout with -max-in-flight 0', ["FastCgiServer /bin/true -max-in-flight 0 -queue-timeout 4"],
     'FastCgiServer', qr/-queue-timeout needs -max-in-flight/, 0],
    ['-queue-timeout 3601', ["FastCgiServer /bin/true -max-in-flight 2 -queue-timeout 3601"],
     'FastCgiServer', qr/option -queue-timeout: "3601" must be between 0 and 3600/, 0],
    ['FastCgiConfig -queue-depth x', ['FastCgiConfig -queue-depth x'],
     'FastCgiConfig', qr/option -queue-depth: "x" must be a non-negative integer/, 0],
);

plan tests => 3 * @cases + 2, need_module 'fastcgi';

my $c = FastCGITest::ConfigCheck->new($dir, port('conftest'));
$c->check_errors(@cases);

{
    my ($file) = $c->write_conf(
        "FastCgiExternalServer $dir/a.fcgi -socket a.sock -max-in-flight 8 -queue-depth 0 -queue-timeout 0",
        "FastCgiExternalServer $dir/b.fcgi -socket b.sock -MAX-IN-FLIGHT 0",
        'FastCgiServer /bin/true -processes 2 -max-in-flight 2 -queue-depth 16 -queue-timeout 5',
        'FastCgiConfig -max-in-flight 0 -queue-depth 3 -queue-timeout 3600',
    );
    my ($rc, $out) = $c->run_t($file);
    ok t_cmp($rc, 0, "a good config with every option passes apache2 -t (output: $out)");
    ok t_cmp($out, qr/Syntax OK/, 'Syntax OK');
}
