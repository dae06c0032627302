// Admission control for one application: a cap on the requests in flight,
// a bounded queue of requests waiting for a slot, and a queue timeout; what
// is beyond them is refused at once (the glue answers 503 + Retry-After).
//
// The counters (AdmissionCounters) are plain atomics so that they can live
// in shared memory and be used by every thread of every httpd child without
// a lock. AdmissionGate is the decision policy over them; how a queued
// request waits (a futex in the glue, anything in the tests) and the clock
// are injected, so this header stays pure and unit-testable.
//
// Order rules: a newcomer takes a free slot only while nobody is queued
// (no barging past the queue); a queued request takes a slot as soon as one
// is free; every release wakes one waiter.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace fastcgi {

/// The options of one application (-max-in-flight, -queue-depth,
/// -queue-timeout); see docs/directives/FastCgiExternalServer.md.
struct AdmissionLimits {
    static constexpr unsigned kUnlimited = std::numeric_limits<unsigned>::max();
    static constexpr unsigned kDefaultQueueTimeout = 10;  ///< seconds

    unsigned max_in_flight = kUnlimited;  ///< requests served at once; kUnlimited: no cap
    unsigned queue_depth = kUnlimited;    ///< requests that may wait beyond the cap
    unsigned queue_timeout = kDefaultQueueTimeout;  ///< seconds a request may wait
    bool max_in_flight_set = false;       ///< given explicitly (FastCgiConfig's default differs)
    bool queue_depth_set = false;         ///< -queue-depth given
    bool queue_timeout_set = false;       ///< -queue-timeout given

    bool capped() const noexcept { return max_in_flight != kUnlimited; }
    /// The Retry-After a refused client gets, in seconds: about when a slot
    /// is likely free again, at least 1.
    unsigned retry_after() const noexcept { return queue_timeout ? queue_timeout : 1; }
};

/// Shared counters of one application. Lock-free; may live in shared
/// memory (zero-initialised is the idle state).
struct AdmissionCounters {
    std::atomic<int> in_flight{0};      ///< requests holding a slot
    std::atomic<int> queued{0};         ///< requests waiting for one
    std::atomic<std::uint32_t> wake{0}; ///< bumped on every release while someone waits (a futex word)
    std::atomic<std::uint64_t> admitted{0};  ///< totals, for the status page
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::int64_t> last_warned{0};  ///< when the glue last logged a refusal (its clock)
    std::atomic<std::uint64_t> refused_at_warn{0};  ///< `refused` then
};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free,
              "admission counters must be lock-free to live in shared memory");

/// What a request was told.
enum class Admission {
    Admitted,      ///< holds a slot: call release() when done
    QueueFull,     ///< at the cap with a full queue (or none): refused at once
    QueueTimeout,  ///< waited -queue-timeout without a slot
    Abandoned,     ///< gave up waiting (the client went away)
};

inline const char* to_string(Admission a) noexcept {
    switch (a) {
    case Admission::Admitted: return "admitted";
    case Admission::QueueFull: return "queue full";
    case Admission::QueueTimeout: return "queue timeout";
    case Admission::Abandoned: return "client gone while queued";
    }
    return "?";
}

/// A point-in-time view of the counters (the status page shows it).
struct AdmissionSnapshot {
    int in_flight = 0;
    int queued = 0;
    std::uint64_t admitted = 0;
    std::uint64_t refused = 0;
};

inline AdmissionSnapshot snapshot(const AdmissionCounters& c) noexcept {
    return {c.in_flight.load(), c.queued.load(), c.admitted.load(), c.refused.load()};
}

class AdmissionGate {
public:
    using Clock = std::chrono::steady_clock;

    AdmissionGate(AdmissionCounters& c, const AdmissionLimits& limits) noexcept : c_(c), limits_(limits) {}

    /// One attempt to enter. `wait(word, seen, until)` blocks until the wake
    /// word differs from `seen`, `until` passes or some short while, and
    /// returns false when the request should stop waiting (client gone).
    /// `now()` is the clock. A queued request waits until
    /// `now() + queue_timeout`.
    template <class Wait, class Now>
    Admission enter(Wait&& wait, Now&& now) noexcept {
        return enter(wait, now, now() + std::chrono::seconds(limits_.queue_timeout));
    }

    /// The same with the deadline given (a request that passes several
    /// gates waits for all of them together at most one queue timeout).
    template <class Wait, class Now>
    Admission enter(Wait&& wait, Now&& now, Clock::time_point deadline) noexcept {
        if (!limits_.capped()) return admit();
        if (c_.queued.load() == 0 && take_slot()) return admit();
        if (!join_queue()) return refuse(Admission::QueueFull);
        while (true) {
            // The wake word is read before looking for a slot: a release in
            // between changes it, so wait() returns at once (no lost wake-up).
            const std::uint32_t seen = c_.wake.load();
            if (take_slot()) {
                --c_.queued;
                return admit();
            }
            if (now() >= deadline) {
                --c_.queued;
                return refuse(Admission::QueueTimeout);
            }
            if (!wait(c_.wake, seen, deadline)) {
                --c_.queued;
                return Admission::Abandoned;
            }
        }
    }

    /// Takes a slot whatever the cap (the count may go over it): for a
    /// request the glue lets through on other grounds. release() as usual.
    void admit_anyway() noexcept {
        ++c_.in_flight;
        ++c_.admitted;
    }

    /// Gives back an admitted request's slot; returns true when a waiter
    /// should be woken (the caller wakes one on the counters' wake word).
    bool release() noexcept {
        if (!limits_.capped()) {
            --c_.in_flight;
            return false;
        }
        --c_.in_flight;
        if (c_.queued.load() == 0) return false;
        ++c_.wake;
        return true;
    }

private:
    bool take_slot() noexcept {
        int n = c_.in_flight.load();
        const int cap = static_cast<int>(std::min<unsigned>(limits_.max_in_flight, std::numeric_limits<int>::max()));
        while (n < cap)
            if (c_.in_flight.compare_exchange_weak(n, n + 1)) return true;
        return false;
    }
    bool join_queue() noexcept {
        if (limits_.queue_depth == 0 || limits_.queue_timeout == 0) return false;
        int n = c_.queued.load();
        const int depth = static_cast<int>(std::min<unsigned>(limits_.queue_depth, std::numeric_limits<int>::max()));
        while (n < depth)
            if (c_.queued.compare_exchange_weak(n, n + 1)) return true;
        return false;
    }
    Admission admit() noexcept {
        // Uncapped requests are counted too, so the status page shows them.
        if (!limits_.capped()) ++c_.in_flight;
        ++c_.admitted;
        return Admission::Admitted;
    }
    Admission refuse(Admission why) noexcept {
        ++c_.refused;
        return why;
    }

    AdmissionCounters& c_;
    const AdmissionLimits& limits_;
};

}  // namespace fastcgi
