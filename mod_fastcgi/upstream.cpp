// See upstream.hpp.
#include "upstream.hpp"

namespace fastcgi::httpd {

Upstream::Upstream(request_rec* r) { apr_pool_create(&pool_, r->pool); }

Upstream::~Upstream() {
    close();
    if (pool_) apr_pool_destroy(pool_);
}

void Upstream::close() noexcept {
    if (sock_) {
        apr_socket_close(sock_);
        sock_ = nullptr;
    }
}

apr_status_t Upstream::connect(const App& app) {
    close();
    const int family = app.addr->family;
    const int proto = family == APR_UNIX ? 0 : APR_PROTO_TCP;
    apr_status_t rv = apr_socket_create(&sock_, family, SOCK_STREAM, proto, pool_);
    if (rv != APR_SUCCESS) return rv;
    if (family != APR_UNIX) apr_socket_opt_set(sock_, APR_TCP_NODELAY, 1);
    // -appConnTimeout 0 means a blocking connect, as in the original.
    const unsigned secs = app.config.app_conn_timeout;
    apr_socket_timeout_set(sock_, secs ? apr_time_from_sec(secs) : -1);
    rv = apr_socket_connect(sock_, app.addr);
    if (rv != APR_SUCCESS) {
        close();
        return rv;
    }
    apr_socket_timeout_set(sock_, 0);
    return APR_SUCCESS;
}

}  // namespace fastcgi::httpd
