// Starting the process manager from httpd's parent (post_config): fork it,
// have httpd end it with the configuration generation (SIGTERM, then
// SIGKILL after a grace period, on stop, restart and graceful), and start
// it again if it dies on its own (httpd's other-child maintenance).
#pragma once

#include "httpd_log.hpp"
#include "pm_config.hpp"

namespace fastcgi::pm {

/// Forks the PM with `cfg` (copied into pconf). Returns OK or an error
/// status that stops httpd's start-up.
int launch_process_manager(apr_pool_t* pconf, server_rec* s, const PmConfig& cfg);

}  // namespace fastcgi::pm
