// See request_body.hpp.
#include "request_body.hpp"

#include "fastcgi/record.hpp"
#include "params.hpp"

namespace fastcgi::httpd {

RequestBody::RequestBody(request_rec* r)
    : r_(r), bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {
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
    }
    spooled_length_ = apr_off_t_toa(r_->pool, spooled_);
    return APR_SUCCESS;
}

int RequestBody::prepare() {
    apr_status_t rv = APR_SUCCESS;
    if (chunked_) {
        rv = spool();
    } else {
        rv = read_input(pending_, eof_);
    }
    if (rv == APR_SUCCESS) return OK;
    const int status = status_for(rv);
    if (status != HTTP_REQUEST_ENTITY_TOO_LARGE && status != AP_FILTER_ERROR)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r_, "FastCGI: error reading the request body");
    return status;
}

apr_status_t RequestBody::next(std::string& out, bool& done, apr_read_type_e block) {
    done = false;
    if (finished_) {
        done = true;
        return APR_SUCCESS;
    }
    if (pending_.empty() && !eof_) {
        if (spool_file_) {
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
        } else {
            if (apr_status_t rv = read_input(pending_, eof_, client_socket_ ? block : APR_BLOCK_READ);
                rv != APR_SUCCESS)
                return rv;
        }
    }
    if (!pending_.empty()) {
        append_stream(out, RecordType::Stdin, kRequestId,
                      Bytes(reinterpret_cast<const std::uint8_t*>(pending_.data()), pending_.size()));
        pending_.clear();
    }
    if (eof_ && pending_.empty()) {
        append_record(out, RecordType::Stdin, kRequestId, {});
        finished_ = true;
        done = true;
    }
    return APR_SUCCESS;
}

}  // namespace fastcgi::httpd
