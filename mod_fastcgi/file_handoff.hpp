// Files and URIs an application hands back to httpd instead of a body:
// `X-Sendfile: /abs/path` (with -x-sendfile or FastCgiXSendfile On) is answered by httpd with that
// file as a static file (its Last-Modified, ETag, Content-Length, mime type,
// conditional GET, Range, sendfile/mmap); `X-Accel-Redirect: /uri` (with
// -x-accel-redirect or FastCgiXAccelRedirect On) is an internal redirect, through httpd's access control
// for that URI, allowed into FastCgiInternalOnly locations.
//
// The responder calls claim() once the app's headers are applied and, when
// it returns true, reads the rest of the exchange and discards the body;
// serve() runs after FCGI_END_REQUEST, with the app connection closed, so
// the app process is free while the client downloads.
//
// The request's section (directives_handoff.hpp) overrides the app's options.
// Both headers are removed from every response (also when the option is
// off: then they are dropped with a debug line and the app's own answer
// goes out), so an internal path never reaches a client.
//
// Lifetime: one per request, inside the Responder; not shared.
#pragma once

#include <string>
#include <vector>

#include "app_registry.hpp"
#include "directives_handoff.hpp"
#include "fastcgi/header_block.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// The request note an X-Accel-Redirect leaves on the request it redirects
/// from: FastCgiInternalOnly locations admit the target (internal_only.hpp).
inline constexpr const char* kAccelRedirectNote = "fastcgi-x-accel-redirect";

class FileHandoff {
public:
    FileHandoff(request_rec* r, const App& app) : r_(r), app_(app) {}

    /// `headers` are the app's, already applied to the response: removes
    /// X-Sendfile and X-Accel-Redirect from it; true when one of them is
    /// to be acted on (X-Sendfile first).
    bool claim(const HeaderList& headers);

    /// After the exchange ended cleanly: the handler's return value.
    int serve();

private:
    int send_file();
    int accel_redirect();
    int refuse(int status, apr_status_t rv, const char* why);
    void drop_app_file_headers();

    enum class Kind { None, Sendfile, AccelRedirect };
    request_rec* r_;
    const App& app_;
    HandoffSettings settings_;  ///< the section's over the app's; set by claim()
    Kind kind_ = Kind::None;
    std::string value_;
    bool app_content_type_ = false;
};

}  // namespace fastcgi::httpd
