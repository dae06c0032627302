# Configuration errors of the process-manager directives (FastCgiServer,
# FastCgiConfig, FastCgiWrapper, FastCgiGracefulTimeout): `apache2 -t` on
# small throw-away configs, as t/config_errors.t does.  Every error must
# fail the syntax check and name the directive, the option (or the file)
# and the file:line; so must what start would refuse (FastCgiIpcDir that
# User/Group cannot use, ...); the good configurations (both spellings of
# the threshold options, every option) must pass.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;
use FastCGITest::ConfigCheck;

my $dir = t_dir() . '/logs/pm_conftest';
my $app = "$dir/app.fcgi";            # an executable copy of the responder
my $plain = "$dir/plain.fcgi";        # not executable
my $port = FastCGITest::PM::port_of('conftest');
my $long = "$dir/" . ('s' x (120 - length($dir)));
my $root_ipc = "$dir/ipc_root";       # owned by root, mode 0700: User cannot use it
my $root_app = "$dir/root_only.fcgi"; # root's, mode 0700: executable, but not by User
my $long_ipc = "$dir/" . ('i' x (100 - length($dir)));   # + "/" + 32 hex > 107
my @user = ('User ' . FastCGITest::PM::run_user(), 'Group ' . FastCGITest::PM::run_group());

# [name, body lines, directive, option regex, index of the offending line in body]
my @cases = (
    ['FastCgiServer on a missing file', ["FastCgiServer $dir/missing.fcgi"],
     'FastCgiServer', qr/\Q$dir\E\/missing\.fcgi.*No such file or directory/, 0],
    ['FastCgiServer on a file that is not executable', ["FastCgiServer $plain"],
     'FastCgiServer', qr/\Q$plain\E.*execut/, 0],
    ['FastCgiServer without a filename', ['FastCgiServer'],
     'FastCgiServer', qr/filename|argument/i, 0],
    ['-processes 0', ["FastCgiServer $app -processes 0"],
     'FastCgiServer', qr/-processes/, 0],
    ['-processes abc', ["FastCgiServer $app -processes abc"],
     'FastCgiServer', qr/-processes.*abc|abc.*-processes/, 0],
    ['-port 70000', ["FastCgiServer $app -port 70000"],
     'FastCgiServer', qr/-port.*70000|70000.*-port/, 0],
    ['-port 9000 -socket x', ["FastCgiServer $app -port 9000 -socket x"],
     'FastCgiServer', qr/-port.*-socket|-socket.*-port/, 0],
    ['unknown option -bogus', ["FastCgiServer $app -bogus"],
     'FastCgiServer', qr/-bogus/, 0],
    ['-initial-env without a value', ["FastCgiServer $app -initial-env"],
     'FastCgiServer', qr/-initial-env/, 0],
    ['-initial-env =x (empty name)', ["FastCgiServer $app -initial-env =x"],
     'FastCgiServer', qr/-initial-env/, 0],
    ['-restart-delay -1', ["FastCgiServer $app -restart-delay -1"],
     'FastCgiServer', qr/-restart-delay/, 0],
    ['-socket path too long', ["FastCgiServer $app -socket $long"],
     'FastCgiServer', qr/-socket/, 0],
    ['two FastCgiServer for the same file', ["FastCgiServer $app", "FastCgiServer $app -processes 2"],
     'FastCgiServer', qr/\Q$app\E.*redefinition|redefinition.*\Q$app\E/, 1],
    ['FastCgiServer inside <Directory>', ["<Directory $dir>", "    FastCgiServer $app", '</Directory>'],
     'FastCgiServer', qr/not allowed|cannot occur/, 1],
    ['FastCgiConfig -gainValue 2', ['FastCgiConfig -gainValue 2'],
     'FastCgiConfig', qr/-gainValue/, 0],
    ['FastCgiConfig -processSlack 60 -maxProcesses 50', ['FastCgiConfig -processSlack 60 -maxProcesses 50'],
     'FastCgiConfig', qr/processSlack.*maxProcesses/, 0],
    ['FastCgiConfig -bogus', ['FastCgiConfig -bogus'],
     'FastCgiConfig', qr/-bogus/, 0],
    ['FastCgiConfig -startDelay 0', ['FastCgiConfig -startDelay 0'],
     'FastCgiConfig', qr/-startDelay/, 0],
    ['FastCgiConfig -maxClassProcesses without a value', ['FastCgiConfig -maxClassProcesses'],
     'FastCgiConfig', qr/-maxClassProcesses/, 0],
    ['FastCgiConfig inside <VirtualHost>',
     ["<VirtualHost 127.0.0.1:$port>", '    FastCgiConfig -maxProcesses 10', '</VirtualHost>'],
     'FastCgiConfig', qr/VirtualHost/, 1],
    ['FastCgiWrapper twice', ['FastCgiWrapper /bin/true', 'FastCgiWrapper /bin/true'],
     'FastCgiWrapper', qr/already/, 1],
    ['FastCgiWrapper /nonexistent', ['FastCgiWrapper /nonexistent'],
     'FastCgiWrapper', qr/\/nonexistent/, 0],
    ['FastCgiWrapper after FastCgiServer', ["FastCgiServer $app", 'FastCgiWrapper /bin/true'],
     'FastCgiWrapper', qr/precede|before|after/i, 1],
    ['FastCgiGracefulTimeout -1', ['FastCgiGracefulTimeout -1'],
     'FastCgiGracefulTimeout', qr/"-1" must be a number of seconds from 0 to 86400/, 0],
    ['FastCgiGracefulTimeout abc', ['FastCgiGracefulTimeout abc'],
     'FastCgiGracefulTimeout', qr/"abc" must be a number of seconds/, 0],
    ['FastCgiGracefulTimeout twice', ['FastCgiGracefulTimeout 10', 'FastCgiGracefulTimeout 20'],
     'FastCgiGracefulTimeout', qr/already set to 10/, 1],
    ['FastCgiGracefulTimeout inside <VirtualHost>',
     ["<VirtualHost 127.0.0.1:$port>", '    FastCgiGracefulTimeout 10', '</VirtualHost>'],
     'FastCgiGracefulTimeout', qr/VirtualHost/, 1],
    # what start would refuse fails apache2 -t too (the check_config hook)
    ['FastCgiIpcDir owned by another user, mode 0700', [@user, "FastCgiIpcDir $root_ipc"],
     'FastCgiIpcDir', qr/\Q$root_ipc\E.*access for server \(uid \d+, gid \d+\) not allowed/, 2],
    ['FastCgiIpcDir/dynamic owned by another user, mode 0700', [@user, "FastCgiIpcDir $dir/ipc_dyn"],
     'FastCgiIpcDir', qr/\Q$dir\E\/ipc_dyn\/dynamic.*not allowed/, 2],
    ['FastCgiServer on a file User cannot execute', [@user, "FastCgiServer $root_app"],
     'FastCgiServer', qr/\Q$root_app\E.*execute not allowed/, 2],
    ['FastCgiServer whose socket name in FastCgiIpcDir is too long', ["FastCgiIpcDir $long_ipc", "FastCgiServer $app"],
     'FastCgiServer', qr/\Q$app\E.*too long/, 1],
    ['two FastCgiServer on one -socket', ["FastCgiServer $app -socket same.sock", "FastCgiServer $dir/app2.fcgi -socket same.sock"],
     'FastCgiServer', qr/app2\.fcgi.*conflicts with \Q$app\E.*same\.sock/, 1],
    ['two FastCgiServer on one -port', ["FastCgiServer $app -port 9000", "FastCgiServer $dir/app2.fcgi -port 9000"],
     'FastCgiServer', qr/app2\.fcgi.*conflicts with \Q$app\E.*-port 9000/, 1],
);

my @good = (
    ['-singleThreshhold / -multiThreshhold (the original spelling)',
     ['FastCgiConfig -singleThreshhold 10 -multiThreshhold 20']],
    ['-singleThreshold / -multiThreshold', ['FastCgiConfig -singleThreshold 10 -multiThreshold 20']],
    ['every FastCgiServer and FastCgiConfig option',
     ["FastCgiServer $app -processes 3 -port 9000 -initial-env A=1 -initial-env HOME -initial-env EMPTY="
          . ' -init-start-delay 0 -restart-delay 3 -min-server-life 10 -listen-queue-depth 50 -priority 5'
          . ' -appConnTimeout 2 -idle-timeout 20 -flush -nph -pass-header Authorization',
      "FastCgiServer $dir/app2.fcgi -socket s.sock",
      'FastCgiConfig -autoUpdate -flush -restart -gainValue 0.25 -initial-env D=1 -init-start-delay 2'
          . ' -killInterval 60 -updateInterval 30 -maxClassProcesses 4 -maxProcesses 20 -minProcesses 1'
          . ' -multiThreshold 40 -singleThreshold 5 -processSlack 3 -startDelay 2 -appConnTimeout 5'
          . ' -idle-timeout 40 -listen-queue-depth 20 -min-server-life 5 -restart-delay 2 -pass-header X-A']],
    ['FastCgiWrapper before FastCgiServer -user/-group',
     ['FastCgiWrapper /bin/true', "FastCgiServer $app -user daemon -group daemon"]],
    ['FastCgiIpcDir that User/Group own', [@user, "FastCgiIpcDir $dir/ipc_dyn_ok"]],
    ['FastCgiGracefulTimeout 0', ['FastCgiGracefulTimeout 0']],
    ['FastCgiGracefulTimeout 86400', ['FastCgiGracefulTimeout 86400']],
    ['two FastCgiServer on different sockets and ports',
     ["FastCgiServer $app -socket a.sock", "FastCgiServer $dir/app2.fcgi -port 9001"]],
    ['FastCgiExternalServer on the socket of a FastCgiServer',
     ["FastCgiServer $app -socket a.sock", "FastCgiExternalServer $dir/ext.fcgi -socket a.sock"]],
);

plan tests => 3 * @cases + 2 * @good, need_module 'fastcgi';

my $c = FastCGITest::ConfigCheck->new($dir, $port);
system('cp', app_bin() . '/responder', $app) == 0 or die "cp: $?";
system('cp', app_bin() . '/responder', "$dir/app2.fcgi") == 0 or die "cp: $?";
system('cp', app_bin() . '/responder', $plain) == 0 or die "cp: $?";
chmod 0755, $app, "$dir/app2.fcgi";
chmod 0644, $plain;
system('cp', app_bin() . '/responder', $root_app) == 0 or die "cp: $?";
chown 0, 0, $root_app;
chmod 0700, $root_app;
mkdir $_ for $root_ipc, "$dir/ipc_dyn", "$dir/ipc_dyn/dynamic";
chown 0, 0, $root_ipc, "$dir/ipc_dyn/dynamic";
chmod 0700, $root_ipc, "$dir/ipc_dyn/dynamic";
chown scalar(FastCGITest::PM::run_uid()), scalar(FastCGITest::PM::run_gid()), "$dir/ipc_dyn";
chmod 0700, "$dir/ipc_dyn";
mkdir "$dir/ipc_dyn_ok";
chown scalar(FastCGITest::PM::run_uid()), scalar(FastCGITest::PM::run_gid()), "$dir/ipc_dyn_ok";
chmod 0700, "$dir/ipc_dyn_ok";

$c->check_errors(@cases);

for my $g (@good) {
    my ($name, $body) = @$g;
    my ($file) = $c->write_conf(@$body);
    my ($rc, $out) = $c->run_t($file);
    (my $o1 = $out) =~ s/\s+$//;
    ok t_cmp($rc, 0, "$name: apache2 -t passes (output: $o1)");
    ok t_cmp($out, qr/Syntax OK/, "$name: Syntax OK");
}
