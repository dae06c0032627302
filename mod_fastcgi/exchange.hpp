// One conversation with an application: BEGIN_REQUEST + PARAMS + STDIN out,
// records in, STDOUT to a ResponseSink, STDERR to the error log, until
// FCGI_END_REQUEST. Sending and receiving interleave in one poll loop, so an
// app that answers before reading all its input never deadlocks us; every
// wait is bounded by -idle-timeout.
// Lifetime: one per request, on the handler's stack; not shared.
#pragma once

#include <functional>
#include <string>

#include "app_registry.hpp"
#include "balancer.hpp"
#include "fastcgi/gather_queue.hpp"
#include "fastcgi/record.hpp"
#include "outcome.hpp"
#include "request_body.hpp"
#include "response_sink.hpp"
#include "stderr_log.hpp"
#include "upstream.hpp"

namespace fastcgi::httpd {

class Exchange {
public:
    static constexpr apr_size_t kReadSize = 64 * 1024;

    Exchange(request_rec* r, const App& app, ResponseSink& sink, RequestBody* body);

    /// For an application that may still be starting (static or dynamic):
    /// retry a refused connect until `connect_deadline`, and (dynamic) call
    /// `on_wait` every `every` while waiting to connect or for the first
    /// answer.
    struct Waiting {
        apr_time_t connect_deadline = 0;
        apr_interval_time_t every = 0;
        std::function<void()> on_wait;
    };
    void set_waiting(Waiting w) { waiting_ = std::move(w); }

    /// Connects, sends `head` (BEGIN_REQUEST + PARAMS) and the body, reads
    /// the answer. Logs one line for any failure except the sink's own.
    Outcome run(std::string head);

    /// When the connection was established and when the exchange ended
    /// (for the process manager's statistics).
    apr_time_t connected_at() const noexcept { return connected_at_; }

private:
    enum class Read { More, Done };
    Outcome fail(Failure f, apr_status_t rv, std::string detail);
    Outcome fill_and_send(bool& want_client, apr_time_t& last_progress);
    Outcome read_some(Read& state);
    Outcome dispatch(apr_bucket* owner, const char* buf, apr_size_t n, Read& state);
    Outcome end_of_stream();
    apr_status_t connect(bool may_reuse);
    apr_status_t connect_member(bool may_reuse);
    Outcome converse(std::string head);
    std::string take_head();

    request_rec* r_;
    const App& app_;
    /// What the connection goes to: app_, or the member of a balanced app
    /// that accepted it (its address is the one log lines name).
    const App* target_;
    MemberLease lease_;
    std::string connect_detail_;  ///< why a balanced app's connect failed
    ResponseSink& sink_;
    RequestBody* body_;
    Upstream upstream_;
    RecordDecoder decoder_;
    StderrLog stderr_;
    std::string out_;      ///< the head (BEGIN_REQUEST, PARAMS, and an empty STDIN without a body)
    GatherQueue queue_;    ///< what is still to be sent: the rest of out_, then the body's records
    std::size_t sent_ = 0; ///< bytes sent on this connection
    bool sending_ = true;
    bool body_done_ = false;
    bool heard_ = false;  ///< the app has sent something
    bool reusable_ = false;  ///< ended cleanly: the connection may be kept
    bool may_retry_reset_ = false;  ///< a reset before any answer is retried once (see run())
    std::size_t head_size_ = 0;     ///< of out_'s head, to send it again on a retry
    Waiting waiting_;
    apr_time_t connected_at_ = 0;
};

}  // namespace fastcgi::httpd
