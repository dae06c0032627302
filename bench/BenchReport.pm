# BenchReport.pm - bench/run's table and the issue 9 targets, computed from
# the measurements alone (no processes, no files).
#
# A context hash holds: workloads, rows, live (the rows measured), skipped
# (row name -> why), failed ("row\0workload" -> why), applies (code: does a
# workload run on a row), med (row -> workload -> medians, from medians()).
package BenchReport;
use strict;
use warnings;
use Exporter 'import';
use BenchLib qw(median);

our @EXPORT_OK = qw(medians table_lines target_lines drift_lines);

# medians(\%res): row -> workload -> {rps mbs p50 p99 rss growth errs fail note}
# from row -> workload -> [ {metrics of one measurement}, ... ]
sub medians {
    my ($res) = @_;
    my %med;
    for my $rn (keys %$res) {
        for my $wk (keys %{ $res->{$rn} }) {
            my @ms = @{ $res->{$rn}{$wk} };
            my %m;
            for my $f (qw(rps mbs p50 p99 rss growth errs cpu_srv cpu_app cpu_wrk)) { $m{$f} = median(map { $_->{$f} } @ms) }
            $m{fail} = join '; ', grep { defined } map { $_->{fail} } @ms;
            $m{note} = (grep { defined } map { $_->{note} } @ms)[0];
            $m{rounds} = \@ms;
            $med{$rn}{$wk} = \%m;
        }
    }
    return \%med;
}

# what a workload is compared by: MB/s for the 10 MiB body, req/s otherwise
sub metric { my ($w, $m) = @_; return undef unless $m; $w->{by_mbs} ? $m->{mbs} : $m->{rps} }

sub best {                    # best(ctx, workload, group): (value, row name)
    my ($c, $w, $group) = @_;
    my ($bv, $bn);
    for my $r (grep { $_->{group} eq $group } @{ $c->{live} }) {
        my $v = metric($w, $c->{med}{ $r->{name} }{ $w->{key} });
        ($bv, $bn) = ($v, $r->{name}) if defined $v && $v > 0 && (!defined $bv || $v > $bv);
    }
    return ($bv, $bn);
}
sub fmt { my ($v, $f) = @_; defined $v ? sprintf($f, $v) : '-' }
sub ratio { my ($a, $b) = @_; defined $a && defined $b && $b > 0 ? sprintf('%.2f', $a / $b) : '-' }

my $ROW_FMT = '%-38s %-14s %9s %9s %8s %8s %8s %8s %5s %7s %7s %7s %7s %7s %7s';

sub table_lines {
    my ($c) = @_;
    my $hdr = sprintf $ROW_FMT,
        'row', 'workload', 'req/s', 'MB/s', 'p50_ms', 'p99_ms', 'RSS_MB', 'grow_MB', 'errs', 'xproxy', 'xinproc', 'xstatic',
        'srv_us', 'app_us', 'wrk_us';
    my @out = ($hdr, '-' x length $hdr);
    for my $w (@{ $c->{workloads} }) {
        my ($bp) = best($c, $w, 'proxy');
        my ($bi) = best($c, $w, 'inproc');
        my ($bs) = best($c, $w, 'static');
        for my $r (grep { $c->{applies}->($_, $w) && !$c->{skipped}{ $_->{name} } } @{ $c->{rows} }) {
            my $why = $c->{failed}{"$r->{name}\0$w->{key}"};
            if ($why) { push @out, sprintf('%-38s %-14s FAILED (not timed): %s', $r->{name}, $w->{label}, $why); next }
            my $m = $c->{med}{ $r->{name} }{ $w->{key} } or next;
            my $v = metric($w, $m);
            push @out, sprintf $ROW_FMT,
                $r->{name}, $w->{label}, fmt($m->{rps}, defined $m->{rps} && $m->{rps} < 100 ? '%.1f' : '%.0f'),
                fmt($m->{mbs}, '%.1f'), fmt($m->{p50}, '%.2f'), fmt($m->{p99}, '%.2f'), fmt($m->{rss}, '%.0f'),
                $w->{stream} ? fmt($m->{growth}, '%.1f') : '-', fmt($m->{errs}, '%.0f'),
                $w->{stream} ? ('-', '-') : (ratio($v, $bp), ratio($v, $bi)),
                $w->{by_mbs} ? ratio($v, $bs) : '-',
                fmt($m->{cpu_srv}, '%.0f'), fmt($m->{cpu_app}, '%.0f'), fmt($m->{cpu_wrk}, '%.0f');
            push @out, "    ^ $m->{fail}" if $m->{fail};
            push @out, "    ^ $m->{note}" if $m->{note};
        }
    }
    return @out;
}

# The targets of issue 9, each from the best mod_fastcgi row of its workload.
my @RATIO_TARGETS = (
    ['tiny c=64 >= 1.3x best mod_proxy_fcgi', 'tiny-c64', 'proxy',  1.3],
    ['tiny c=64 >= 1.5x mod_fcgid',           'tiny-c64', 'fcgid',  1.5],
    ['tiny c=64 >= 0.8x in-process ceiling',  'tiny-c64', 'inproc', 0.8],
    ['tiny c=64 >= 0.75x nginx',              'tiny-c64', 'nginx',  0.75],
    ['tiny c=1 >= 1.2x best mod_proxy_fcgi',  'tiny-c1',  'proxy',  1.2],
    ['10MiB MB/s >= 0.9x static file',        '10m-c8',   'static', 0.9],
    ['10MiB X-Sendfile MB/s >= 0.9x static file (issue 13)', '10m-c8', 'static', 0.9, 'handoff'],
    ['POST 1MiB >= 1.5x best mod_proxy_fcgi', 'post-c8',  'proxy',  1.5],
);
my $GROWTH_LIMIT_MB = 10;

# The ceiling rows (no app: static file, in-process module) round by round:
# a shared machine that slows down during the run (seen here: after some
# minutes of full load, 10 MiB transfers of every row 3-8x slower, the
# static file's most) shows as rounds that disagree, and the medians then
# mix two speeds.
sub drift_lines {
    my ($c) = @_;
    my @out;
    for my $r (grep { $_->{group} eq 'static' || $_->{group} eq 'inproc' } @{ $c->{live} }) {
        for my $w (grep { !$_->{stream} } @{ $c->{workloads} }) {
            my $m = $c->{med}{ $r->{name} }{ $w->{key} } or next;
            my @v = grep { defined && $_ > 0 } map { metric($w, $_) } @{ $m->{rounds} || [] };
            next unless @v > 1;
            my ($lo, $hi) = (sort { $a <=> $b } @v)[0, -1];
            next unless $hi / $lo > 1.5;
            push @out, sprintf '%s, %s: rounds %s %s (%.1fx apart): the machine changed speed during the run',
                $r->{name}, $w->{label}, join(' / ', map { sprintf '%.0f', $_ } @v), $w->{by_mbs} ? 'MB/s' : 'req/s', $hi / $lo;
        }
    }
    return @out;
}

# What any gateway can reach against a ceiling row on these shared CPUs,
# from the run's own CPU per request (user + system, per answered request;
# each row is CPU-bound on the 2 cores, so its rate is about 2e6 / total
# us): a gateway whose httpd spent no more than the in-process module's
# (which only writes the body) would still add its app's own CPU, and its
# client's, as measured on our best row. Also what the best gateway
# outside httpd reached.
sub limit_line {
    my ($c, $w, $ours, $ceiling) = @_;
    my ($in) = map { $_->{name} } grep { $_->{group} eq 'inproc' } @{ $c->{live} };
    my ($mo, $mc, $mi) = map { defined $_ ? $c->{med}{$_}{ $w->{key} } : undef } $ours, $ceiling, $in;
    return () unless $mo && $mc && $mi;
    return () if grep { !defined } $mc->{cpu_srv}, $mc->{cpu_wrk}, $mi->{cpu_srv}, $mo->{cpu_app}, $mo->{cpu_wrk};
    my $ideal = $mi->{cpu_srv} + $mo->{cpu_app} + $mo->{cpu_wrk};
    return () unless $ideal > 0;
    my $bound = ($mc->{cpu_srv} + ($mc->{cpu_app} // 0) + $mc->{cpu_wrk}) / $ideal;
    my $line = sprintf '      limit: a gateway whose httpd cost what the in-process module costs would reach at most %.2fx'
        . ' here (%s %.0f us of CPU per request; that one: %.0f httpd + %.0f app + %.0f wrk)',
        $bound, $ceiling, $mc->{cpu_srv} + ($mc->{cpu_app} // 0) + $mc->{cpu_wrk}, $mi->{cpu_srv}, $mo->{cpu_app}, $mo->{cpu_wrk};
    my ($nv, $nn) = best($c, $w, 'nginx');
    my $cv = metric($w, $mc);
    $line .= sprintf '; %s reached %.2fx', $nn, $nv / $cv if defined $nv && $cv;
    return $line;
}

sub target_lines {
    my ($c) = @_;
    my @out;
    for my $t (@RATIO_TARGETS) {
        my ($label, $wk, $other, $factor, $mine) = @$t;
        $mine //= 'ours';
        my ($w) = grep { $_->{key} eq $wk } @{ $c->{workloads} };
        if (!$w) { push @out, "n/a   $label (workload not run)"; next }
        my ($ov, $on) = best($c, $w, $mine);
        my ($tv, $tn) = best($c, $w, $other);
        if (!defined $ov || !defined $tv) {
            push @out, "n/a   $label (no " . (defined $ov ? $other : 'mod_fastcgi') . ' row measured)';
            next;
        }
        my $x = $ov / $tv;
        push @out, sprintf '%-5s %s: %.2fx (%s %.1f / %s %.1f)', $x >= $factor ? 'PASS' : 'FAIL', $label, $x, $on, $ov, $tn, $tv;
        push @out, limit_line($c, $w, $on, $tn) if $x < $factor && ($other eq 'inproc' || $other eq 'static');
    }
    my $label = "1GiB stream: httpd RSS growth < $GROWTH_LIMIT_MB MiB in every mode";
    my @g = map { [$_->{name}, $c->{med}{ $_->{name} }{stream}] } grep { $_->{group} eq 'ours' && $_->{stream} } @{ $c->{live} };
    if (!@g || !grep { $_->{key} eq 'stream' } @{ $c->{workloads} }) { push @out, "n/a   $label (not run)"; return @out }
    my @bad = grep { !$_->[1] || !defined $_->[1]{growth} || $_->[1]{growth} >= $GROWTH_LIMIT_MB || $_->[1]{errs} } @g;
    push @out, sprintf '%-5s %s: %s', @bad ? 'FAIL' : 'PASS', $label, join(', ', map {
        "$_->[0] " . ($_->[1] ? fmt($_->[1]{growth}, '%.1f') . ' MiB' . ($_->[1]{errs} ? ' (errors)' : '') : 'not measured')
    } @g);
    return @out;
}

1;
