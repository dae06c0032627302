// Listening sockets the process manager creates for its applications: a
// Unix socket (old file removed, mode 0600, owned by httpd's User) or TCP on
// 127.0.0.1. The PM keeps them open for its lifetime and hands them to
// every instance as fd 0.
#pragma once

#include <sys/types.h>

#include <string>

namespace fastcgi::pm {

/// Returns the listening fd, or -1 with errno set and `what` naming the
/// failed call.
int listen_unix(const std::string& path, unsigned backlog, uid_t owner, gid_t group, std::string& what);
int listen_tcp_loopback(unsigned port, unsigned backlog, std::string& what);

/// Whether `path` still names the file (dev, ino) this PM bound.
bool names_same(const std::string& path, dev_t dev, ino_t ino);
/// Removes `path` if it still names that file (not a successor's).
void unlink_if_same(const std::string& path, dev_t dev, ino_t ino);

}  // namespace fastcgi::pm
