// Balancing over the members of an external application with several
// addresses (FastCgiExternalServer -host a -host b ...): which member a
// request connects to (round robin or least busy, with weights), failover
// to the next member when a connect fails, and the back-off that skips a
// member after a failure. The choice itself is pure
// (fastcgi/balancer_policy.hpp); this file keeps the state every httpd
// child shares: one MemberState per member (fastcgi/member_state.hpp) and
// one round-robin counter per app, in an anonymous shared segment created
// in post_config before the process manager and the children fork, so the
// PM's health checker (fcgi_pm/health_checker.hpp) writes the probes'
// verdict where the children read it.
//
// Lifetime: one segment per configuration generation (pconf). Thread-safe:
// only atomics; any worker thread of any child may call anything here.
#pragma once

#include <cstdint>
#include <vector>

#include "app_registry.hpp"
#include "fastcgi/member_state.hpp"
#include "../fcgi_pm/process_manager.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

class Balancer {
public:
    /// post_config, in the parent, before the PM forks: the shared segment
    /// and the slots of every balanced app and member. OK or an error status.
    static int create(apr_pool_t* pconf, server_rec* s);

    /// A member of balanced `app` that this request has not tried (`tried`:
    /// bit i for members[i]) and that is not down, or nullptr. Sets `index`.
    static const App* pick(const App& app, std::uint64_t tried, std::size_t& index) noexcept;

    /// A connect to `member` of `app` succeeded: a member that was down is
    /// up again (one log line, by the child that saw it first).
    static void connected(request_rec* r, const App& app, const App& member) noexcept;
    /// A connect to `member` failed with `rv`: skipped for the back-off
    /// interval; one log line per change, by the child that marked it.
    static void failed(request_rec* r, const App& app, const App& member, apr_status_t rv) noexcept;
    /// When the first member of `app` will be tried again (all are down).
    static apr_interval_time_t next_try_in(const App& app) noexcept;

    /// The shared state of a member (nullptr before create() or when
    /// `member` is not one).
    static MemberState* state_of(const App& member) noexcept;

    /// One member as the status page shows it.
    struct MemberStatus {
        const App* member;
        MemberSnapshot state;
        const char* word;  ///< "up", "down", "unknown": MemberSnapshot::state()
    };
    /// The members of a balanced `app` and their state now.
    static std::vector<MemberStatus> status(const App& app);

    /// What the PM's health checker probes: every member of every app with
    /// -health-check, with a pointer into the shared segment.
    static std::vector<pm::HealthTarget> health_targets();
};

/// A request's hold on a member: counted in flight from start() until
/// end() or destruction (least-busy reads the counts).
class MemberLease {
public:
    MemberLease() = default;
    ~MemberLease() { end(); }
    MemberLease(const MemberLease&) = delete;
    MemberLease& operator=(const MemberLease&) = delete;

    void start(const App& member) noexcept;
    void end() noexcept;

private:
    MemberState* state_ = nullptr;
};

}  // namespace fastcgi::httpd
