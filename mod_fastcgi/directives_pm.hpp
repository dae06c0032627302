// Directive handlers of the process-manager side (see directives_pm.cpp).
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {
const char* static_server(cmd_parms* cmd, void*, const char* args);
const char* fastcgi_config(cmd_parms* cmd, void*, const char* args);
const char* wrapper(cmd_parms* cmd, void*, const char* arg);
/// FastCgiGracefulTimeout seconds: how long a graceful restart lets the old
/// instances finish their requests.
inline constexpr long kMaxGracefulTimeout = 86400;
const char* graceful_timeout(cmd_parms* cmd, void*, const char* arg);
}  // namespace fastcgi::httpd
