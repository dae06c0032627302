// See exchange.hpp.
#include "exchange.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "params.hpp"

namespace fastcgi::httpd {

Exchange::Exchange(request_rec* r, const App& app, ResponseSink& sink, RequestBody* body)
    : r_(r), app_(app), target_(&app), sink_(sink), body_(body), stderr_(r, app) {
    // A request without a body needs no reading from the client: its empty
    // FCGI_STDIN goes with the head, and it can be replayed on a new
    // connection when a kept one turns out closed.
    if (body_ && !body_->has_body()) body_ = nullptr;
}

namespace {

/// What an administrator most likely has to do about a failed connect
/// (docs/troubleshooting.md lists these lines).
const char* connect_hint(apr_status_t rv) noexcept {
    if (APR_STATUS_IS_ENOENT(rv))
        return "; likely fix: start the application on that socket, or correct -socket (a relative path is inside "
               "FastCgiIpcDir)";
    if (rv == APR_FROM_OS_ERROR(EACCES))
        return "; likely fix: give httpd's User write permission on the socket and search permission on its "
               "directories (PHP-FPM: listen.owner/listen.group/listen.mode)";
    if (APR_STATUS_IS_ECONNREFUSED(rv))
        return "; likely fix: nothing listens there: start the application, or correct -host/-socket (127.0.0.1 "
               "and ::1 differ)";
    return "";
}

}  // namespace

Outcome Exchange::fail(Failure f, apr_status_t rv, std::string detail) {
    const char* app = app_.config.filename.c_str();
    const char* where = target_->where.c_str();
    switch (f) {
    case Failure::ConnectFailed:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_, "FastCGI: failed to connect to server \"%s\" at %s: %s%s", app,
                      where, detail.c_str(), connect_hint(rv));
        break;
    case Failure::ConnectTimeout:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                      "FastCGI: failed to connect to server \"%s\" at %s: connect() timed out "
                      "(appConnTimeout=%u sec); likely fix: the address drops connections or all the application's "
                      "workers are busy: check -host, add processes, or raise -appConnTimeout",
                      app, where, app_.config.app_conn_timeout);
        break;
    case Failure::IdleTimeout:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                      "FastCGI: comm with server \"%s\" at %s aborted:%s idle timeout (%u sec); likely fix: raise "
                      "-idle-timeout for slow requests, or find why the application hangs",
                      app, where, detail.c_str(), app_.config.idle_timeout);
        break;
    case Failure::ProtocolError:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_, "FastCGI: comm with server \"%s\" at %s aborted: protocol error: %s",
                      app, where, detail.c_str());
        break;
    case Failure::IncompleteHeaders:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                      "FastCGI: incomplete headers (%" APR_SIZE_T_FMT " bytes) received from server \"%s\" at %s%s; "
                      "likely fix: the application closed before the blank line ending its headers: see its stderr "
                      "above",
                      sink_.header_bytes(), app, where, detail.c_str());
        break;
    case Failure::AppClosedEarly:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                      "FastCGI: server \"%s\" at %s closed the connection before FCGI_END_REQUEST, "
                      "response truncated",
                      app, where);
        break;
    case Failure::ClientBodyError:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r_,
                      "FastCGI: reading the request body for server \"%s\" failed", app);
        break;
    case Failure::ClientAborted:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r_,
                      "FastCGI: client stopped the connection before server \"%s\" finished", app);
        break;
    case Failure::None:
    case Failure::Overloaded:
    case Failure::BadHeaders:
    case Failure::StaleConnection:
        break;
    }
    return {f, rv, std::move(detail)};
}

apr_status_t Exchange::connect_member(bool may_reuse) {
    // Failover: a connect that failed sent nothing, so any request (one
    // with a body too) may go to the next member. Once connected, the
    // request is the member's: nothing is replayed elsewhere.
    std::uint64_t tried = 0;
    std::size_t i = 0;
    apr_status_t rv = APR_EAGAIN;
    while (const App* m = Balancer::pick(app_, tried, i)) {
        tried |= std::uint64_t{1} << i;
        target_ = m;
        rv = upstream_.open(r_, *m, may_reuse);
        if (rv == APR_SUCCESS) {
            lease_.start(*m);
            Balancer::connected(r_, app_, *m);
            return rv;
        }
        Balancer::failed(r_, app_, *m, rv);
    }
    target_ = &app_;
    const std::size_t n = app_.members.size();
    if (tried == 0) {
        const apr_interval_time_t next = Balancer::next_try_in(app_);
        connect_detail_ = "all " + std::to_string(n) + " members are down";
        if (next >= 0) connect_detail_ += ", next try in " + std::to_string((next + 999999) / 1000000) + " s";
    } else {
        const auto count = static_cast<std::size_t>(__builtin_popcountll(tried));
        connect_detail_ = "no member accepted the connection (" +
                          (count == n ? "all " + std::to_string(n) + " tried"
                                      : std::to_string(count) + " of " + std::to_string(n) +
                                            " tried, the others are down") +
                          ")";
    }
    // The last member's failure (a timeout is told as one), or EAGAIN when
    // none could be tried.
    return rv;
}

apr_status_t Exchange::connect(bool may_reuse) {
    lease_.end();
    if (!app_.members.empty()) return connect_member(may_reuse);
    apr_interval_time_t backoff = apr_time_from_msec(20);
    apr_time_t next_notice = apr_time_now() + waiting_.every;
    while (true) {
        const apr_status_t rv = upstream_.open(r_, app_, may_reuse);
        if (rv == APR_SUCCESS) return rv;
        const bool not_yet = APR_STATUS_IS_ECONNREFUSED(rv) || APR_STATUS_IS_ENOENT(rv);
        const apr_time_t now = apr_time_now();
        if (!not_yet || now >= waiting_.connect_deadline) return rv;
        if (waiting_.on_wait && now >= next_notice) {
            waiting_.on_wait();
            next_notice = now + waiting_.every;
        }
        apr_sleep(std::min(backoff, waiting_.connect_deadline - now));
        backoff = std::min<apr_interval_time_t>(backoff * 2, apr_time_from_msec(500));
    }
}

Outcome Exchange::run(std::string head) {
    // A GET, HEAD or OPTIONS without a body whose fresh connection is reset
    // before one byte of the answer was queued in a listener whose app died
    // (an app killed with its backlog, or a process manager killed with its
    // apps): the app never took it. Being idempotent, it is sent once more,
    // as nginx does for such methods; a POST never is.
    const int m = r_->method_number;
    may_retry_reset_ = body_ == nullptr && (m == M_GET || m == M_OPTIONS);
    const apr_interval_time_t connect_span =
        waiting_.connect_deadline ? std::max<apr_interval_time_t>(waiting_.connect_deadline - apr_time_now(), 0) : 0;
    bool after_reset = false;
    for (bool first = true;; first = false) {
        const apr_status_t rv = connect(first && body_ == nullptr);
        if (rv != APR_SUCCESS) {
            // The retry found no server: the client gets what the reset meant.
            if (after_reset)
                return fail(Failure::IncompleteHeaders, APR_ECONNRESET, ": connection reset, and no server to retry on");
            if (APR_STATUS_IS_TIMEUP(rv)) return fail(Failure::ConnectTimeout, rv, connect_detail_);
            return fail(Failure::ConnectFailed, rv, connect_detail_.empty() ? "connect() failed" : connect_detail_);
        }
        Outcome o = converse(std::move(head));
        if (o.failure != Failure::StaleConnection) {
            upstream_.finish(reusable_);
            lease_.end();
            return o;
        }
        if (o.detail == "reset") {
            // Once only; the wait for a server starts anew, and a dynamic
            // app's process manager hears at once that one is wanted.
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, o.rv, r_,
                          "FastCGI: server \"%s\" reset the connection before reading the request "
                          "(its process ended?); sending it once more",
                          app_.config.filename.c_str());
            may_retry_reset_ = false;
            after_reset = true;
            if (connect_span) waiting_.connect_deadline = apr_time_now() + connect_span;
            if (waiting_.on_wait) waiting_.on_wait();
        } else {
            // The app had closed the kept connection (it has no body, so it
            // can be sent again): once more on a new one.
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, o.rv, r_,
                          "FastCGI: server \"%s\" closed a kept connection; retrying on a new one",
                          app_.config.filename.c_str());
            if (o.detail == "closed") upstream_.app_closed_kept(r_, *target_);
        }
        upstream_.finish(false);
        head = take_head();
        decoder_ = RecordDecoder();
        sending_ = true;
    }
}

std::string Exchange::take_head() {
    // A request without a body: out_ still holds the head and its empty
    // FCGI_STDIN, which converse() appends again.
    out_.resize(head_size_);
    return std::move(out_);
}

Outcome Exchange::converse(std::string head) {
    connected_at_ = apr_time_now();
    out_ = std::move(head);
    head_size_ = out_.size();
    // The head starts with BEGIN_REQUEST; its flags byte says whether the
    // app is to keep the connection, which is known only now.
    out_[kHeaderSize + 2] = upstream_.keep() ? static_cast<char>(kKeepConn) : 0;
    body_done_ = body_ == nullptr;
    if (body_done_) append_record(out_, RecordType::Stdin, kRequestId, {});
    queue_.clear();
    queue_.push(out_.data(), out_.size());
    sent_ = 0;
    if (body_) upstream_.prepare_for_body();
    int client_fd = -1;
    if (apr_socket_t* client = body_ ? body_->pollable_socket() : nullptr) {
        apr_os_sock_t os = -1;
        if (apr_os_sock_get(&os, client) == APR_SUCCESS) client_fd = os;
    }

    pollfd pfd[2] = {{upstream_.fd(), POLLIN, 0}, {client_fd, POLLIN, 0}};
    const apr_interval_time_t idle = apr_time_from_sec(app_.config.idle_timeout);
    const apr_interval_time_t client_timeout = r_->server->timeout;
    apr_time_t last_progress = apr_time_now();
    apr_time_t next_notice = last_progress + waiting_.every;

    // Every pass polls the app, so an answer that comes while the body is
    // still being sent (a 413, say) ends the exchange at once; the body is
    // read without blocking where the client's socket can be polled.
    while (true) {
        bool want_client = false;
        if (sending_) {
            Outcome o = fill_and_send(want_client, last_progress);
            if (o.failure != Failure::None) return o;
        }
        const bool want_write = sending_ && !queue_.empty();
        // All framed bytes went out and more body is at hand: only look
        // whether the app said something, then frame the next piece.
        const bool more_body = sending_ && !want_write && !want_client && !body_done_;
        pfd[0].events = static_cast<short>(POLLIN | (want_write ? POLLOUT : 0));
        // Waiting for the client only: the app is waiting for us, so the
        // client's Timeout applies, not the app's -idle-timeout.
        const bool client_only = want_client && !want_write;
        const apr_time_t deadline = last_progress + (client_only ? client_timeout : idle);
        const bool notify = waiting_.on_wait && !heard_;
        apr_time_t now = apr_time_now();
        const apr_time_t until = notify ? std::min(deadline, next_notice) : deadline;
        const int ms = more_body ? 0 : static_cast<int>((std::max<apr_interval_time_t>(until - now, 0) + 999) / 1000);
        const int n = ::poll(pfd, want_client ? 2 : 1, ms);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(Failure::ProtocolError, APR_FROM_OS_ERROR(errno), "poll() failed");
        if (n == 0) {
            if (more_body) continue;
            now = apr_time_now();
            if (now >= deadline) {
                if (client_only) return fail(Failure::ClientBodyError, APR_TIMEUP, "");
                return fail(Failure::IdleTimeout, APR_TIMEUP, heard_ ? "" : " (first read)");
            }
            if (notify && now >= next_notice) {
                waiting_.on_wait();
                next_notice = now + waiting_.every;
            }
            continue;
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            last_progress = apr_time_now();
            Read state = Read::More;
            Outcome o = read_some(state);
            if (o.failure != Failure::None || state == Read::Done) return o;
        }
    }
}

Outcome Exchange::fill_and_send(bool& want_client, apr_time_t& last_progress) {
    // The next piece of the body is queued once the previous one is out,
    // behind what is left of the head (so the first goes with the head).
    const std::size_t head_left = sent_ < out_.size() ? out_.size() - sent_ : 0;
    if (!body_done_ && queue_.size() == head_left) {
        const apr_read_type_e block = body_->pollable_socket() ? APR_NONBLOCK_READ : APR_BLOCK_READ;
        const apr_status_t rv = body_->next(queue_, body_done_, block);
        if (APR_STATUS_IS_EAGAIN(rv)) {
            want_client = true;
            return {};
        }
        if (rv != APR_SUCCESS)
            return fail(r_->connection->aborted ? Failure::ClientAborted : Failure::ClientBodyError, rv, "");
        last_progress = apr_time_now();
    }
    while (!queue_.empty()) {
        iovec iov[GatherQueue::kMaxSpans];
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = queue_.to_iovec(iov, GatherQueue::kMaxSpans);
        const ssize_t len = ::sendmsg(upstream_.fd(), &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (len > 0) {
            queue_.consume(static_cast<std::size_t>(len));
            sent_ += static_cast<std::size_t>(len);
            last_progress = apr_time_now();
            continue;
        }
        if (len < 0 && errno == EINTR) continue;
        if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        {
            const int err = errno;
            const apr_status_t rv = APR_FROM_OS_ERROR(err);
            // A kept connection the app had closed before this request: not
            // one byte of it went out, so the app cannot have seen it.
            if (upstream_.reused() && sent_ == 0 && (err == EPIPE || err == ECONNRESET))
                return {Failure::StaleConnection, rv, ""};
            // The app stopped reading (it may have answered without reading
            // all its input): stop sending and read what it says.
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r_, "FastCGI: server \"%s\" stopped reading its input",
                          app_.config.filename.c_str());
            sending_ = false;
            return {};
        }
    }
    if (body_done_ && queue_.empty()) sending_ = false;
    return {};
}

Outcome Exchange::read_some(Read& state) {
    apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
    char* buf = static_cast<char*>(apr_bucket_alloc(kReadSize, ba));
    ssize_t got;
    do {
        got = ::recv(upstream_.fd(), buf, kReadSize, MSG_DONTWAIT);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        const int err = got < 0 ? errno : 0;
        apr_bucket_free(buf);
        if (got < 0 && (err == EAGAIN || err == EWOULDBLOCK)) return {};
        // A kept connection that ends before one byte of the answer: the app
        // closed it after the last request (it ignores FCGI_KEEP_CONN) while
        // this one was on its way. Sent once more, on a new connection.
        if (upstream_.reused() && !heard_ && (got == 0 || err == ECONNRESET))
            return {Failure::StaleConnection, got == 0 ? APR_EOF : APR_FROM_OS_ERROR(err), "closed"};
        if (may_retry_reset_ && !heard_ && err == ECONNRESET)
            return {Failure::StaleConnection, APR_FROM_OS_ERROR(err), "reset"};
        if (got == 0 || err == ECONNRESET) return end_of_stream();
        return fail(sink_.headers_done() ? Failure::AppClosedEarly : Failure::IncompleteHeaders,
                    APR_FROM_OS_ERROR(err), ": recv() failed");
    }
    const apr_size_t n = static_cast<apr_size_t>(got);
    heard_ = true;
    apr_bucket* owner = apr_bucket_heap_create(buf, n, apr_bucket_free, ba);
    Outcome o = dispatch(owner, buf, n, state);
    apr_bucket_destroy(owner);
    if (o.failure != Failure::None) return o;
    if (sink_.on_batch_end() == Step::Stop) return fail(Failure::ClientAborted, APR_ECONNABORTED, "");
    return {};
}

Outcome Exchange::end_of_stream() {
    if (!decoder_.at_boundary())
        return fail(Failure::ProtocolError, APR_EOF, "connection closed inside a record (truncated record)");
    if (!sink_.headers_done()) return fail(Failure::IncompleteHeaders, APR_EOF, "");
    return fail(Failure::AppClosedEarly, APR_EOF, "");
}

Outcome Exchange::dispatch(apr_bucket* owner, const char* buf, apr_size_t n, Read& state) {
    const Bytes in(reinterpret_cast<const std::uint8_t*>(buf), n);
    std::size_t pos = 0;
    while (pos < n) {
        std::size_t used = 0;
        Fragment f;
        const Errc e = decoder_.next(in.subspan(pos), used, f);
        pos += used;
        if (e == Errc::need_more) break;
        if (e != Errc::ok) return fail(Failure::ProtocolError, APR_SUCCESS, std::string(to_string(e)));
        if (f.request_id != kRequestId) {
            if (f.request_id == kNullRequestId && is_management(f.type)) continue;
            return fail(Failure::ProtocolError, APR_SUCCESS,
                        std::string(to_string(f.type)) + " record for request id " + std::to_string(f.request_id));
        }
        switch (f.type) {
        case RecordType::Stdout:
            if (!f.data.empty()) {
                const char* bytes = reinterpret_cast<const char*>(f.data.data());
                if (sink_.on_stdout(owner, static_cast<apr_size_t>(bytes - buf),
                                    std::string_view(bytes, f.data.size())) == Step::Stop) {
                    state = Read::Done;
                    return {};
                }
            }
            break;
        case RecordType::Stderr:
            stderr_.feed(std::string_view(reinterpret_cast<const char*>(f.data.data()), f.data.size()));
            break;
        case RecordType::EndRequest: {
            const EndRequestBody end = parse_end_request(f.data);
            if (end.protocol_status != static_cast<std::uint8_t>(ProtocolStatus::RequestComplete))
                return fail(Failure::ProtocolError, APR_SUCCESS,
                            "FCGI_END_REQUEST with protocol status " + std::to_string(end.protocol_status) + " (" +
                                std::string(to_string(static_cast<ProtocolStatus>(end.protocol_status))) + ")");
            if (!sink_.headers_done()) return fail(Failure::IncompleteHeaders, APR_SUCCESS, "");
            const std::size_t padding = std::min(decoder_.padding_left(), n - pos);
            // Reused only when the app has all it was sent and nothing of
            // this exchange is left on the connection.
            reusable_ = !sending_ && pos + padding == n && padding == decoder_.padding_left();
            if (pos + padding < n)
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r_,
                              "FastCGI: server \"%s\" at %s sent %" APR_SIZE_T_FMT
                              " bytes after FCGI_END_REQUEST; ignored",
                              app_.config.filename.c_str(), target_->where.c_str(), n - pos - padding);
            state = Read::Done;
            return {};
        }
        case RecordType::GetValuesResult:
        case RecordType::UnknownType:
            break;
        default:
            return fail(Failure::ProtocolError, APR_SUCCESS, "unexpected " + std::string(to_string(f.type)) + " record");
        }
    }
    return {};
}

}  // namespace fastcgi::httpd
