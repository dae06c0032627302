// FastCgiIpcDir preparation at start-up (see ipc_dir.cpp).
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {
/// Creates or checks FastCgiIpcDir and resolves relative -socket paths.
/// Returns OK or an error status that stops httpd's start-up.
int prepare_ipc_dir(apr_pool_t* pconf, server_rec* s);
}
