// The process manager's public entry, the one header of fcgi_pm/ that the
// httpd side includes: what the PM is told (pm_config.hpp), how it logs
// (log_sink.hpp), and the call that runs it in the process httpd forked
// for it (mod_fastcgi/pm_launch.cpp). Everything behind it is POSIX only.
#pragma once

#include "log_sink.hpp"
#include "pm_config.hpp"

namespace fastcgi::pm {

/// Runs the PM with `cfg` until SIGTERM, until httpd's parent is gone, or,
/// after SIGUSR1 (graceful restart), until its drain is over;
/// ends its instances, then _exit(0)s. Every log line goes to `sink`.
[[noreturn]] void run_process_manager(const PmConfig& cfg, LogSink sink);

}  // namespace fastcgi::pm
