// Directive handlers of the process-manager side (see directives_pm.cpp).
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {
const char* static_server(cmd_parms* cmd, void*, const char* args);
const char* fastcgi_config(cmd_parms* cmd, void*, const char* args);
const char* wrapper(cmd_parms* cmd, void*, const char* arg);
}  // namespace fastcgi::httpd
