// Starting one application instance: fork, then in the child chdir to the
// app's directory, nice(-priority), the listening socket on fd 0, stdout
// and stderr to httpd's error log, every other descriptor closed, its own
// process group (so that the PM can end php-cgi and its children together),
// SIGTERM when the PM dies, and exec of the app (or of FastCgiWrapper with
// user, group and the app's basename) with exactly the configured
// environment. An exec failure is reported back through a close-on-exec
// pipe, so the PM logs why instead of seeing a mysterious exit.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

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
};

/// Returns the child's pid, or -1 with `error` set (fork or exec failure).
pid_t spawn(const SpawnRequest& req, std::string& error);

}  // namespace fastcgi::pm
