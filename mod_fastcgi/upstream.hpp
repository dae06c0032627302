// The connection of one exchange to an application: TCP (IPv4 or IPv6) or
// a Unix socket. A connection to an app that reuses connections comes from
// its ConnectionPool when one is idle and the request may take one, and
// goes back there after a clean exchange; any other ends with the request.
// Plain non-blocking descriptors: the exchange polls and sends on them
// directly (no APR socket object to allocate, no mode switches per
// request).
// Lifetime: one per exchange; the destructor closes (or discards) a
// connection that was not given back.
#pragma once

#include "app_registry.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

class ConnectionPool;

/// Opens a non-blocking, close-on-exec connection to `app`, waiting at most
/// `timeout` (0: as long as it takes, as the original's blocking connect). Returns the descriptor, or -1 with `rv` set (APR_TIMEUP for a
/// timeout).
int connect_to(const App& app, apr_interval_time_t timeout, apr_status_t& rv) noexcept;

class Upstream {
public:
    Upstream() = default;
    ~Upstream();
    Upstream(const Upstream&) = delete;
    Upstream& operator=(const Upstream&) = delete;

    /// Connects to `app` (-appConnTimeout), or takes an idle kept
    /// connection when `may_reuse`. A request that may not reuse one (it
    /// has a body) still connects in the room of a kept one, waiting for
    /// one to come back as a reusing request would. `r` is for the log line
    /// when the pool gives up keeping connections to an app that closes
    /// them.
    apr_status_t open(request_rec* r, const App& app, bool may_reuse);

    int fd() const noexcept { return fd_; }
    /// The connection is to be kept after the exchange: BEGIN_REQUEST
    /// carries FCGI_KEEP_CONN.
    bool keep() const noexcept { return keep_; }
    /// It came from the pool (it may have been closed by the app meanwhile).
    bool reused() const noexcept { return reused_; }

    /// The connection is about to carry a request body: over a Unix socket,
    /// a send buffer that holds several pieces (kUnixSendBuffer), so that
    /// httpd is not woken for every few KiB the app reads. TCP sizes its
    /// buffers itself, and setting one would stop that. A kept connection
    /// gets it once, when it is made; a one-off one when it needs it.
    void prepare_for_body() noexcept;
    /// SO_SNDBUF asked for (the kernel caps it at net.core.wmem_max).
    static constexpr int kUnixSendBuffer = 1024 * 1024;

    /// The app closed this kept connection after an exchange: tells the
    /// pool, which stops keeping connections to an app that does so again
    /// and again.
    void app_closed_kept(request_rec* r, const App& app) noexcept;

    /// Ends the connection: back to the pool when `reusable` (a clean
    /// exchange) and it is a kept one, else closed.
    void finish(bool reusable) noexcept;

private:
    int fd_ = -1;
    ConnectionPool* pool_ = nullptr;
    bool keep_ = false;
    bool reused_ = false;
    bool one_off_counted_ = false;
    bool unix_ = false;
    bool sized_ = false;  ///< SO_SNDBUF is kUnixSendBuffer
};

}  // namespace fastcgi::httpd
