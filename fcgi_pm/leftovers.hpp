// What a process manager that died (SIGKILL, crash) leaves behind, and its
// successor cleans up: instances that outlived it (one that ignores
// SIGTERM, one started through a setuid wrapper — the kernel drops the
// parent-death signal across a setuid exec — or php-cgi's children) and
// dynamic socket files nobody listens on any more.
//
// The PM records its own pid, then "pgid path" for every instance, in a
// file in FastCgiIpcDir (pm.instances; a PM draining after a graceful
// restart moves its record to pm.instances.<pid>). A new PM ends every
// recorded process group whose leader still runs that path (so a recycled
// pid is never touched) — except those of a record whose PM still runs
// (it is draining them) — then removes the stale dynamic sockets.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace fastcgi::pm {

/// Rewrites the record file with this PM's pid and the running instances.
void record_instances(const std::string& file, const std::vector<std::pair<pid_t, std::string>>& instances);

/// Whether `file` is this PM's record (a successor may have replaced it).
bool recorded_by_me(const std::string& file);

/// Ends the process groups recorded in `file` and in `file`.<pid> by PMs
/// that are gone (SIGTERM, SIGKILL after `grace_ms`), removes those
/// records, empties `dynamic_dir`; returns how many groups were ended.
int end_leftovers(const std::string& file, const std::string& dynamic_dir, int grace_ms);

}  // namespace fastcgi::pm
