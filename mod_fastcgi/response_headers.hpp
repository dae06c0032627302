// The meaning of an application's CGI header block, shared by the
// responder and the authorizer roles: Status, Content-Type, Location,
// Last-Modified and the rest. Reading a block (read_cgi_headers) changes
// nothing in the request; only a valid block is applied
// (apply_response_headers), so a response that turns out broken never
// leaves its headers (Set-Cookie, ...) on the error page that replaces it.
// What is not trusted (Content-Length, Transfer-Encoding, hop-by-hop) is
// dropped.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fastcgi/header_block.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// Headers an application may not dictate: httpd frames the body and
/// manages the connection itself.
bool is_hop_by_hop(const char* name) noexcept;

/// A CGI `Status:` value as a final HTTP status (200..599; 1xx is never
/// final). Sets `code` and `status_line` (null when there is no reason
/// phrase, so that httpd supplies its own); false when invalid.
bool parse_final_status(request_rec* r, std::string_view value, int& code, const char*& status_line);

/// A header block read but not applied. Strings live in r->pool.
struct CgiHeaders {
    std::string error;                   ///< empty when the block is valid
    bool has_status = false;             ///< the last Status wins, as in the original
    int status = HTTP_OK;
    const char* status_line = nullptr;
    const char* content_type = nullptr;
    const char* location = nullptr;
    const char* last_modified = nullptr;
    /// Every other header, in order, hop-by-hop ones left out.
    std::pmr::vector<std::pair<const char*, const char*>> others;

    bool valid() const noexcept { return error.empty(); }
    /// The status CGI/1.1 gives the block: Status, else 302 for a Location
    /// (an authorizer's redirect is a denial), else 200.
    int effective_status() const noexcept {
        return has_status ? status : location ? HTTP_MOVED_TEMPORARILY : HTTP_OK;
    }
};

CgiHeaders read_cgi_headers(request_rec* r, const HeaderList& headers);

/// What the responder does once the headers are known.
enum class HeaderVerdict {
    Stream,            ///< send the headers and the body
    InternalRedirect,  ///< Location: /path with no Status: re-run as GET
    ExternalRedirect,  ///< Location: other with no Status: 302
    Conditional,       ///< ap_meets_conditions answered (304, 412)
    HandOff,           ///< X-Sendfile / X-Accel-Redirect (file_handoff.hpp), set by the responder
};

struct AppliedHeaders {
    HeaderVerdict verdict = HeaderVerdict::Stream;
    int status = OK;            ///< for Conditional
    const char* location = nullptr;
};

/// Applies a valid block to `r` (status, content type, headers_out and
/// err_headers_out) and decides what happens next.
AppliedHeaders apply_response_headers(request_rec* r, const CgiHeaders& h);

/// What apply_response_headers() changes, kept so that a gateway error
/// after the headers were applied but before anything was sent answers
/// with a clean error page.
class ResponseState {
public:
    explicit ResponseState(request_rec* r);
    void restore() const;

private:
    request_rec* r_;
    apr_table_t* headers_out_;
    apr_table_t* err_headers_out_;
    const char* content_type_;
    apr_time_t mtime_;
};

}  // namespace fastcgi::httpd
