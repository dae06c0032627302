// The one question the module asks an application before it keeps
// connections to it: FCGI_GET_VALUES on a connection of its own.
#pragma once

#include <optional>

#include "app_registry.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// How many connections `app` can serve at once: what it answers to
/// FCGI_GET_VALUES (FCGI_MAX_CONNS and FCGI_MAX_REQS, the smaller; an app
/// that multiplexes and gives no number serves any), 1 when it does not
/// answer within kProbeTimeout, answers badly or closes; nothing when it
/// cannot be reached (ask again later). Logs the result, at info level.
std::optional<unsigned> connections_app_serves(server_rec* s, const App& app);

}  // namespace fastcgi::httpd
