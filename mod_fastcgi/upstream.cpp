// See upstream.hpp.
#include "upstream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "connection_pool.hpp"

namespace fastcgi::httpd {

namespace {

/// Waits for a non-blocking connect to finish, until `deadline` (0: no
/// limit).
apr_status_t wait_connected(int fd, apr_time_t deadline) noexcept {
    while (true) {
        const apr_interval_time_t left = deadline ? deadline - apr_time_now() : -1;
        if (deadline && left <= 0) return APR_TIMEUP;
        pollfd p{fd, POLLOUT, 0};
        const int n = ::poll(&p, 1, deadline ? static_cast<int>((left + 999) / 1000) : -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return APR_FROM_OS_ERROR(errno);
        if (n == 0) return APR_TIMEUP;
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return APR_FROM_OS_ERROR(errno);
        return err ? APR_FROM_OS_ERROR(err) : APR_SUCCESS;
    }
}

void log_gave_up(request_rec* r, const App& app) noexcept {
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "FastCGI: server \"%s\" at %s closes its connections after each request (it ignores "
                  "FCGI_KEEP_CONN): connections to it are no longer kept",
                  app.config.filename.c_str(), app.where.c_str());
}

}  // namespace

int connect_to(const App& app, apr_interval_time_t timeout, apr_status_t& rv) noexcept {
    const apr_sockaddr_t* sa = app.addr;
    const bool unix_socket = sa->family == APR_UNIX;
    const int fd = ::socket(sa->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        rv = APR_FROM_OS_ERROR(errno);
        return -1;
    }
    if (!unix_socket) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    // Without a timeout the connect waits as long as it takes, as the
    // original's blocking connect did (a full listen queue included).
    const apr_time_t deadline = timeout > 0 ? apr_time_now() + timeout : 0;
    rv = APR_SUCCESS;
    while (::connect(fd, reinterpret_cast<const sockaddr*>(&sa->sa), sa->salen) != 0) {
        if (errno == EINTR) continue;
        if (errno == EINPROGRESS) {
            rv = wait_connected(fd, deadline);
        } else if (unix_socket && errno == EAGAIN) {
            // A full Unix listen queue: a non-blocking connect cannot wait,
            // so try again until the deadline.
            if (deadline && apr_time_now() >= deadline) {
                rv = APR_TIMEUP;
            } else {
                ::usleep(5000);
                continue;
            }
        } else {
            rv = APR_FROM_OS_ERROR(errno);
        }
        break;
    }
    if (rv != APR_SUCCESS) {
        ::close(fd);
        return -1;
    }
    return fd;
}

Upstream::~Upstream() { finish(false); }

apr_status_t Upstream::open(request_rec* r, const App& app, bool may_reuse) {
    finish(false);
    pool_ = ConnectionPool::of(app);
    // While the app's requests move to new instances (a rolling reload),
    // a one-off connection: a kept one would hold an old instance.
    const bool keeps = pool_ && app.config.reuses_connections() && !pool_->moving();
    bool borrowed = false;
    if (keeps) {
        const apr_time_t deadline = apr_time_now() + ConnectionPool::kHandOverWait;
        ConnectionPool::Wait wait;
        for (;;) {
            // A request with a body takes room before a kept connection:
            // it will connect anew either way.
            if (!may_reuse && (keep_ = pool_->reserve())) break;
            bool gave_up = false;
            fd_ = pool_->take_idle(gave_up);
            if (gave_up) log_gave_up(r, app);
            if (fd_ >= 0 || (keep_ = pool_->reserve())) break;
            const ConnectionPool::Turn turn = pool_->await_return(deadline, wait, fd_);
            if (turn == ConnectionPool::Turn::Retry) continue;
            borrowed = keep_ = turn == ConnectionPool::Turn::Borrowed;
            break;  // Handed (fd_), Borrowed (connect, kept) or OneOff
        }
        if (fd_ >= 0 && may_reuse) {
            keep_ = reused_ = true;
            unix_ = sized_ = app.addr->family == APR_UNIX;  // sized when it was made
            return APR_SUCCESS;
        }
        if (fd_ >= 0) {
            // A body is never sent where the app may have closed the
            // connection after its last answer (it could not be sent
            // again): this one is closed, which frees its app process, and
            // a fresh one is made in its room. Waiting here, rather than
            // connecting at once as a one-off, lets the other requests
            // keep their connections.
            ::close(fd_);
            fd_ = -1;
            keep_ = true;
        }
    }
    const apr_interval_time_t timeout = apr_time_from_sec(app.config.app_conn_timeout);
    apr_status_t rv = APR_SUCCESS;
    fd_ = connect_to(app, timeout, rv);
    if (fd_ < 0) {
        if (keep_) pool_->discard(-1);
        if (pool_) pool_->forgive(borrowed);
        keep_ = false;
        pool_ = nullptr;
        return rv;
    }
    if (pool_ && !keep_) {
        pool_->waiting(+1);
        one_off_counted_ = true;
    }
    unix_ = app.addr->family == APR_UNIX;
    if (keep_) prepare_for_body();
    return APR_SUCCESS;
}

void Upstream::prepare_for_body() noexcept {
    if (!unix_ || sized_ || fd_ < 0) return;
    const int size = kUnixSendBuffer;
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    sized_ = true;
}

void Upstream::app_closed_kept(request_rec* r, const App& app) noexcept {
    if (pool_ && pool_->note_closed_by_app()) log_gave_up(r, app);
}

void Upstream::finish(bool reusable) noexcept {
    if (fd_ >= 0) {
        if (keep_ && reusable)
            pool_->give_back(fd_);
        else if (keep_)
            pool_->discard(fd_);
        else
            ::close(fd_);
    }
    if (one_off_counted_) pool_->waiting(-1);
    fd_ = -1;
    pool_ = nullptr;
    keep_ = reused_ = one_off_counted_ = unix_ = sized_ = false;
}

}  // namespace fastcgi::httpd
