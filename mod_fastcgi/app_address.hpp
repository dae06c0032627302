// Where httpd's children reach a configured application, resolved once in
// post_config: TCP for -host and a static -port (127.0.0.1), else its Unix
// socket: the configured -socket (relative to FastCgiIpcDir) or the name a
// static app gets (fastcgi/socket_names.hpp), which under FastCgiWrapper
// includes the identity it runs as (-user/-group, by default httpd's
// User/Group, "#id" turned into names).
#pragma once

#include <string>

#include "app_registry.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// Fills app->addr, app->where, app->socket_path and the wrapper identity.
/// Returns OK, or an error status (one line logged naming the directive,
/// the app and its file:line) that stops httpd's start-up.
int resolve_app_address(apr_pool_t* pconf, server_rec* s, const std::string& ipc_dir, App* app);

}  // namespace fastcgi::httpd
