# Configuration errors: `apache2 -t` on small throw-away configs that load the
# module.  Every error must fail the syntax check and name the directive, the
# option and the file:line.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::ConfigCheck;

my $dir = t_dir() . '/logs/conftest';
my $long = "$dir/" . ('s' x (200 - length($dir) - 1));   # a 200-character socket path

# [name, body lines, directive, option regex, index of the offending line in body]
my @cases = (
    ['no -host/-socket', ["FastCgiExternalServer $dir/x.fcgi"],
     'FastCgiExternalServer', qr/-host|-socket/, 0],
    ['both -host and -socket', ["FastCgiExternalServer $dir/x.fcgi -host 127.0.0.1:9000 -socket s.sock"],
     'FastCgiExternalServer', qr/-host.*-socket|-socket.*-host/s, 0],
    ['-host without port', ["FastCgiExternalServer $dir/x.fcgi -host 127.0.0.1"],
     'FastCgiExternalServer', qr/-host|port/, 0],
    ['-host port 70000', ["FastCgiExternalServer $dir/x.fcgi -host 127.0.0.1:70000"],
     'FastCgiExternalServer', qr/-host|70000/, 0],
    ['-idle-timeout abc', ["FastCgiExternalServer $dir/x.fcgi -socket s.sock -idle-timeout abc"],
     'FastCgiExternalServer', qr/-idle-timeout/, 0],
    ['-idle-timeout 0', ["FastCgiExternalServer $dir/x.fcgi -socket s.sock -idle-timeout 0"],
     'FastCgiExternalServer', qr/-idle-timeout/, 0],
    ['-appConnTimeout -1', ["FastCgiExternalServer $dir/x.fcgi -socket s.sock -appConnTimeout -1"],
     'FastCgiExternalServer', qr/-appConnTimeout/i, 0],
    ['unknown option -bogus', ["FastCgiExternalServer $dir/x.fcgi -socket s.sock -bogus"],
     'FastCgiExternalServer', qr/-bogus/, 0],
    ['-port (not for external servers)', ["FastCgiExternalServer $dir/x.fcgi -socket s.sock -port 80"],
     'FastCgiExternalServer', qr/-port/, 0],
    ['-socket path of 200 characters', ["FastCgiExternalServer $dir/x.fcgi -socket $long"],
     'FastCgiExternalServer', qr/-socket/, 0],
    ['-pass-header without a value', ["FastCgiExternalServer $dir/x.fcgi -socket s.sock -pass-header"],
     'FastCgiExternalServer', qr/-pass-header/, 0],
    ['FastCgiIpcDir inside <VirtualHost>',
     ['<VirtualHost 127.0.0.1:' . port('conftest') . '>', "    FastCgiIpcDir $dir/ipc2", '</VirtualHost>'],
     'FastCgiIpcDir', qr/VirtualHost/, 1],
    ['FastCgiIpcDir after a relative -socket definition',
     ["FastCgiExternalServer $dir/x.fcgi -socket rel.sock", "FastCgiIpcDir $dir/ipc3"],
     'FastCgiIpcDir', qr/FastCgiExternalServer|preced|before|after/i, 1],
    ['two definitions of the same filename',
     ["FastCgiExternalServer $dir/x.fcgi -socket a.sock", "FastCgiExternalServer $dir/x.fcgi -socket b.sock"],
     'FastCgiExternalServer', qr/\Q$dir\E\/x\.fcgi/, 1],
    # balancer members (several -host/-socket)
    ['-weight before any address', ["FastCgiExternalServer $dir/x.fcgi -weight 2 -host 127.0.0.1:9000 -host 127.0.0.1:9001"],
     'FastCgiExternalServer', qr/-weight.*must follow/, 0],
    ['-balance random', ["FastCgiExternalServer $dir/x.fcgi -host 127.0.0.1:9000 -host 127.0.0.1:9001 -balance random"],
     'FastCgiExternalServer', qr/-balance.*round-robin or least-busy/, 0],
    ['-health-check with one address', ["FastCgiExternalServer $dir/x.fcgi -socket s.sock -health-check connect"],
     'FastCgiExternalServer', qr/-health-check.*more than one/, 0],
    ['-health-fall 0', ["FastCgiExternalServer $dir/x.fcgi -socket a.sock -socket b.sock -health-fall 0"],
     'FastCgiExternalServer', qr/-health-fall/, 0],
    ['a member given twice', ["FastCgiExternalServer $dir/x.fcgi -host 127.0.0.1:9000 -host 127.0.0.1:9000"],
     'FastCgiExternalServer', qr/-host.*given twice/, 0],
    ['a member host that does not resolve',
     ["FastCgiExternalServer $dir/x.fcgi -host 127.0.0.1:9000 -host no-such-host.invalid:9000"],
     'FastCgiExternalServer', qr/-host.*no-such-host\.invalid/, 0],
    # the original's old names are the same directives, and say their own name
    ['ExternalAppClass (old name) without -host/-socket', ["ExternalAppClass $dir/x.fcgi"],
     'ExternalAppClass', qr/-host|-socket/, 0],
    ['AppClass (old name) with -port 70000', ["AppClass $dir/x.fcgi -port 70000"],
     'AppClass', qr/-port/, 0],
    ['FCGIConfig (old name) with -gainValue 2', ['FCGIConfig -gainValue 2'],
     'FCGIConfig', qr/-gainValue/, 0],
    ['FastCgiStderrLevel with an unknown level', ['FastCgiStderrLevel "PHP Warning:" warning'],
     'FastCgiStderrLevel', qr/"PHP Warning:": unknown level "warning"/, 0],
    ['FastCgiStderrLevel with an invalid regex', ['<Location /x>', '    FastCgiStderrLevel ~ "^PHP (" warn', '</Location>'],
     'FastCgiStderrLevel', qr/invalid regular expression/, 1],
    ['FastCgiStderrLevel with three arguments not starting ~', ['FastCgiStderrLevel a b warn'],
     'FastCgiStderrLevel', qr/~ regex level/, 0],
    ['FastCgiStderrLimit not a number', ['FastCgiStderrLimit lots'],
     'FastCgiStderrLimit', qr/"lots": not a number of bytes/, 0],
    ['FastCgiStderrLimit negative', ['FastCgiStderrLimit -5'],
     'FastCgiStderrLimit', qr/"-5": not a number of bytes/, 0],
);

plan tests => 3 * @cases + 4, need_module 'fastcgi';

my $c = FastCGITest::ConfigCheck->new($dir, port('conftest'));
$c->check_errors(@cases);

# a good config with every option passes
{
    my ($file) = $c->write_conf(
        "FastCgiExternalServer $dir/a.fcgi -socket a.sock -flush -idle-timeout 5 -appConnTimeout 3"
            . ' -pass-header Authorization -pass-header X-Other',
        "FastCgiExternalServer $dir/b.fcgi -socket $dir/abs.sock -nph",
        "FastCgiExternalServer $dir/c.fcgi -host 127.0.0.1:9000",
        "FastCgiExternalServer $dir/d.fcgi -host [::1]:9000 -idle-timeout 1 -appConnTimeout 0",
        "FastCgiExternalServer $dir/e.fcgi -host 127.0.0.1:9000 -host [::1]:9001 -weight 3 -socket m.sock"
            . ' -balance least-busy -health-check get-values -health-interval 2 -health-timeout 200'
            . ' -health-fall 2 -health-rise 1 -keep-conn',
        'FastCgiStderrLevel "PHP Warning:" warn',
        'FastCgiStderrLevel ~ "^PHP (Notice|Deprecated):" NOTICE',
        'FastCgiStderrLimit 1M',
        '<Location /quiet>',
        '    FastCgiStderrLimit unlimited',
        '    FastCgiStderrLevel "x" debug',
        '</Location>',
        '<VirtualHost 127.0.0.1:' . port('conftest') . '>',
        "    FastCgiExternalServer $dir/vhost.fcgi -socket v.sock",
        '</VirtualHost>',
    );
    my ($rc, $out) = $c->run_t($file);
    ok t_cmp($rc, 0, "a good config passes apache2 -t (output: $out)");
    ok t_cmp($out, qr/Syntax OK/, 'Syntax OK');
}

# the old names define what the new ones do
{
    my ($file) = $c->write_conf(
        "ExternalAppClass $dir/old.fcgi -socket old.sock -flush",
        'FCGIConfig -maxClassProcesses 3 -singleThreshhold 10',
        'FastCgiSuexec Off',
    );
    my ($rc, $out) = $c->run_t($file);
    ok t_cmp($rc, 0, "ExternalAppClass, FCGIConfig and FastCgiSuexec pass apache2 -t (output: $out)");
    ok t_cmp($out, qr/Syntax OK/, 'Syntax OK with the old names');
}
