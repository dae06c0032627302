// See response_headers.hpp.
#include "response_headers.hpp"

#include "pool_resource.hpp"

#include <apr_date.h>

namespace fastcgi::httpd {

bool is_hop_by_hop(const char* name) noexcept {
    for (const char* h : {"Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection",
                          "TE", "Trailer", "Upgrade"})
        if (!strcasecmp(name, h)) return true;
    return false;
}

bool parse_final_status(request_rec* r, std::string_view value, int& code, const char*& status_line) {
    std::string_view reason;
    if (parse_status(value, code, reason) != Errc::ok || code < 200) return false;
    status_line = reason.empty() ? nullptr
                                 : apr_psprintf(r->pool, "%03d %.*s", code, static_cast<int>(reason.size()),
                                                reason.data());
    return true;
}

CgiHeaders read_cgi_headers(request_rec* r, const HeaderList& headers) {
    CgiHeaders out;
    out.others = decltype(out.others)(pool_resource(r->pool));
    out.others.reserve(headers.size());
    for (const Header& h : headers) {
        const char* name = h.name.c_str();
        if (!strcasecmp(name, "Status")) {
            if (!parse_final_status(r, h.value, out.status, out.status_line)) {
                out.error = "invalid Status '" + std::string(std::string_view(h.value).substr(0, 64)) + "'";
                return out;
            }
            out.has_status = true;
            continue;
        }
        if (is_hop_by_hop(name)) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "FastCGI: ignoring %s from the app", name);
            continue;
        }
        const char* value = apr_pstrmemdup(r->pool, h.value.data(), h.value.size());
        if (!strcasecmp(name, "Content-Type"))
            out.content_type = value;
        else if (!strcasecmp(name, "Location"))
            out.location = value;
        else if (!strcasecmp(name, "Last-Modified"))
            out.last_modified = value;
        else
            out.others.emplace_back(apr_pstrmemdup(r->pool, h.name.data(), h.name.size()), value);
    }
    return out;
}

AppliedHeaders apply_response_headers(request_rec* r, const CgiHeaders& h) {
    AppliedHeaders out;
    r->status = h.has_status ? h.status : HTTP_OK;
    r->status_line = h.has_status ? h.status_line : nullptr;
    if (h.content_type) {
        // Never trusted to select a handler (CVE-2024-38476).
#if AP_MODULE_MAGIC_AT_LEAST(20120211, 132)
        ap_set_content_type_ex(r, h.content_type, 0);
#else
        ap_set_content_type(r, h.content_type);
#endif
    }
    if (h.location) apr_table_set(r->headers_out, "Location", h.location);
    if (h.last_modified) {
        const apr_time_t t = apr_date_parse_http(h.last_modified);
        if (t != APR_DATE_BAD) {
            ap_update_mtime(r, t);
            ap_set_last_modified(r);
        }
    }
    // err_headers_out: kept on internal redirects, and repeated headers
    // (Set-Cookie) stay separate lines.
    for (const auto& [name, value] : h.others) apr_table_add(r->err_headers_out, name, value);

    if (h.location && r->status == HTTP_OK) {
        out.location = h.location;
        out.verdict = h.location[0] == '/' ? HeaderVerdict::InternalRedirect : HeaderVerdict::ExternalRedirect;
        return out;
    }
    if (!h.has_status && r->method_number == M_GET) {
        const int cond = ap_meets_conditions(r);
        if (cond != OK) {
            out.verdict = HeaderVerdict::Conditional;
            out.status = cond;
        }
    }
    return out;
}

ResponseState::ResponseState(request_rec* r)
    : r_(r),
      headers_out_(apr_table_copy(r->pool, r->headers_out)),
      err_headers_out_(apr_table_copy(r->pool, r->err_headers_out)),
      content_type_(r->content_type),
      mtime_(r->mtime) {}

void ResponseState::restore() const {
    r_->headers_out = headers_out_;
    r_->err_headers_out = err_headers_out_;
    r_->content_type = content_type_;
    r_->mtime = mtime_;
    r_->status = HTTP_OK;
    r_->status_line = nullptr;
}

}  // namespace fastcgi::httpd
