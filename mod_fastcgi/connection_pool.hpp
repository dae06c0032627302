// Connections kept open to an application across requests (FCGI_KEEP_CONN).
//
// An application process that serves one connection at a time (libfcgi,
// Perl FCGI, php-cgi's workers) is held by a kept connection even while it
// is idle, so an idle connection in one httpd child could starve a request
// of another child waiting in the application's listen queue. The pool
// therefore bounds the connections kept to an application by what it can
// serve at once (-max-conns; for a static app its -processes; for an
// external one what it answers to FCGI_GET_VALUES, asked once in the
// background, or 1), counted across all httpd children in shared
// memory. A request that finds no idle connection and no room waits for
// one of its own child's kept connections to come back (as it would wait
// in the app's listen queue, but the connection stays open); in a child
// that keeps none in use, it borrows room and connects, and another child
// closes one of its kept connections as soon as it is idle or done. After
// kHandOverWait a request opens a one-off connection (no FCGI_KEEP_CONN)
// and counts itself as waiting. While a one-off waits, kept connections are
// closed instead of kept idle or handed over, by the request that finishes
// with one or by each child's sweeper thread within a few milliseconds. Idle
// connections are also closed after kIdleExpiry.
// While the process manager moves a static app's requests to new instances
// (a rolling reload, AppSlot::moving), nothing is kept or reused: a kept
// connection would hold an old instance, which is ended only once it holds
// none; idle ones are closed by the sweeper within a few milliseconds.
//
// Lifetime: the shared counters live in pconf (one set per configuration
// generation, created before the children fork); each child's idle lists
// and sweeper live in pchild. Thread-safe: a mutex per application and
// child for the idle list, atomics for the shared counters.
#pragma once

#include <atomic>
#include <cstdint>

#include "app_registry.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

class ConnectionPool {
public:
    /// How long a connection may stay idle in the pool.
    static constexpr apr_interval_time_t kIdleExpiry = apr_time_from_sec(3);
    /// How long a request waits for a kept connection of its child before
    /// it opens a one-off connection instead.
    static constexpr apr_interval_time_t kHandOverWait = apr_time_from_sec(1);

    /// post_config, in the parent: a slot for every app that reuses
    /// connections. Returns OK or an error status.
    static int create(apr_pool_t* pconf, server_rec* s);
    /// child_init: this child's idle lists and its sweeper thread.
    static void start_child(apr_pool_t* pchild, server_rec* s);

    /// Whether the app's requests are being moved to new instances: open
    /// one-off connections, keep none.
    bool moving() const noexcept { return moving_ && moving_->load(std::memory_order_relaxed) != 0; }

    /// The pool of `app`'s address, or nullptr when no definition of that
    /// address reuses connections. An app that does not keep connections
    /// itself only counts its one-off connections there.
    static ConnectionPool* of(const App& app) noexcept;

    /// A live idle connection (its descriptor), or -1. `gave_up`: idle
    /// connections found closed by the app made the pool stop keeping any
    /// (see note_closed_by_app()).
    int take_idle(bool& gave_up) noexcept;
    /// Room for one more kept connection: true (and counted) or false
    /// (also while nobody knows yet what the app can serve).
    bool reserve() noexcept;
    /// What one request's waits for a kept connection have told the pool.
    struct Wait {
        bool announced = false;  ///< the other children were told
        bool waited = false;     ///< waited for one of its child's once
    };
    enum class Turn {
        Handed,    ///< one of this child's came back: `handed`
        Retry,     ///< look for an idle one or room again
        Borrowed,  ///< this child keeps none: connect, room was borrowed
        OneOff,    ///< waited long enough (or nothing is kept): a one-off
    };
    /// No idle connection and no room: waits a little for one of this
    /// child's kept connections to come back (first come first served;
    /// 10 ms, then 50 ms at most, then Retry). In a child that keeps none
    /// in use, borrows room beyond the bound at once: another child closes
    /// one of its kept connections for it. OneOff once `deadline` passed.
    Turn await_return(apr_time_t deadline, Wait& wait, int& handed) noexcept;
    /// The connection a Borrowed turn was for could not be opened.
    void forgive(bool borrowed) noexcept;
    /// A kept connection after a clean exchange: handed to a request of
    /// this child that waits for one, kept idle, or closed when a one-off
    /// connection waits for the application.
    void give_back(int fd) noexcept;
    /// A kept connection that may not be reused: closed and uncounted.
    void discard(int fd) noexcept;
    /// A kept connection was found closed by the app after an exchange.
    /// True (once) when that happened often enough to stop keeping any.
    bool note_closed_by_app() noexcept;
    /// A one-off connection is opened (+1) or closed (-1).
    void waiting(int delta) noexcept;

    struct Shared;
    struct Idle;
    ConnectionPool() = default;
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;
    ~ConnectionPool();
    /// Closes idle connections that expired, or all of them while someone
    /// waits; the sweeper calls it.
    bool sweep(apr_time_t now) noexcept;
    /// For an external app without -max-conns: asks it (FCGI_GET_VALUES)
    /// once per generation, in one child; the sweeper calls it.
    void learn_capacity(server_rec* s, const App& app) noexcept;

    Shared* shared = nullptr;
    Idle* idle = nullptr;
    const std::atomic<std::uint32_t>* moving_ = nullptr;  ///< the app's AppSlot::moving
};

}  // namespace fastcgi::httpd
