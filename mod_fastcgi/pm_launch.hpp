// Starting the process manager from httpd's parent (post_config): fork it,
// end it with the configuration generation (on stop and restart SIGTERM,
// then SIGKILL after 3 s; on a graceful restart SIGUSR1: it drains its
// instances and ends itself, see fcgi_pm/drain.cpp), and start
// it again if it dies on its own (httpd's other-child maintenance), at
// once: the callback runs in the MPM's main loop and never sleeps; a PM
// that lived less than 5 s pauses a second itself before it runs. The PM
// logs through httpd's error log (its stderr is the main server's).
#pragma once

#include "../fcgi_pm/process_manager.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// Forks the PM with `cfg` (copied into pconf). Returns OK or an error
/// status that stops httpd's start-up.
int launch_process_manager(apr_pool_t* pconf, server_rec* s, const pm::PmConfig& cfg);

}  // namespace fastcgi::httpd
