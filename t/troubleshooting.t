# docs/troubleshooting.md: each common misconfiguration is caused here and
# the exact log line that page shows for it (app, address, errno, likely
# fix) is looked for. Entries 4, 7, 8 and 10 are checked in errors.t,
# pm_dynamic.t and pm_static.t.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path remove_tree);
use FindBin;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::PM;

plan tests => 12, need_module 'fastcgi';

my $docroot = docroot();
my $ipc     = ipc_dir();
start_apps(qw(c));

# The line after $m that holds $text verbatim ('' if none within 3 s).
sub line_with {
    my ($m, $text) = @_;
    return log_line($m, qr/\Q$text\E/);
}
sub has { my ($line, $text) = @_; return index($line, $text) >= 0 ? $text : "(no line with it) $line" }

# ---- 1. the socket file does not exist
{
    unlink "$ipc/nosuch.sock";
    my $m = log_mark();
    my $r = http(path => '/ext/nosock.fcgi');
    my $want = qq{FastCGI: failed to connect to server "$docroot/ext/nosock.fcgi" at unix:$ipc/nosuch.sock: connect() failed; likely fix: start the application on that socket, or correct -socket (a relative path is inside FastCgiIpcDir)};
    my $l = line_with($m, $want);
    ok t_cmp("$r->{status} " . has($l, "(2)No such file or directory: "), "503 (2)No such file or directory: ",
             '1. socket missing: 503, errno ENOENT');
    ok t_cmp(has($l, $want), $want, '1. socket missing: the documented line');
}

# ---- 2. the socket exists but httpd's User may not connect to it
{
    my $path = "$ipc/nosuch.sock";
    unlink $path;
    my $old = umask 077;   # root's socket, mode 0600: nobody gets EACCES
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 1) or die "$path: $!";
    umask $old;
    my $m = log_mark();
    my $r = http(path => '/ext/nosock.fcgi');
    my $want = qq{FastCGI: failed to connect to server "$docroot/ext/nosock.fcgi" at unix:$path: connect() failed; likely fix: give httpd's User write permission on the socket and search permission on its directories (PHP-FPM: listen.owner/listen.group/listen.mode)};
    my $l = line_with($m, $want);
    ok t_cmp("$r->{status} " . has($l, "(13)Permission denied: "), "503 (13)Permission denied: ",
             '2. socket not permitted: 503, errno EACCES');
    ok t_cmp(has($l, $want), $want, '2. socket not permitted: the documented line');
    close $s;
    unlink $path;
}

# ---- 3. wrong address: nothing listens on the port
{
    my $port = port('refused');
    my $m = log_mark();
    my $r = http(path => '/ext/refused.fcgi');
    my $tail = qq{FastCGI: failed to connect to server "$docroot/ext/refused.fcgi" at 127.0.0.1:$port: connect() failed; likely fix: nothing listens there: start the application, or correct -host/-socket (127.0.0.1 and ::1 differ)};
    my $l = line_with($m, $tail);
    ok t_cmp("$r->{status} " . has($l, '(111)Connection refused: '), '503 (111)Connection refused: ',
             '3. wrong address: 503, errno ECONNREFUSED');
    ok t_cmp(has($l, $tail), $tail, '3. wrong address: the documented line');
}

# ---- 9. response headers too large
{
    my $m = log_mark();
    my $r = http(path => '/ext/c.fcgi?longheader=1048576&write=x');
    my $want = qq{FastCGI: comm with server "$docroot/ext/c.fcgi" at unix:$ipc/c.sock aborted: error parsing headers: response header too large};
    ok t_cmp($r->{status}, 502, '9. header too large: 502');
    ok t_cmp(has(line_with($m, $want), $want), $want, '9. header too large: the documented line');
}

# ---- 5. FastCgiIpcDir unusable, 6. FastCgiServer app cannot be executed
my $h = FastCGITest::PM->new('troubleshoot');
my ($uid, $gid) = (FastCGITest::PM::run_uid(), FastCGITest::PM::run_gid());
my $dir = $h->ipc;
{
    mkdir $dir, 0700; chown 0, 0, $dir; chmod 0700, $dir;   # root's, not httpd's User's
    $h->write_conf();
    my $m = $h->log_mark;
    my $started = $h->start(3);
    my $want = qq{FastCGI: FastCgiIpcDir "$dir": access for server (uid $uid, gid $gid) not allowed: read, write and search are needed; likely fix: chown $uid:$gid $dir && chmod 0700 $dir};
    ok t_cmp($started ? 'started' : 'refused', 'refused', '5. FastCgiIpcDir owned by root, 0700: httpd does not start');
    # refused by the check_config hook, before httpd opens its error log:
    # the line is on apache2's own output (as with apachectl configtest)
    ok t_cmp(has($h->log_since($m) . ($h->{last_ctl_output} // ''), $want), $want,
             '5. IPC dir not permitted: the documented line');
    $h->stop if $started;
    rmdir $dir;
}
{
    open my $f, '>', $dir or die; close $f;  # a file where the directory should be
    my $m = $h->log_mark;
    my $started = $h->start(3);
    my $want = qq{FastCGI: FastCgiIpcDir "$dir" exists and is not a directory; likely fix: remove it, or set FastCgiIpcDir to a directory on a local file system};
    ok t_cmp(has($h->log_since($m) . ($h->{last_ctl_output} // ''), $want), $want,
             '5. IPC dir is a file: the documented line');
    $h->stop if $started;
    unlink $dir;
}
{
    my $app = $h->put('st/nointerp.fcgi', "#!/nonexistent/interpreter\n", 0755);
    $h->write_conf("FastCgiServer $app -init-start-delay 0");
    my $m = $h->log_mark;
    my $started = $h->start;
    my $want = qq{FastCGI: can't start server "$app": execve(): No such file or directory; likely fix: check the path and the interpreter on the script's #! line};
    ok t_cmp(has($h->wait_log($m, qr/\Q$want\E/, 3) // '', $want), $want,
             '6. the #! interpreter is missing: the documented line');
    $h->stop if $started;
}
