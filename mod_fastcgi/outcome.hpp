// The typed result of one exchange with an application, and the one table
// that turns it into the HTTP status the client gets. The table is
// documented in docs/errors.md; keep the two in step.
#pragma once

#include <string>

#include "httpd.hpp"

namespace fastcgi::httpd {

enum class Failure {
    None,
    ConnectFailed,      ///< no listener, refused, socket file missing
    ConnectTimeout,     ///< -appConnTimeout expired
    IdleTimeout,        ///< -idle-timeout expired waiting for the app
    ProtocolError,      ///< malformed records, wrong request id, bad END_REQUEST
    BadHeaders,         ///< the CGI header block was invalid
    IncompleteHeaders,  ///< the app ended before the end of its headers
    AppClosedEarly,     ///< the app closed the connection without END_REQUEST
    ClientBodyError,    ///< reading the request body from the client failed
    ClientAborted,      ///< the client went away while we were answering
    StaleConnection,    ///< a kept connection was closed by the app: retried, never answered
    Overloaded,         ///< refused by -max-in-flight / -queue-depth / -queue-timeout (admission.hpp)
};

struct Outcome {
    Failure failure = Failure::None;
    apr_status_t rv = APR_SUCCESS;
    std::string detail;
};

/// The status for a failure that happened before anything was sent.
/// ClientBodyError is mapped by the caller from the input filters' error.
constexpr int status_for(Failure f) noexcept {
    switch (f) {
    case Failure::None: return OK;
    case Failure::ConnectFailed:
    case Failure::ConnectTimeout:
    case Failure::Overloaded: return HTTP_SERVICE_UNAVAILABLE;
    case Failure::IdleTimeout: return HTTP_GATEWAY_TIME_OUT;
    case Failure::ProtocolError:
    case Failure::BadHeaders:
    case Failure::IncompleteHeaders:
    case Failure::AppClosedEarly: return HTTP_BAD_GATEWAY;
    case Failure::ClientBodyError: return HTTP_BAD_REQUEST;
    case Failure::ClientAborted: return OK;
    case Failure::StaleConnection: return HTTP_BAD_GATEWAY;
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace fastcgi::httpd
