// The RESPONDER role's sink: FCGI_STDOUT -> CGI headers -> HTTP response.
// The headers are applied only once the whole block is valid, and undone
// when the exchange fails before anything was sent. With -nph the request
// is cut down to the connection filters only once the app's first bytes
// are in hand, so that a failure before that still gets httpd's own
// status line and error page.
// The body goes out as slices of the exchange's read buffers (no copy),
// passed down the filter chain after every read from the app: without
// -flush httpd's filters may hold small amounts; with -flush, or for a
// response of type text/event-stream or with "X-Accel-Buffering: no" (that
// header removed), a FLUSH bucket follows each read. Memory stays bounded whatever the response size,
// because ap_pass_brigade blocks while the client is slower than the app.
#pragma once

#include <optional>

#include "app_registry.hpp"
#include "fastcgi/header_block.hpp"
#include "file_handoff.hpp"
#include "outcome.hpp"
#include "response_headers.hpp"
#include "response_sink.hpp"

namespace fastcgi::httpd {

class Responder final : public ResponseSink {
public:
    Responder(request_rec* r, const App& app, bool nph);

    Step on_stdout(apr_bucket* owner, apr_size_t offset, std::string_view data) override;
    Step on_batch_end() override;
    bool headers_done() const override { return headers_done_; }
    std::size_t header_bytes() const override { return parser_.bytes_seen(); }
    bool headers_invalid() const override { return header_error_; }

    /// The handler's return value once the exchange ended with `outcome`.
    int finish(const Outcome& outcome);
    bool sent() const noexcept { return sent_; }

private:
    Step on_headers();
    Step header_error(const char* what);
    bool committed() const noexcept { return sent_ || cut_; }
    void undo_headers() const {
        if (before_) before_->restore();
    }
    void add_body(apr_bucket* owner, apr_size_t offset, apr_size_t len);
    void discard_request_body();

    request_rec* r_;
    const App& app_;
    bool nph_;
    HeaderBlockParser parser_;
    AppliedHeaders applied_;
    std::optional<ResponseState> before_;  ///< the response before the app's headers
    apr_bucket_brigade* bb_;
    bool headers_done_ = false;
    bool header_error_ = false;
    bool sent_ = false;  ///< something went down the filter chain
    bool cut_ = false;   ///< -nph: the HTTP filters are gone
    FileHandoff handoff_;
    bool discard_body_ = false;  ///< the app's body is not wanted (HandOff)
    bool flush_;                 ///< -flush, or a response that asks to be streamed
};

}  // namespace fastcgi::httpd
