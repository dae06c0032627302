// The httpd side of the X-Sendfile options: the allowed roots
// (-sendfile-root, -sendfile-root-follow) are resolved once, when the
// configuration is read, so that a typo or a missing directory stops
// httpd from starting instead of refusing every download.
#pragma once

#include <string_view>

#include "fastcgi/app_config.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// Fills SendfileRoot::real (realpath) of every root not resolved yet.
/// Returns the error (naming the directive, `subject`, the option and
/// file:line), or nullptr.
const char* resolve_sendfile_roots(cmd_parms* cmd, std::string_view subject, HandoffConfig& handoff);

}  // namespace fastcgi::httpd
