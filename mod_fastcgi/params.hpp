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

/// What kind of exchange the params are for.
struct ParamsFor {
    Role role = Role::Responder;
    const char* spooled_length = nullptr;  ///< CONTENT_LENGTH of a spooled chunked body
    const char* apache_role = nullptr;     ///< FCGI_APACHE_ROLE (authorizer roles)
    const char* password = nullptr;        ///< REMOTE_PASSWD (authenticator only)
    bool compat = false;                   ///< -compat: the FastCGI spec's authorizer env
};

/// Appends BEGIN_REQUEST and the whole PARAMS stream (with its empty
/// terminator) for `r` to `out`. Adds to r->subprocess_env: an authorizer
/// role's caller saves and restores it.
void append_request_head(request_rec* r, const App& app, const ParamsFor& what, std::string& out);

/// The CGI name of a header: HTTP_ + upper case, non-alphanumerics as '_'.
std::string header_env_name(const char* header);

}  // namespace fastcgi::httpd
