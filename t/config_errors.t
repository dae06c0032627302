# Configuration errors: `apache2 -t` on small throw-away configs that load the
# module.  Every error must fail the syntax check and name the directive, the
# option and the file:line.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path remove_tree);
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;

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
);

plan tests => 3 * @cases + 2, need_module 'fastcgi';

my $module  = Apache::Test::config()->{modules}{'mod_fastcgi.c'};
my $httpd   = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $libexec = `apxs -q LIBEXECDIR 2>/dev/null` || '/usr/lib/apache2/modules';
chomp $libexec;
remove_tree($dir);
make_path($dir);

my $n = 0;
sub write_conf {
    my (@body) = @_;
    my $file = sprintf '%s/c%02d.conf', $dir, ++$n;
    my @head = (
        qq{ServerRoot "$dir"},
        "LoadModule mpm_event_module $libexec/mod_mpm_event.so",
        "LoadModule authz_core_module $libexec/mod_authz_core.so",
        "LoadModule fastcgi_module $module",
        'ServerName localhost',
        'Listen 127.0.0.1:' . port('conftest'),
        "PidFile $dir/httpd.pid",
        "ErrorLog $dir/error_log",
        "DefaultRuntimeDir $dir",
        "FastCgiIpcDir $dir/ipc",
    );
    # the IPC-dir ordering case must not have the default FastCgiIpcDir first
    @head = grep { !/^FastCgiIpcDir/ } @head if grep { /^FastCgiIpcDir/ } @body;
    open my $fh, '>', $file or die "$file: $!";
    print $fh "$_\n" for @head, @body;
    close $fh;
    return ($file, scalar(@head));
}

sub run_t {
    my ($file) = @_;
    my $out = `$httpd -t -d $dir -f $file 2>&1`;
    return ($? >> 8, $out);
}

for my $c (@cases) {
    my ($name, $body, $directive, $opt, $idx) = @$c;
    my ($file, $nhead) = write_conf(@$body);
    my $line = $nhead + $idx + 1;
    my ($rc, $out) = run_t($file);
    (my $o1 = $out) =~ s/\s+$//;
    ok t_cmp($rc != 0 ? 1 : 0, 1, "$name: apache2 -t fails (exit $rc; output: $o1)");
    ok t_cmp(($out =~ /\Q$directive\E/ && $out =~ $opt) ? 1 : 0, 1,
             "$name: message names $directive and the option ($opt)");
    ok t_cmp(($out =~ /line $line of \Q$file\E/ || $out =~ /\Q$file\E:$line\b/) ? 1 : 0, 1,
             "$name: message gives $file:$line");
}

# a good config with every option passes
{
    my ($file) = write_conf(
        "FastCgiExternalServer $dir/a.fcgi -socket a.sock -flush -idle-timeout 5 -appConnTimeout 3"
            . ' -pass-header Authorization -pass-header X-Other',
        "FastCgiExternalServer $dir/b.fcgi -socket $dir/abs.sock -nph",
        "FastCgiExternalServer $dir/c.fcgi -host 127.0.0.1:9000",
        "FastCgiExternalServer $dir/d.fcgi -host [::1]:9000 -idle-timeout 1 -appConnTimeout 0",
        '<VirtualHost 127.0.0.1:' . port('conftest') . '>',
        "    FastCgiExternalServer $dir/vhost.fcgi -socket v.sock",
        '</VirtualHost>',
    );
    my ($rc, $out) = run_t($file);
    ok t_cmp($rc, 0, "a good config passes apache2 -t (output: $out)");
    ok t_cmp($out, qr/Syntax OK/, 'Syntax OK');
}
