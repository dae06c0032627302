// See request_body.hpp.
#include "request_body.hpp"

#include <array>
#include <cstring>
#include <span>

#include "fastcgi/record.hpp"
#include "params.hpp"

namespace fastcgi::httpd {

RequestBody::RequestBody(request_rec* r)
    : r_(r),
      bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc)),
      held_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {
    chunked_ = apr_table_get(r->headers_in, "Transfer-Encoding") != nullptr;
    const char* length = apr_table_get(r->headers_in, "Content-Length");
    has_body_ = chunked_ || (length && apr_atoi64(length) > 0);
    // An HTTP/2 stream (a secondary connection) has no socket of its own.
    if (!r->connection->master) client_socket_ = ap_get_conn_socket(r->connection);
}

int RequestBody::status_for(apr_status_t rv) const { return ap_map_http_request_error(rv, HTTP_BAD_REQUEST); }

apr_status_t RequestBody::read_input(std::string& chunk, bool& eof, apr_read_type_e block) {
    eof = false;
    apr_status_t rv = ap_get_brigade(r_->input_filters, bb_, AP_MODE_READBYTES, block, kReadSize);
    if (rv != APR_SUCCESS) {
        apr_brigade_cleanup(bb_);
        return rv;
    }
    if (block == APR_NONBLOCK_READ && APR_BRIGADE_EMPTY(bb_)) return APR_EAGAIN;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb_); b != APR_BRIGADE_SENTINEL(bb_); b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_EOS(b)) {
            eof = true;
            break;
        }
        if (APR_BUCKET_IS_METADATA(b)) continue;
        const char* data = nullptr;
        apr_size_t len = 0;
        rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        if (rv != APR_SUCCESS) break;
        chunk.append(data, len);
    }
    apr_brigade_cleanup(bb_);
    return rv;
}

apr_status_t RequestBody::spool() {
    const apr_off_t limit = ap_get_limit_req_body(r_);
    std::string chunk;
    while (!eof_) {
        chunk.clear();
        if (apr_status_t rv = read_input(chunk, eof_); rv != APR_SUCCESS) return rv;
        spooled_ += static_cast<apr_off_t>(chunk.size());
        if (limit > 0 && spooled_ > limit) return APR_ENOSPC;
        if (!spool_file_ && pending_.size() + chunk.size() <= kSpoolInMemory) {
            pending_.append(chunk);
            continue;
        }
        if (!spool_file_) {
            const char* tmp = nullptr;
            apr_status_t rv = apr_temp_dir_get(&tmp, r_->pool);
            if (rv != APR_SUCCESS) return rv;
            char* tmpl = apr_pstrcat(r_->pool, tmp, "/mod_fastcgi.XXXXXX", nullptr);
            rv = apr_file_mktemp(&spool_file_, tmpl,
                                 APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL |
                                     APR_FOPEN_DELONCLOSE | APR_FOPEN_BINARY,
                                 r_->pool);
            if (rv != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_,
                              "FastCGI: cannot create a temporary file in %s to spool a chunked request body",
                              tmp);
                return rv;
            }
            if (!pending_.empty()) {
                rv = apr_file_write_full(spool_file_, pending_.data(), pending_.size(), nullptr);
                if (rv != APR_SUCCESS) return rv;
                pending_.clear();
            }
        }
        if (apr_status_t rv = apr_file_write_full(spool_file_, chunk.data(), chunk.size(), nullptr);
            rv != APR_SUCCESS)
            return rv;
    }
    if (spool_file_) {
        apr_off_t start = 0;
        if (apr_status_t rv = apr_file_seek(spool_file_, APR_SET, &start); rv != APR_SUCCESS) return rv;
        eof_ = false;  // the input is done; next() now reads the spool file
    } else {
        unframed_ = !pending_.empty();
    }
    spooled_length_ = apr_off_t_toa(r_->pool, spooled_);
    return APR_SUCCESS;
}

int RequestBody::prepare() {
    apr_status_t rv = APR_SUCCESS;
    if (chunked_) {
        rv = spool();
    } else {
        rv = read_piece(APR_BLOCK_READ);
        unframed_ = held_bytes_ > 0;
    }
    if (rv == APR_SUCCESS) return OK;
    const int status = status_for(rv);
    if (status != HTTP_REQUEST_ENTITY_TOO_LARGE && status != AP_FILTER_ERROR)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r_, "FastCGI: error reading the request body");
    return status;
}

apr_status_t RequestBody::hold(apr_bucket* b) {
    const char* data = nullptr;
    apr_size_t len = 0;
    if (apr_status_t rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ); rv != APR_SUCCESS) return rv;
    if (len == 0) {
        apr_bucket_delete(b);
        return APR_SUCCESS;
    }
    // The bytes are sent after further reads from the input filters: a heap
    // or immortal bucket keeps its bytes until destroyed, a transient one
    // (mod_ssl's) only until the filter's next call, so it is set aside (a
    // copy); a bucket type that cannot be set aside is copied here.
    if (!APR_BUCKET_IS_HEAP(b) && !APR_BUCKET_IS_IMMORTAL(b)) {
        const apr_status_t rv = apr_bucket_setaside(b, r_->pool);
        if (rv == APR_ENOTIMPL) {
            apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
            char* copy = static_cast<char*>(apr_bucket_alloc(len, ba));
            std::memcpy(copy, data, len);
            apr_bucket* h = apr_bucket_heap_create(copy, len, apr_bucket_free, ba);
            APR_BUCKET_INSERT_BEFORE(b, h);
            apr_bucket_delete(b);
            b = h;
        } else if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    APR_BUCKET_REMOVE(b);
    APR_BRIGADE_INSERT_TAIL(held_, b);
    held_bytes_ += static_cast<apr_off_t>(len);
    return APR_SUCCESS;
}

apr_status_t RequestBody::read_piece(apr_read_type_e block) {
    // The first read as asked; then, where the client's socket can be
    // polled, whatever else is already at hand, without waiting.
    int buckets = 0;
    while (!eof_ && held_bytes_ < static_cast<apr_off_t>(kPieceSize) && buckets < kPieceBuckets) {
        const apr_read_type_e how = held_bytes_ == 0 ? block : APR_NONBLOCK_READ;
        if (how == APR_NONBLOCK_READ && !client_socket_) break;
        apr_status_t rv = ap_get_brigade(r_->input_filters, bb_, AP_MODE_READBYTES, how,
                                         kPieceSize - static_cast<apr_size_t>(held_bytes_));
        if (rv != APR_SUCCESS) {
            apr_brigade_cleanup(bb_);
            if (how == APR_NONBLOCK_READ && APR_STATUS_IS_EAGAIN(rv)) break;
            return rv;
        }
        if (APR_BRIGADE_EMPTY(bb_)) break;
        while (!APR_BRIGADE_EMPTY(bb_)) {
            apr_bucket* b = APR_BRIGADE_FIRST(bb_);
            if (APR_BUCKET_IS_EOS(b)) {
                eof_ = true;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                apr_bucket_delete(b);
                continue;
            }
            if (rv = hold(b); rv != APR_SUCCESS) {
                apr_brigade_cleanup(bb_);
                return rv;
            }
            ++buckets;
        }
        apr_brigade_cleanup(bb_);
    }
    if (held_bytes_ == 0 && !eof_ && block == APR_NONBLOCK_READ) return APR_EAGAIN;
    return APR_SUCCESS;
}

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

void RequestBody::queue(GatherQueue& out) {
    // A spooled body's piece: at most kReadSize bytes in one buffer.
    if (!pending_.empty()) {
        frame_stream(out, RecordType::Stdin, kRequestId, std::array{bytes_of(pending_)});
        return;
    }
    std::array<std::span<const std::uint8_t>, kPieceBuckets> pieces;
    std::size_t n = 0;
    bool fits = true;
    for (apr_bucket* b = APR_BRIGADE_FIRST(held_); b != APR_BRIGADE_SENTINEL(held_); b = APR_BUCKET_NEXT(b)) {
        const char* data = nullptr;
        apr_size_t len = 0;
        if (n == pieces.size() || apr_bucket_read(b, &data, &len, APR_BLOCK_READ) != APR_SUCCESS) {
            fits = false;
            break;
        }
        pieces[n++] = {reinterpret_cast<const std::uint8_t*>(data), len};
    }
    if (fits && frame_stream(out, RecordType::Stdin, kRequestId, std::span(pieces).first(n))) return;
    // Not held as few enough spans (read_piece bounds the buckets, so this is
    // for the unforeseen): one copy.
    pending_.resize(static_cast<std::size_t>(held_bytes_));
    apr_size_t len = pending_.size();
    apr_brigade_flatten(held_, pending_.data(), &len);
    pending_.resize(len);
    apr_brigade_cleanup(held_);
    held_bytes_ = 0;
    frame_stream(out, RecordType::Stdin, kRequestId, std::array{bytes_of(pending_)});
}

apr_status_t RequestBody::next(GatherQueue& out, bool& done, apr_read_type_e block) {
    done = false;
    if (finished_) {
        done = true;
        return APR_SUCCESS;
    }
    if (!unframed_) {
        // The previous piece is out: its buffers can go.
        apr_brigade_cleanup(held_);
        held_bytes_ = 0;
        pending_.clear();
        if (spool_file_) {
            if (!eof_) {
                pending_.resize(kReadSize);
                apr_size_t n = pending_.size();
                apr_status_t rv = apr_file_read(spool_file_, pending_.data(), &n);
                if (rv == APR_EOF) {
                    n = 0;
                    eof_ = true;
                } else if (rv != APR_SUCCESS) {
                    return rv;
                }
                pending_.resize(n);
            }
        } else if (!eof_) {
            if (apr_status_t rv = read_piece(client_socket_ ? block : APR_BLOCK_READ); rv != APR_SUCCESS) return rv;
        }
        unframed_ = held_bytes_ > 0 || !pending_.empty();
    }
    if (unframed_) {
        queue(out);
        unframed_ = false;
    }
    if (eof_) {
        out.push_header(RecordType::Stdin, kRequestId, 0);
        finished_ = true;
        done = true;
    }
    return APR_SUCCESS;
}

}  // namespace fastcgi::httpd
