// The "fastcgi-status" handler (SetHandler fastcgi-status in a <Location>)
// and the FastCGI section of mod_status's server-status page. Both read
// the shared counters of this generation (app_stats.hpp) and write what
// include/fastcgi/status_render.hpp renders; neither takes a lock.
// Access control is the administrator's (Require), as for server-status.
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {

/// The handler hook: DECLINED unless r->handler is "fastcgi-status".
int fastcgi_status_handler(request_rec* r);

/// Registers the section with mod_status (an optional hook: nothing
/// happens when mod_status is not loaded).
void register_status_hooks();

}  // namespace fastcgi::httpd
