// The request body as FCGI_STDIN. A body with a Content-Length is streamed
// from the input filters while the exchange runs, framed in records around
// the filters' own buckets (no copy: the records go out with one sendmsg over
// a GatherQueue); a chunked body is spooled first (in memory up to
// kSpoolInMemory bytes, then to a temporary file), within LimitRequestBody,
// so that the app gets a correct CONTENT_LENGTH.
// Lifetime: one per request; buffers, buckets and the spool file belong to
// r->pool and the connection's bucket allocator.
#pragma once

#include <string>

#include "fastcgi/gather_queue.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

class RequestBody {
public:
    static constexpr apr_size_t kSpoolInMemory = 64 * 1024;
    static constexpr apr_size_t kReadSize = 64 * 1024;
    /// One piece of a streamed body: read until this much is at hand or the
    /// client has nothing more for now (fewer sendmsg and poll calls).
    static constexpr apr_size_t kPieceSize = 128 * 1024;
    /// At most this many buckets in one piece (each is a span of the queue).
    static constexpr int kPieceBuckets = 32;

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

    /// Queues the next STDIN record(s) (at most kPieceSize body bytes) on
    /// `out`; at the end of the body also the empty STDIN record, and sets
    /// `done`. The spans point into buffers this object holds until the next
    /// call: call it again only once `out` has no byte of the previous piece
    /// left. Returns APR_SUCCESS, APR_EAGAIN (nothing queued) when `block`
    /// is APR_NONBLOCK_READ and the client has sent nothing new, or the
    /// input error.
    apr_status_t next(GatherQueue& out, bool& done, apr_read_type_e block = APR_BLOCK_READ);

    /// The client's socket when the body can be waited for with poll()
    /// (non-blocking reads then work), else nullptr: reads must block.
    apr_socket_t* pollable_socket() const noexcept { return client_socket_; }

    /// The HTTP status for an input error returned by next()/prepare().
    int status_for(apr_status_t rv) const;

private:
    apr_status_t read_input(std::string& chunk, bool& eof, apr_read_type_e block = APR_BLOCK_READ);
    apr_status_t read_piece(apr_read_type_e block);
    apr_status_t hold(apr_bucket* b);
    void queue(GatherQueue& out);
    apr_status_t spool();

    request_rec* r_;
    apr_bucket_brigade* bb_;       ///< what one ap_get_brigade() returns
    apr_bucket_brigade* held_;     ///< the data buckets of the piece being sent
    apr_off_t held_bytes_ = 0;
    bool chunked_ = false;
    bool has_body_ = false;
    bool eof_ = false;
    bool finished_ = false;
    bool unframed_ = false;        ///< held_ or pending_ has bytes not yet queued
    std::string pending_;          ///< a spooled body's bytes (memory or a read of the file)
    const char* spooled_length_ = nullptr;
    apr_file_t* spool_file_ = nullptr;
    apr_off_t spooled_ = 0;
    apr_socket_t* client_socket_ = nullptr;
};

}  // namespace fastcgi::httpd
