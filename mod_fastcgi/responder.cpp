// See responder.hpp.
#include "responder.hpp"

#include "pool_resource.hpp"

namespace fastcgi::httpd {

namespace {

/// Non-parsed headers: the app's output goes to the client as is, so drop
/// every filter above the connection level, as mod_cgi does.
void cut_to_connection_filters(request_rec* r) {
    ap_filter_t* f = r->proto_output_filters;
    while (f && f->frec->ftype < AP_FTYPE_CONNECTION) f = f->next;
    r->output_filters = r->proto_output_filters = f;
}

/// A response that asks to be streamed: Server-Sent Events, or nginx's
/// "X-Accel-Buffering: no" (which the client never sees). Either way every
/// piece of the app's output is flushed at once, as with -flush.
bool streams_itself(request_rec* r) {
    bool stream = r->content_type && !strncasecmp(r->content_type, "text/event-stream", 17);
    if (const char* v = apr_table_get(r->err_headers_out, "X-Accel-Buffering")) {
        if (!strcasecmp(v, "no")) stream = true;
        apr_table_unset(r->err_headers_out, "X-Accel-Buffering");
    }
    return stream;
}

}  // namespace

Responder::Responder(request_rec* r, const App& app, bool nph)
    : r_(r), app_(app), nph_(nph), parser_(pool_resource(r->pool)), bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc)),
      handoff_(r, app), flush_(app.config.flush) {
    headers_done_ = nph_;  // the app's output is the whole HTTP response
}

void Responder::add_body(apr_bucket* owner, apr_size_t offset, apr_size_t len) {
    if (len == 0 || r_->header_only || discard_body_) return;
    apr_bucket* b = nullptr;
    apr_bucket_copy(owner, &b);
    b->start += static_cast<apr_off_t>(offset);
    b->length = len;
    APR_BRIGADE_INSERT_TAIL(bb_, b);
}

Step Responder::header_error(const char* what) {
    header_error_ = true;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r_, "FastCGI: comm with server \"%s\" at %s aborted: error parsing headers: %s",
                  app_.config.filename.c_str(), app_.where.c_str(), what);
    return Step::Stop;
}

Step Responder::on_stdout(apr_bucket* owner, apr_size_t offset, std::string_view data) {
    if (nph_ && !cut_) {
        cut_to_connection_filters(r_);
        cut_ = true;
    }
    if (headers_done_) {
        add_body(owner, offset, data.size());
        return Step::Continue;
    }
    std::size_t used = 0;
    const Errc e = parser_.feed(data, used);
    if (e == Errc::need_more) return Step::Continue;
    if (e != Errc::ok) return header_error(std::string(to_string(e)).c_str());
    headers_done_ = true;
    if (on_headers() == Step::Stop) return Step::Stop;
    add_body(owner, offset + used, data.size() - used);
    return Step::Continue;
}

Step Responder::on_headers() {
    const CgiHeaders headers = read_cgi_headers(r_, parser_.headers());
    if (!headers.valid()) return header_error(headers.error.c_str());
    before_.emplace(r_);
    applied_ = apply_response_headers(r_, headers);
    flush_ = flush_ || streams_itself(r_);
    // claim() also strips the two headers from what was applied.
    if (handoff_.claim(parser_.headers())) {
        // Read the exchange to its end (the app is then free) and discard the body.
        applied_.verdict = HeaderVerdict::HandOff;
        discard_body_ = true;
    }
    switch (applied_.verdict) {
    case HeaderVerdict::HandOff:
        return Step::Continue;
    case HeaderVerdict::Stream:
        return r_->header_only ? Step::Stop : Step::Continue;
    case HeaderVerdict::InternalRedirect:
    case HeaderVerdict::ExternalRedirect:
    case HeaderVerdict::Conditional:
        return Step::Stop;  // the rest of the app's output is not wanted
    }
    return Step::Stop;
}

Step Responder::on_batch_end() {
    if (APR_BRIGADE_EMPTY(bb_)) return Step::Continue;
    if (flush_) APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_flush_create(r_->connection->bucket_alloc));
    const apr_status_t rv = ap_pass_brigade(r_->output_filters, bb_);
    apr_brigade_cleanup(bb_);
    sent_ = true;
    if (rv != APR_SUCCESS || r_->connection->aborted) return Step::Stop;
    return Step::Continue;
}

void Responder::discard_request_body() {
    // Whatever the client still sends is not for the redirect target.
    ap_discard_request_body(r_);
}

int Responder::finish(const Outcome& outcome) {
    apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
    if (outcome.failure == Failure::ClientAborted) return OK;
    if (outcome.failure == Failure::None && header_error_) {
        if (committed()) return OK;
        undo_headers();
        return HTTP_BAD_GATEWAY;
    }
    if (outcome.failure != Failure::None) {
        if (!committed()) {
            undo_headers();  // httpd builds its own error page, without the app's headers
            return status_for(outcome.failure);
        }
        // The headers are gone: make the client see a broken response (no
        // last chunk, connection closed) rather than a clean short body.
        apr_brigade_cleanup(bb_);
        r_->no_cache = 1;
        APR_BRIGADE_INSERT_TAIL(bb_, ap_bucket_error_create(HTTP_BAD_GATEWAY, nullptr, r_->pool, ba));
        APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(ba));
        r_->connection->keepalive = AP_CONN_CLOSE;
        ap_pass_brigade(r_->output_filters, bb_);
        apr_brigade_cleanup(bb_);
        return OK;
    }
    switch (applied_.verdict) {
    case HeaderVerdict::InternalRedirect:
        discard_request_body();
        // As the original: the target runs as a GET without a body.
        r_->method = "GET";
        r_->method_number = M_GET;
        apr_table_unset(r_->headers_in, "Content-Length");
        apr_table_unset(r_->headers_in, "Transfer-Encoding");
        ap_internal_redirect(applied_.location, r_);
        return OK;
    case HeaderVerdict::ExternalRedirect:
        discard_request_body();
        return HTTP_MOVED_TEMPORARILY;
    case HeaderVerdict::Conditional:
        return applied_.status;
    case HeaderVerdict::HandOff:
        return handoff_.serve();
    case HeaderVerdict::Stream:
        break;
    }
    APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(ba));
    ap_pass_brigade(r_->output_filters, bb_);
    apr_brigade_cleanup(bb_);
    return OK;
}

}  // namespace fastcgi::httpd
