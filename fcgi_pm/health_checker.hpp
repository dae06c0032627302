// Health checks of balancer members (FastCgiExternalServer -health-check),
// run by the process manager and never by a request: every
// -health-interval seconds each member is probed (a connect, or a connect
// and an FCGI_GET_VALUES exchange), the result goes through the hysteresis
// of fastcgi/balancer_policy.hpp (-health-fall failures in a row: down;
// -health-rise successes: up), and the verdict and counters are written
// into the member's MemberState in the segment httpd's children read
// (mod_fastcgi/balancer.hpp). One log line per change of verdict.
//
// Threading: run_in_background() probes in a thread of its own, so that a
// probe waiting for its timeout never holds up the PM's loop; everything
// it touches is its own or atomics in the shared segment. The unit tests
// call probe() and round() directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastcgi/balancer_policy.hpp"
#include "log_sink.hpp"
#include "pm_config.hpp"

namespace fastcgi::pm {

/// One probe of `t` (at most its -health-timeout); `why` says what went
/// wrong, or what was heard, for the log line.
ProbeResult probe(const HealthTarget& t, std::string& why);

class HealthChecker {
public:
    HealthChecker(std::vector<HealthTarget> targets, LogSink sink);

    /// Probes every target that is due at `now_us` (microseconds since the
    /// epoch); returns when the next one is due.
    std::int64_t round(std::int64_t now_us);

    /// Starts a detached thread that runs round() for as long as the
    /// process lives (the PM ends with _exit). Nothing when no target.
    static void run_in_background(std::vector<HealthTarget> targets, LogSink sink);

    const std::vector<HealthTracker>& trackers() const { return trackers_; }

private:
    void record(std::size_t i, ProbeResult r, const std::string& why);

    std::vector<HealthTarget> targets_;
    std::vector<HealthTracker> trackers_;
    std::vector<std::int64_t> due_;
    Log log_;
};

}  // namespace fastcgi::pm
