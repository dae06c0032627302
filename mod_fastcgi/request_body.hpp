// The request body as FCGI_STDIN. A body with a Content-Length is streamed
// from the input filters while the exchange runs; a chunked body is spooled
// first (in memory up to kSpoolInMemory bytes, then to a temporary file),
// within LimitRequestBody, so that the app gets a correct CONTENT_LENGTH.
// Lifetime: one per request; buffers and the spool file belong to r->pool.
#pragma once

#include <string>

#include "httpd.hpp"

namespace fastcgi::httpd {

class RequestBody {
public:
    static constexpr apr_size_t kSpoolInMemory = 64 * 1024;
    static constexpr apr_size_t kReadSize = 64 * 1024;

    explicit RequestBody(request_rec* r);

    /// Runs before the app is contacted: spools a chunked body and reads the
    /// first piece of a streamed one, so that a bad or oversized body is
    /// answered (413, 400, ...) without bothering the app. Returns OK or the
    /// HTTP status to answer.
    int prepare();

    /// Whether the request has a body at all (chunked, or a Content-Length
    /// above 0).
    bool has_body() const noexcept { return has_body_; }

    /// CONTENT_LENGTH for a spooled body, else nullptr.
    const char* spooled_length() const noexcept { return spooled_length_; }

    /// Appends the next STDIN record(s) (at most kReadSize body bytes) to
    /// `out`; at the end of the body appends the empty STDIN record and sets
    /// `done`. Returns APR_SUCCESS, APR_EAGAIN (nothing appended) when
    /// `block` is false and the client has sent nothing new, or the input
    /// error.
    apr_status_t next(std::string& out, bool& done, apr_read_type_e block = APR_BLOCK_READ);

    /// The client's socket when the body can be waited for with poll()
    /// (non-blocking reads then work), else nullptr: reads must block.
    apr_socket_t* pollable_socket() const noexcept { return client_socket_; }

    /// The HTTP status for an input error returned by next()/prepare().
    int status_for(apr_status_t rv) const;

private:
    apr_status_t read_input(std::string& chunk, bool& eof, apr_read_type_e block = APR_BLOCK_READ);
    apr_status_t spool();

    request_rec* r_;
    apr_bucket_brigade* bb_;
    bool chunked_ = false;
    bool has_body_ = false;
    bool eof_ = false;
    bool finished_ = false;
    std::string pending_;          ///< body bytes read but not yet framed
    const char* spooled_length_ = nullptr;
    apr_file_t* spool_file_ = nullptr;
    apr_off_t spooled_ = 0;
    apr_socket_t* client_socket_ = nullptr;
};

}  // namespace fastcgi::httpd
