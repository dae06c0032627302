// Starting one application instance: fork, then in the child chdir to the
// app's directory, nice(-priority), the listening socket on fd 0, stdout
// and stderr to httpd's error log, every other descriptor closed, its own
// process group (so that the PM can end php-cgi and its children together),
// SIGTERM when the PM dies, httpd's RLimit* (before the identity change,
// so that the app cannot raise them again), and exec of the app (or of FastCgiWrapper with
// user, group and the app's basename) with exactly the configured
// environment. An exec failure is reported back through a close-on-exec
// pipe, so the PM logs why instead of seeing a mysterious exit.
//
// spawn() does not wait for that report: between fork and exec the child
// may spend seconds in initgroups() (a slow NSS lookup), and the PM must go
// on reaping and reading messages meanwhile. The PM polls the pipe and
// asks exec_result() once it is readable (or the child has exited).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "pm_config.hpp"

namespace fastcgi::pm {

struct SpawnRequest {
    std::string path;               ///< the application's executable
    int listen_fd = -1;
    unsigned priority = 0;
    const std::vector<std::string>* env = nullptr;
    std::string wrapper;            ///< empty: exec the app itself
    std::string wrapper_user;       ///< arguments for the wrapper
    std::string wrapper_group;
    bool drop_to_user = false;      ///< the PM is root: become uid/gid first
    uid_t uid = 0;
    gid_t gid = 0;
    std::string user_name;          ///< for initgroups
    const SpawnLimits* limits = nullptr;  ///< RLimitCPU/MEM/NPROC, or none
    /// Runs in the child just before the identity change (initgroups):
    /// lets a test make that step slow. Must be async-signal-safe.
    void (*before_identity)() = nullptr;
};

struct Spawned {
    pid_t pid = -1;
    int status_fd = -1;  ///< non-blocking, close-on-exec; the caller closes it
};

/// Forks the instance and returns at once: its pid and the read end of its
/// exec-status pipe, or pid -1 with `error` set (pipe or fork failure).
Spawned spawn(const SpawnRequest& req, std::string& error);

/// The exec result on `status_fd`: nothing yet (nullopt), "" when the exec
/// succeeded, else why the child failed ("execve(): Permission denied"; the
/// child then exits 127). Definite once the fd is readable or the child
/// has exited.
std::optional<std::string> exec_result(int status_fd);

}  // namespace fastcgi::pm
