// See response_headers.hpp.
#include "response_headers.hpp"

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

AppliedHeaders apply_response_headers(request_rec* r, const std::vector<Header>& headers) {
    AppliedHeaders out;
    bool has_status = false;
    for (const Header& h : headers) {
        const char* name = h.name.c_str();
        const char* value = apr_pstrmemdup(r->pool, h.value.data(), h.value.size());
        if (!strcasecmp(name, "Status")) {
            int code = 0;
            const char* line = nullptr;
            if (!parse_final_status(r, h.value, code, line)) {
                out.verdict = HeaderVerdict::Invalid;
                out.error = "invalid Status '" + h.value.substr(0, 64) + "'";
                return out;
            }
            has_status = true;  // the last Status wins, as in the original
            r->status = code;
            r->status_line = line;
        } else if (!strcasecmp(name, "Content-Type")) {
            // Never trusted to select a handler (CVE-2024-38476).
#if AP_MODULE_MAGIC_AT_LEAST(20120211, 132)
            ap_set_content_type_ex(r, value, 0);
#else
            ap_set_content_type(r, value);
#endif
        } else if (!strcasecmp(name, "Location")) {
            apr_table_set(r->headers_out, "Location", value);
        } else if (is_hop_by_hop(name)) {
            // Not trusted: httpd frames the body and manages the connection.
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "FastCGI: ignoring %s from the app", name);
        } else if (!strcasecmp(name, "Last-Modified")) {
            const apr_time_t t = apr_date_parse_http(value);
            if (t != APR_DATE_BAD) {
                ap_update_mtime(r, t);
                ap_set_last_modified(r);
            }
        } else {
            // err_headers_out: kept on error pages and internal redirects, and
            // repeated headers (Set-Cookie) stay separate lines.
            apr_table_add(r->err_headers_out, name, value);
        }
    }
    if (!has_status) r->status = HTTP_OK;

    const char* location = apr_table_get(r->headers_out, "Location");
    if (location && r->status == HTTP_OK) {
        out.location = location;
        out.verdict = location[0] == '/' ? HeaderVerdict::InternalRedirect : HeaderVerdict::ExternalRedirect;
        return out;
    }
    if (!has_status && r->method_number == M_GET) {
        const int cond = ap_meets_conditions(r);
        if (cond != OK) {
            out.verdict = HeaderVerdict::Conditional;
            out.status = cond;
        }
    }
    return out;
}

}  // namespace fastcgi::httpd
