# Configuration errors of the X-Sendfile / X-Accel-Redirect options and of
# FastCgiInternalOnly: apache2 -t fails with a message naming the directive,
# the option and file:line (t/lib/FastCGITest/ConfigCheck.pm).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::ConfigCheck;

my $dir = t_dir() . '/logs/sendfile_config';
my $file_not_dir = t_dir() . '/sendfile/root/small.txt';
my $root = t_dir() . '/sendfile/root';

my @cases = (
    ['-x-sendfile without a root', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -x-sendfile"],
     'FastCgiExternalServer', qr/-x-sendfile needs at least one -sendfile-root/, 0],
    ['a root that does not exist', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -x-sendfile -sendfile-root /nonexistent/files"],
     'FastCgiExternalServer', qr{option -sendfile-root: "/nonexistent/files": No such file or directory}, 0],
    ['a root that is a file', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -x-sendfile -sendfile-root-follow $file_not_dir"],
     'FastCgiExternalServer', qr/option -sendfile-root-follow: ".*small\.txt" is not a directory/, 0],
    ['a relative root', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -x-sendfile -sendfile-root files"],
     'FastCgiExternalServer', qr/"files" must be an absolute directory/, 0],
    ['a root with ..', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -x-sendfile -sendfile-root $root/../outside"],
     'FastCgiExternalServer', qr/must not contain "\.\."/, 0],
    ['-sendfile-root without a value', ["FastCgiExternalServer $dir/a.fcgi -socket a.sock -sendfile-root"],
     'FastCgiExternalServer', qr/missing value for -sendfile-root/, 0],
    ['FastCgiServer -x-sendfile without a root', ['FastCgiServer /bin/true -x-sendfile'],
     'FastCgiServer', qr/-x-sendfile needs/, 0],
    ['FastCgiConfig -x-sendfile without a root', ['FastCgiConfig -x-accel-redirect -x-sendfile'],
     'FastCgiConfig', qr/-x-sendfile needs/, 0],
    ['FastCgiConfig with a missing root', ['FastCgiConfig -x-sendfile -sendfile-root /nonexistent/x'],
     'FastCgiConfig', qr/-sendfile-root: "\/nonexistent\/x"/, 0],
    ['FastCgiSendfileRoot that does not exist', ['<Location /x>', '    FastCgiSendfileRoot /nonexistent/y', '</Location>'],
     'FastCgiSendfileRoot', qr{FastCgiSendfileRoot: "/nonexistent/y": No such file or directory}, 1],
    ['FastCgiSendfileRoot relative', ['FastCgiSendfileRoot files'],
     'FastCgiSendfileRoot', qr/"files" must be an absolute directory/, 0],
    ['FastCgiSendfileRoot with ..', ["FastCgiSendfileRoot $root/../outside"],
     'FastCgiSendfileRoot', qr/must not contain "\.\."/, 0],
    ['FastCgiSendfileRoot that is a file', ["FastCgiSendfileRoot $file_not_dir"],
     'FastCgiSendfileRoot', qr/".*small\.txt" is not a directory/, 0],
    ['FastCgiSendfileRoot with an unknown option', ["FastCgiSendfileRoot $root Follow"],
     'FastCgiSendfileRoot', qr/unknown option: "Follow" \(FollowSymlinks\?\)/, 0],
    ['FastCgiXSendfile with a bad value', ['<Directory /srv>', '    FastCgiXSendfile Yes', '</Directory>'],
     'FastCgiXSendfile', qr/On or Off/, 1],
    ['FastCgiInternalOnly with a bad value', ['<Location /x>', '    FastCgiInternalOnly Maybe', '</Location>'],
     'FastCgiInternalOnly', qr/On or Off/, 1],
    ['FastCgiInternalOnly outside a section', ['FastCgiInternalOnly On'],
     'FastCgiInternalOnly', qr/not allowed here/, 0],
);

plan tests => 3 * @cases + 2, need_module 'fastcgi';

my $c = FastCGITest::ConfigCheck->new($dir, port('conftest'));
$c->check_errors(@cases);

{
    my ($file) = $c->write_conf(
        "FastCgiExternalServer $dir/a.fcgi -socket a.sock -x-sendfile -sendfile-root $root -sendfile-root-follow /tmp -x-accel-redirect",
        'FastCgiConfig -x-sendfile -sendfile-root /tmp',
        'FastCgiConfig -x-accel-redirect',
        '<Location /internal>',
        '    FastCgiInternalOnly On',
        '</Location>',
        '<Directory /srv>',
        '    FastCgiInternalOnly Off',
        '    FastCgiXSendfile On',
        "    FastCgiSendfileRoot $root",
        '    FastCgiSendfileRoot /tmp FollowSymlinks',
        '</Directory>',
        '<Location /no-handoff>',
        '    FastCgiXSendfile Off',
        '    FastCgiXAccelRedirect Off',
        '</Location>',
    );
    my ($rc, $out) = $c->run_t($file);
    ok t_cmp($rc, 0, "a good config with every option passes apache2 -t (output: $out)");
    ok t_cmp($out, qr/Syntax OK/, 'Syntax OK');
}
