package FastCGITest::Ports;
# The fixed TCP ports of the test applications.  Apache::Test copies them into
# its config vars (@FCGI_PORT_C@ ... in t/conf/extra.conf.in); the .t files read
# them back from Apache::Test::vars so config and tests always agree.
use strict;
use warnings;

my %offset = (
    fcgi_port_c       => 0,   # C responder, 127.0.0.1
    fcgi_port_c6      => 1,   # C responder, [::1]
    fcgi_port_raw     => 2,   # raw.pl, 127.0.0.1
    fcgi_port_refused => 4,   # nobody listens here
    fcgi_port_backlog => 5,   # a listener whose backlog the test fills (connect timeout)
    fcgi_port_go      => 6,   # Go app, 127.0.0.1
    fcgi_port_conftest => 9,  # Listen port of the throw-away configs of config_errors.t
);

sub base { $ENV{FCGI_TEST_PORT_BASE} || 19511 }

sub ports {
    my $b = base();
    return map { $_ => $b + $offset{$_} } keys %offset;
}

1;
