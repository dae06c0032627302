// See exchange.hpp.
#include "exchange.hpp"

#include <algorithm>

#include "params.hpp"

namespace fastcgi::httpd {

Exchange::Exchange(request_rec* r, const App& app, ResponseSink& sink, RequestBody* body)
    : r_(r), app_(app), sink_(sink), body_(body), upstream_(r) {}

Exchange::~Exchange() {
    stderr_.finish([this](std::string_view l) { log_stderr(l); });
}

void Exchange::log_stderr(std::string_view line) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r_, "FastCGI: server \"%s\" stderr: %s", app_.config.filename.c_str(),
                  escape_control(line).c_str());
}

Outcome Exchange::fail(Failure f, apr_status_t rv, std::string detail) {
    const char* app = app_.config.filename.c_str();
    const char* where = app_.where.c_str();
    switch (f) {
    case Failure::ConnectFailed:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_, "FastCGI: failed to connect to server \"%s\" at %s: %s", app,
                      where, detail.c_str());
        break;
    case Failure::ConnectTimeout:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                      "FastCGI: failed to connect to server \"%s\" at %s: connect() timed out "
                      "(appConnTimeout=%u sec)",
                      app, where, app_.config.app_conn_timeout);
        break;
    case Failure::IdleTimeout:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                      "FastCGI: comm with server \"%s\" at %s aborted:%s idle timeout (%u sec)", app, where,
                      detail.c_str(), app_.config.idle_timeout);
        break;
    case Failure::ProtocolError:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_, "FastCGI: comm with server \"%s\" at %s aborted: protocol error: %s",
                      app, where, detail.c_str());
        break;
    case Failure::IncompleteHeaders:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                      "FastCGI: incomplete headers (%" APR_SIZE_T_FMT " bytes) received from server \"%s\" at %s%s",
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
    case Failure::BadHeaders:
        break;
    }
    return {f, rv, std::move(detail)};
}

apr_status_t Exchange::connect() {
    apr_interval_time_t backoff = apr_time_from_msec(20);
    apr_time_t next_notice = apr_time_now() + waiting_.every;
    while (true) {
        const apr_status_t rv = upstream_.connect(app_);
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
    apr_status_t rv = connect();
    if (rv != APR_SUCCESS) {
        if (APR_STATUS_IS_TIMEUP(rv)) return fail(Failure::ConnectTimeout, rv, "");
        return fail(Failure::ConnectFailed, rv, "connect() failed");
    }
    connected_at_ = apr_time_now();
    out_ = std::move(head);
    out_pos_ = 0;
    bool body_done = body_ == nullptr;
    if (body_done) {
        append_record(out_, RecordType::Stdin, kRequestId, {});
    }
    apr_pollfd_t pfd{};
    pfd.p = r_->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.desc.s = upstream_.socket();
    const apr_interval_time_t idle = apr_time_from_sec(app_.config.idle_timeout);
    apr_time_t idle_deadline = apr_time_now() + idle;
    apr_time_t next_notice = apr_time_now() + waiting_.every;

    while (true) {
        if (sending_) {
            Outcome o = send_some(body_done);
            if (o.failure != Failure::None) return o;
        }
        const bool want_write = sending_ && out_pos_ < out_.size();
        if (sending_ && !want_write && !body_done) continue;  // more body to frame
        pfd.reqevents = APR_POLLIN | (want_write ? APR_POLLOUT : 0);
        apr_int32_t nready = 0;
        const bool notify = waiting_.on_wait && !heard_;
        apr_time_t now = apr_time_now();
        const apr_time_t until = notify ? std::min(idle_deadline, next_notice) : idle_deadline;
        rv = apr_poll(&pfd, 1, &nready, std::max<apr_interval_time_t>(until - now, 0));
        if (APR_STATUS_IS_EINTR(rv)) continue;
        if (APR_STATUS_IS_TIMEUP(rv)) {
            now = apr_time_now();
            if (now >= idle_deadline) return fail(Failure::IdleTimeout, rv, heard_ ? "" : " (first read)");
            if (notify && now >= next_notice) {
                waiting_.on_wait();
                next_notice = now + waiting_.every;
            }
            continue;
        }
        if (rv != APR_SUCCESS) return fail(Failure::ProtocolError, rv, "poll() failed");
        idle_deadline = apr_time_now() + idle;
        if (pfd.rtnevents & (APR_POLLIN | APR_POLLHUP | APR_POLLERR)) {
            Read state = Read::More;
            Outcome o = read_some(state);
            if (o.failure != Failure::None || state == Read::Done) return o;
        }
    }
}

Outcome Exchange::send_some(bool& body_done) {
    if (out_pos_ == out_.size() && !body_done) {
        out_.clear();
        out_pos_ = 0;
        if (apr_status_t rv = body_->next(out_, body_done); rv != APR_SUCCESS)
            return fail(r_->connection->aborted ? Failure::ClientAborted : Failure::ClientBodyError, rv, "");
    }
    while (out_pos_ < out_.size()) {
        apr_size_t len = out_.size() - out_pos_;
        const apr_status_t rv = apr_socket_send(upstream_.socket(), out_.data() + out_pos_, &len);
        out_pos_ += len;
        if (APR_STATUS_IS_EAGAIN(rv)) break;
        if (rv != APR_SUCCESS) {
            // The app stopped reading (it may have answered without reading
            // all its input): stop sending and read what it says.
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r_, "FastCGI: server \"%s\" stopped reading its input",
                          app_.config.filename.c_str());
            sending_ = false;
            break;
        }
    }
    if (body_done && out_pos_ == out_.size()) sending_ = false;
    return {};
}

Outcome Exchange::read_some(Read& state) {
    apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
    char* buf = static_cast<char*>(apr_bucket_alloc(kReadSize, ba));
    apr_size_t n = kReadSize;
    const apr_status_t rv = apr_socket_recv(upstream_.socket(), buf, &n);
    if (n == 0) {
        apr_bucket_free(buf);
        if (APR_STATUS_IS_EAGAIN(rv)) return {};
        if (rv == APR_EOF || rv == APR_SUCCESS || APR_STATUS_IS_ECONNRESET(rv)) return end_of_stream();
        return fail(sink_.headers_done() ? Failure::AppClosedEarly : Failure::IncompleteHeaders, rv,
                    ": recv() failed");
    }
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
            stderr_.feed(std::string_view(reinterpret_cast<const char*>(f.data.data()), f.data.size()),
                         [this](std::string_view l) { log_stderr(l); });
            break;
        case RecordType::EndRequest: {
            const EndRequestBody end = parse_end_request(f.data);
            if (end.protocol_status != static_cast<std::uint8_t>(ProtocolStatus::RequestComplete))
                return fail(Failure::ProtocolError, APR_SUCCESS,
                            "FCGI_END_REQUEST with protocol status " + std::to_string(end.protocol_status) + " (" +
                                std::string(to_string(static_cast<ProtocolStatus>(end.protocol_status))) + ")");
            if (!sink_.headers_done()) return fail(Failure::IncompleteHeaders, APR_SUCCESS, "");
            const std::size_t padding = std::min(decoder_.padding_left(), n - pos);
            if (pos + padding < n)
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r_,
                              "FastCGI: server \"%s\" at %s sent %" APR_SIZE_T_FMT
                              " bytes after FCGI_END_REQUEST; ignored",
                              app_.config.filename.c_str(), app_.where.c_str(), n - pos - padding);
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
