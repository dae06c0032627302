// The connection to an application: TCP (IPv4 or IPv6) or a Unix socket,
// opened per request with -appConnTimeout, closed when the exchange ends.
// Lifetime: the socket lives in a child pool of the request pool and is
// closed by the destructor (or that pool's destruction).
#pragma once

#include "app_registry.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

class Upstream {
public:
    explicit Upstream(request_rec* r);
    ~Upstream();
    Upstream(const Upstream&) = delete;
    Upstream& operator=(const Upstream&) = delete;

    /// Connects to `app`; on success the socket is non-blocking, ready for
    /// the exchange's poll loop. A timeout gives APR_TIMEUP.
    apr_status_t connect(const App& app);
    apr_socket_t* socket() const noexcept { return sock_; }
    void close() noexcept;

private:
    apr_pool_t* pool_ = nullptr;
    apr_socket_t* sock_ = nullptr;
};

}  // namespace fastcgi::httpd
