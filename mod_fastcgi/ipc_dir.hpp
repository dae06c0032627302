// FastCgiIpcDir preparation at start-up (see ipc_dir.cpp).
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {
/// Creates or checks FastCgiIpcDir and resolves relative -socket paths.
/// Returns OK or an error status that stops httpd's start-up.
int prepare_ipc_dir(apr_pool_t* pconf, server_rec* s);
/// check_config (also run by `apache2 -t`): what start would refuse —
/// FastCgiIpcDir not usable by User/Group, socket paths too long, a static
/// app User/Group cannot execute, two static apps on one socket or port.
/// Logs one line naming the directive and its file:line; OK or an error.
int check_configuration(apr_pool_t* pconf, server_rec* s);
}
