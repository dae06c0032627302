// The meaning of an application's CGI headers for an HTTP response: Status,
// Content-Type, Location, Last-Modified, and the rest. What is not trusted
// (Content-Length, Transfer-Encoding) is dropped.
#pragma once

#include <string>
#include <vector>

#include "fastcgi/header_block.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// What the handler does once the headers are known.
enum class HeaderVerdict {
    Stream,            ///< send the headers and the body
    InternalRedirect,  ///< Location: /path with no Status: re-run as GET
    ExternalRedirect,  ///< Location: other with no Status: 302
    Conditional,       ///< ap_meets_conditions answered (304, 412)
    Invalid,           ///< bad Status: 502
    HandOff,           ///< X-Sendfile / X-Accel-Redirect (file_handoff.hpp), set by the responder
};

struct AppliedHeaders {
    HeaderVerdict verdict = HeaderVerdict::Stream;
    int status = OK;            ///< for Conditional
    const char* location = nullptr;
    std::string error;          ///< for Invalid
};

/// Headers an application may not dictate: httpd frames the body and
/// manages the connection itself.
bool is_hop_by_hop(const char* name) noexcept;

/// A CGI `Status:` value as a final HTTP status (200..599; 1xx is never
/// final). Sets `code` and `status_line` (null when there is no reason
/// phrase, so that httpd supplies its own); false when invalid.
bool parse_final_status(request_rec* r, std::string_view value, int& code, const char*& status_line);

/// Applies `headers` to `r` (status, content type, headers_out and
/// err_headers_out) and decides what happens next.
AppliedHeaders apply_response_headers(request_rec* r, const std::vector<Header>& headers);

}  // namespace fastcgi::httpd
