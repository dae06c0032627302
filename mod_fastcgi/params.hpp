// Request -> FastCGI BEGIN_REQUEST and PARAMS records.
// The environment is httpd's own CGI environment (ap_add_common_vars and,
// for responders, ap_add_cgi_vars), plus the app's -pass-header headers.
#pragma once

#include <string>

#include "app_registry.hpp"
#include "fastcgi/protocol.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

inline constexpr std::uint16_t kRequestId = 1;

/// Appends BEGIN_REQUEST and the whole PARAMS stream (with its empty
/// terminator) for `r` to `out`. `spooled_length`, when not null, is the
/// CONTENT_LENGTH of a request body that arrived chunked and was spooled.
void append_request_head(request_rec* r, const App& app, Role role, const char* spooled_length,
                         std::string& out);

/// The CGI name of a header: HTTP_ + upper case, non-alphanumerics as '_'.
std::string header_env_name(const char* header);

}  // namespace fastcgi::httpd
