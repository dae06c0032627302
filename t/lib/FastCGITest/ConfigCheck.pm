package FastCGITest::ConfigCheck;
# `apache2 -t` on small throw-away configs that load the module, for
# t/config_errors.t and t/pm_config_errors.t:
#
#   my $c = FastCGITest::ConfigCheck->new($dir, $port);  # empties $dir
#   my ($file, $nhead) = $c->write_conf(@lines);          # $dir/cNN.conf: head + @lines
#   my ($rc, $out) = $c->run_t($file);                    # exit status, output
#   $c->check_errors(@cases);                             # 3 tests per case
use strict;
use warnings;

use Apache::Test ();
use Apache::TestUtil ();
use File::Path qw(make_path remove_tree);

use FastCGITest ();

# $dir: ServerRoot and the place of the configs; $port: their Listen port.
sub new {
    my ($class, $dir, $port) = @_;
    my $self = bless {
        dir => $dir, port => $port, n => 0,
        module => FastCGITest::module_so(), httpd => FastCGITest::httpd_bin(),
        libexec => FastCGITest::libexec(),
    }, $class;
    remove_tree($dir);
    make_path($dir);
    return $self;
}

# Writes the next $dir/cNN.conf: the minimal head, then @body.  Returns the
# file and the number of head lines.
sub write_conf {
    my ($self, @body) = @_;
    my ($dir, $libexec) = @$self{qw(dir libexec)};
    my $file = sprintf '%s/c%02d.conf', $dir, ++$self->{n};
    my @head = (
        qq{ServerRoot "$dir"},
        "LoadModule mpm_event_module $libexec/mod_mpm_event.so",
        "LoadModule authz_core_module $libexec/mod_authz_core.so",
        "LoadModule fastcgi_module $self->{module}",
        'ServerName localhost',
        "Listen 127.0.0.1:$self->{port}",
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

# apache2 -t on $file: (exit status, output).
sub run_t {
    my ($self, $file) = @_;
    my $out = `$self->{httpd} -t -d $self->{dir} -f $file 2>&1`;
    return ($? >> 8, $out);
}

# Each case [name, body lines, directive, option regex, index of the offending
# line in body] must fail apache2 -t with a message that names the directive,
# the option and file:line.  3 tests per case.
sub check_errors {
    my ($self, @cases) = @_;
    for my $c (@cases) {
        my ($name, $body, $directive, $opt, $idx) = @$c;
        my ($file, $nhead) = $self->write_conf(@$body);
        my $line = $nhead + $idx + 1;
        my ($rc, $out) = $self->run_t($file);
        (my $o1 = $out) =~ s/\s+$//;
        Apache::Test::ok(Apache::TestUtil::t_cmp($rc != 0 ? 1 : 0, 1,
            "$name: apache2 -t fails (exit $rc; output: $o1)"));
        Apache::Test::ok(Apache::TestUtil::t_cmp(($out =~ /\Q$directive\E/ && $out =~ $opt) ? 1 : 0, 1,
            "$name: message names $directive and the option ($opt)"));
        Apache::Test::ok(Apache::TestUtil::t_cmp(
            ($out =~ /line $line of \Q$file\E/ || $out =~ /\Q$file\E:$line\b/) ? 1 : 0, 1,
            "$name: message gives $file:$line"));
    }
}

1;
