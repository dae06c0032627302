// What an exchange hands the application's FCGI_STDOUT to. The responder
// (responder.hpp) turns it into an HTTP response; the authorizer roles will
// turn it into an access decision. The exchange owns the protocol, the sink
// owns the meaning.
#pragma once

#include <cstddef>
#include <string_view>

#include "httpd.hpp"

namespace fastcgi::httpd {

enum class Step { Continue, Stop };

class ResponseSink {
public:
    virtual ~ResponseSink() = default;
    /// STDOUT bytes `data`, which are [offset, offset + data.size()) of the
    /// heap bucket `owner`: the sink may keep slices of `owner`
    /// (apr_bucket_copy) without copying bytes. Stop ends the exchange (the
    /// sink has all it needs, or failed).
    virtual Step on_stdout(apr_bucket* owner, apr_size_t offset, std::string_view data) = 0;
    /// After each read from the app: a chance to hand data to the client.
    /// Stop when the client went away.
    virtual Step on_batch_end() = 0;
    virtual bool headers_done() const = 0;
    virtual std::size_t header_bytes() const = 0;
    /// The sink refused the app's header block (the exchange itself may
    /// have ended well): counted as bad headers on the status page.
    virtual bool headers_invalid() const { return false; }
};

}  // namespace fastcgi::httpd
