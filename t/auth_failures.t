# Authorizer apps that fail: unreachable socket, app closing before/amid its
# headers, an invalid Status, garbage headers, no end of headers. Every role
# fails closed with 500 whatever ...Authoritative says (never the protected
# content, never the fallback module), and the error_log says why.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use FastCGITest;
use FastCGITest::Auth;
use Time::HiRes qw(time sleep);

plan tests => 111, need_module 'fastcgi';

my $parent = httpd_pid();
my $mark   = log_mark();
my $t      = t_dir();
my $ipc    = ipc_dir();
ensure_env_log();
make_htpasswd();
start_apps(qw(c auth_c auth_perl));
unlink "$ipc/auth_nosuch.sock";

my %label = (authn => 'authenticator', authz => 'authorizer', access => 'access checker');

# [zone, role, user, pw, key, why the request would otherwise be granted]
my @zones = (
    ['authn',          'authn',  'bob',   'secret',     undef,     'Authoritative On'],
    ['authn-off',      'authn',  'dave',  'davepw',     undef,     'Off, AuthUserFile would accept dave'],
    ['authz',          'authz',  'bob',   'secret',     undef,     'Authoritative On'],
    ['authz-off',      'authz',  'alice', 'wonderland', undef,     'Off, Require user alice would accept'],
    ['access-granted', 'access', undef,   undef,        'letmein', 'Authoritative On'],
    ['access-off',     'access', undef,   undef,        undef,     'Off, Require all granted would accept'],
);
my @errors = (
    ['exit',         qr/incomplete headers \(0 bytes\) received from server "\Q$t\E\/authapps\/c"/],
    ['exit-midhead', qr/incomplete headers \(\d+ bytes\) received from server "\Q$t\E\/authapps\/c"/],
    ['badstatus',    qr/invalid Status 'abc'/],
    ['garbage',      qr/error parsing headers: malformed/],
    ['nohead',       qr/incomplete headers \(\d+ bytes\) received from server "\Q$t\E\/authapps\/c"/],
);

sub req {
    my ($zone, $z, %extra) = @_;
    return areq(path => "/fa/$zone/env.fcgi", (defined $z->[2] ? (user => $z->[2], pw => $z->[3]) : ()),
                (defined $z->[4] ? (key => $z->[4]) : ()), %extra);
}

sub closed_ok {
    my ($r) = @_;
    return ($r->{status} == 500 && $r->{body} !~ /GATEWAY_INTERFACE=|AUTHN_USER|forged|bad status/
            && !hdr($r, 'X-Denied-By')) ? 1 : 0;
}

# ---- sanity: each zone grants when the app answers properly
for my $z (@zones) {
    my $r = req($z->[0], $z);
    ok t_cmp($r->{status}, 200, "$z->[0]: granted when the app works ($z->[5])");
}

# ---- broken answers from the C app, every role, On and Off
for my $z (@zones) {
    my ($zone, $role) = @$z;
    for my $err (@errors) {
        my ($cmd, $cause) = @$err;
        my $m = log_mark();
        my $r = req($zone, $z, cmd => $cmd);
        ok t_cmp(closed_ok($r), 1, "$zone ($z->[5]), app $cmd: 500, no protected content (got $r->{status})");
        my $log = wait_log($m, qr/access refused: \/fa\/\Q$zone\E\/env\.fcgi/);
        my $ok = $log =~ /FastCGI: \Q$label{$role}\E "\Q$t\E\/authapps\/c" failed; access refused: \/fa\/\Q$zone\E\/env\.fcgi/
                 && $log =~ $cause;
        ok t_cmp($ok ? 1 : 0, 1, "$zone, app $cmd: the log names the role, the app and the cause");
    }
}

# ---- the same with the Perl FCGI app
for my $case (['authn-perl', 'bob', 'secret', undef], ['authz-compat', 'bob', 'secret', undef],
              ['access-compat', undef, undef, 'letmein']) {
    my ($zone, @z) = @$case;
    for my $cmd (map { $_->[0] } @errors) {
        my $r = req($zone, [undef, undef, @z], cmd => $cmd);
        ok t_cmp(closed_ok($r), 1, "$zone (Perl app), app $cmd: 500 (got $r->{status})");
    }
}

# ---- the dynamic app
for my $cmd (qw(badstatus garbage)) {
    my $r = areq(path => '/fa/authz-dynamic/env.fcgi', user => 'bob', pw => 'secret', cmd => $cmd, timeout => 60);
    ok t_cmp(closed_ok($r), 1, "dynamic authorizer, app $cmd: 500 (got $r->{status})");
}

# ---- unreachable app (socket file missing), every role, On and Off
for my $case (['nosock-authn', 'authn', 'bob', 'secret'], ['nosock-authn-off', 'authn', 'dave', 'davepw'],
              ['nosock-authz', 'authz', 'bob', 'secret'], ['nosock-authz-off', 'authz', 'bob', 'secret'],
              ['nosock-access', 'access'], ['nosock-access-off', 'access']) {
    my ($zone, $role, $u, $p) = @$case;
    my $m = log_mark();
    my $r = areq(path => "/fa/$zone/env.fcgi", (defined $u ? (user => $u, pw => $p) : ()));
    ok t_cmp(closed_ok($r), 1, "$zone: unreachable app -> 500 (got $r->{status})");
    my $log = wait_log($m, qr/access refused: \/fa\/\Q$zone\E/);
    my $ok = $log =~ /failed to connect to server "\Q$t\E\/authapps\/nosock" at unix:\Q$ipc\E\/auth_nosuch\.sock/
             && $log =~ /No such file or directory/
             && $log =~ /FastCGI: \Q$label{$role}\E "\Q$t\E\/authapps\/nosock" failed; access refused: \/fa\/\Q$zone\E/;
    ok t_cmp($ok ? 1 : 0, 1, "$zone: the log names the app, the socket and ENOENT");
}

# ---- a dynamic app httpd's user may not execute
{
    my $m = log_mark();
    my $r = areq(path => '/fa/noexec-authz-off/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp(closed_ok($r), 1, "dynamic authorizer not executable, Off: 500 (got $r->{status})");
    my $log = wait_log($m, qr/access refused/);
    ok t_cmp(($log =~ /not-executable\.fcgi.*not allowed/ && $log =~ /FastCGI: authorizer "[^"]*not-executable\.fcgi" failed; access refused/) ? 1 : 0,
             1, '... the log says why');
}

# ---- stale socket (nobody listening): connection refused
{
    make_stale_socket("$ipc/auth_nosuch.sock");
    my $m = log_mark();
    my $r = areq(path => '/fa/nosock-authn-off/env.fcgi', user => 'dave', pw => 'davepw');
    ok t_cmp(closed_ok($r), 1, "stale socket, Off: 500 (got $r->{status})");
    ok t_cmp(wait_log($m, qr/Connection refused/), qr/Connection refused/, 'stale socket: ECONNREFUSED logged');
    unlink "$ipc/auth_nosuch.sock";
}

# ---- an app slower than -idle-timeout 1 (it would grant after 3 s)
{
    my $r = areq(path => '/fa/idle-authn-off/env.fcgi', user => 'dave', pw => 'davepw');
    ok t_cmp($r->{status}, 200, 'idle zone sanity: the app refuses dave, the AuthUserFile accepts him');
    my $m = log_mark();
    my $t0 = time;
    $r = areq(path => '/fa/idle-authn-off/env.fcgi', user => 'bob', pw => 'secret', cmd => 'slow-grant');
    my $took = time - $t0;
    ok t_cmp(closed_ok($r), 1, "app slower than -idle-timeout, Off: 500 (got $r->{status})");
    ok t_cmp(($took >= 0.8 && $took < 2.8) ? 1 : 0, 1, sprintf('... after the idle timeout (%.2f s)', $took));
    ok t_cmp(wait_log($m, qr/access refused/), qr/idle timeout \(1 sec\)/, '... and the log says idle timeout');
    $r = areq(path => '/fa/idle-authn-off/env.fcgi', user => 'dave', pw => 'davepw', cmd => 'slow-grant');
    ok t_cmp(closed_ok($r), 1, "... also for a user the AuthUserFile would accept (got $r->{status})");
    sleep 2.5;   # let the sleeping workers finish
}

# ---- a well-formed "Status: 500" from the app is an answer (a denial), not an app failure
{
    my $r = areq(path => '/fa/authn/page.txt', user => 'bob', pw => 'secret', cmd => 'status500');
    ok t_cmp("$r->{status} $r->{body}", "500 app error page\n", 'app answers Status: 500, On: relayed with its body');
    $r = areq(path => '/fa/authn-off/page.txt', user => 'dave', pw => 'davepw', cmd => 'status500');
    ok t_cmp("$r->{status} $r->{body}", "200 protected page\n",
             'app answers Status: 500, Off: a denial like any other, the AuthUserFile decides');
}

# ---- everything still works afterwards
{
    my $r = areq(path => '/fa/authn/env.fcgi', user => 'bob', pw => 'secret');
    ok t_cmp("$r->{status} " . (protected_env($r)->{AUTHN_USER} // ''), '200 bob', 'a normal request after the failures');
}

leak_check('failing authorizers', 60, sub {
    my $i = shift;
    my $z = $zones[$i % @zones];
    if ($i % 7 == 3) {
        areq(path => '/fa/nosock-authz-off/page.txt', user => 'bob', pw => 'secret');
    } else {
        req($z->[0], $z, cmd => $errors[$i % @errors][0]);
    }
});

my ($ok, $why) = crash_check($mark, $parent);
ok t_cmp($ok, 1, "httpd did not crash ($why)");
my @bad = unexpected_errors($mark, qr/FastCGI: (authenticator|authorizer|access checker) "[^"]*" failed; access refused/,
                            qr/FastCGI: (incomplete headers|failed to connect|comm with authorizer)/,
                            qr/FastCGI: comm with server "[^"]*c-idle" at \S+ aborted: .*idle timeout/,
                            qr/FastCGI: authentication failed for user "bob": \/fa\/authn\/page\.txt/,
                            qr/FastCGI: authorizer "[^"]*" sent an invalid Status/,
                            qr/FastCGI: invalid \(dynamic\) server "[^"]*not-executable\.fcgi"/,
                            qr/FastCGI: server "[^"]*" at \S+ closed the connection/,
                            # the Off zones' sanity requests: denied by the app, granted by httpd
                            qr/FastCGI: (authentication|authorization) failed for user "(dave|alice)"/,
                            qr/FastCGI: access denied: \/fa\/access-off\//);
ok t_cmp(scalar(@bad), 0, "no unexpected error lines in error_log:\n" . join("\n", @bad));
