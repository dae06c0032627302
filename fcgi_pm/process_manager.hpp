// The process manager's loop: it owns the listening sockets and the
// instances of every static and dynamic application, spawns and restarts
// them, applies the scaling policy to dynamic ones, listens for the
// children's datagrams, and on SIGTERM (httpd stop, restart, graceful) ends
// every instance — SIGTERM to each process group, SIGKILL after a grace
// period — and removes its socket files.
//
// Runs in its own process, forked from httpd's parent (pm_launch.cpp);
// single-threaded; never returns.
#pragma once

#include "httpd_log.hpp"
#include "pm_config.hpp"

namespace fastcgi::pm {

[[noreturn]] void run_process_manager(const PmConfig& cfg, server_rec* s);

}  // namespace fastcgi::pm
