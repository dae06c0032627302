// The shared-memory counters of every application (the layout and its
// lock-free rules are in include/fastcgi/app_stats.hpp), seen from httpd:
// the segment is made in post_config, before the process manager and the
// children fork, so that all of them write into the same one; requests
// count themselves through RequestStats; the status handler reads it.
//
// Lifetime: one anonymous apr_shm segment per configuration generation, in
// pconf. A graceful restart makes a new, zeroed segment for the new
// generation (counters start again at 0), while the old generation's
// children and draining process manager keep writing into the old one,
// which the kernel frees when its last process ends. Never locked.
#pragma once

#include <cstddef>

#include "app_registry.hpp"
#include "fastcgi/app_stats.hpp"
#include "httpd.hpp"
#include "outcome.hpp"

namespace fastcgi::httpd {

class AppStats {
public:
    /// Slots for dynamic applications, claimed by the first process that
    /// sees each one; more distinct dynamic apps than this are not counted.
    static constexpr std::size_t kDynamicSlots = 128;

    /// post_config, in the parent: the segment, a fixed slot for every
    /// defined app (App::stats_slot). OK or an error status.
    static int create(apr_pool_t* pconf, server_rec* s);

    /// The table of this generation, nullptr before create() or after
    /// its pool is gone.
    static stats::StatsTable* table() noexcept;

    /// The slot of `app` (a dynamic app's is claimed on first use), or
    /// nullptr when there is none.
    static stats::AppSlot* slot_of(const App& app) noexcept;

    /// A request refused at the app's cap (Failure::Overloaded): counted as
    /// an error of cause "overloaded"; it was never in flight.
    static void note_overloaded(const App& app) noexcept;
};

/// One exchange, counted: in flight from construction; finish() adds it
/// to the served or failed ones (and its service time). Destroyed
/// without finish() (an exception), it only leaves the in-flight count.
class RequestStats {
public:
    explicit RequestStats(const App& app) noexcept;
    ~RequestStats();
    RequestStats(const RequestStats&) = delete;
    RequestStats& operator=(const RequestStats&) = delete;

    /// `connected_at`: when the connection to the app was made, 0 if never.
    void finish(const Outcome& outcome, apr_time_t connected_at) noexcept;

private:
    stats::AppSlot* slot_;
};

/// The status page's name for a failure.
stats::Cause cause_of(Failure f) noexcept;

}  // namespace fastcgi::httpd
