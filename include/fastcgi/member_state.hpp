// The state of one balancer member as it lives in shared memory: written
// by every httpd child (requests in flight, connect failures and the
// back-off) and by the process manager's health checker (the probes'
// verdict and counters), read by both and, later, by the status page.
// Only lock-free atomics, so that it can sit in an anonymous shared segment
// created before the PM and the children fork, and no pointer inside.
// Times are microseconds since the epoch (apr_time_t's base).
#pragma once

#include <atomic>
#include <cstdint>

#include "fastcgi/balancer_policy.hpp"

namespace fastcgi {

struct MemberState {
    std::atomic<int> in_flight{0};              ///< requests connected to it now
    std::atomic<std::uint64_t> requests{0};     ///< requests ever connected to it
    std::atomic<unsigned> failures{0};          ///< connect failures in a row (the back-off step)
    std::atomic<std::int64_t> down_until{0};    ///< skipped until then after a failure; 0 when up
    std::atomic<int> health{static_cast<int>(Health::Unknown)};  ///< the probes' verdict
    std::atomic<std::uint64_t> checks_ok{0};
    std::atomic<std::uint64_t> checks_failed{0};
    std::atomic<std::uint64_t> checks_unknown{0};

    /// Whether a request may try it at `now`.
    bool usable(std::int64_t now) const noexcept {
        return health.load() != static_cast<int>(Health::Down) && down_until.load() <= now;
    }
};
static_assert(std::atomic<std::int64_t>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free,
              "member state needs lock-free atomics in shared memory");

/// A copy of a member's state for display (the status page) and tests.
struct MemberSnapshot {
    int in_flight = 0;
    std::uint64_t requests = 0;
    unsigned failures = 0;
    std::int64_t down_until = 0;  ///< 0, or when it will be tried again
    Health health = Health::Unknown;
    std::uint64_t checks_ok = 0, checks_failed = 0, checks_unknown = 0;

    /// "up", "down" (skipped until down_until, or by the probes) or "unknown"
    /// (health checks on, no verdict yet).
    const char* state(std::int64_t now) const noexcept {
        if (health == Health::Down || down_until > now) return "down";
        if (health == Health::Unknown && checks_ok + checks_failed + checks_unknown > 0) return "unknown";
        return "up";
    }
};

inline MemberSnapshot snapshot(const MemberState& s) noexcept {
    MemberSnapshot m;
    m.in_flight = s.in_flight.load();
    m.requests = s.requests.load();
    m.failures = s.failures.load();
    m.down_until = s.down_until.load();
    m.health = static_cast<Health>(s.health.load());
    m.checks_ok = s.checks_ok.load();
    m.checks_failed = s.checks_failed.load();
    m.checks_unknown = s.checks_unknown.load();
    return m;
}

}  // namespace fastcgi
