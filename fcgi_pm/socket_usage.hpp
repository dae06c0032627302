// Whether an application's instance still holds work, as the kernel sees
// it: the connections queued on its listening socket that nobody accepted
// yet, and the connections the instance's processes accepted and still
// hold. The drain (drain.cpp) ends an old instance only when both are
// none, so that no request it holds or will be handed is cut.
//
// Read from /proc and sock_diag (netlink) without privileges: the PM runs
// as httpd's User, like its instances (or as root with a wrapper).
// Called from the PM's loop only; nothing is kept between calls.
#pragma once

#include <sys/types.h>

#include <map>
#include <set>
#include <string>

namespace fastcgi::pm {

using SocketInodes = std::set<unsigned long>;

/// Connections waiting in the backlog of `listen_fd` (a listening Unix or
/// TCP socket), or -1 when the kernel cannot tell.
int queued_connections(int listen_fd);

/// sockfs inodes of the connected sockets accepted from the Unix listener
/// bound at `path` (any socket of that name: callers intersect with an
/// instance's own descriptors), or, with `path` empty, of the TCP
/// connections whose local port is `port`.
SocketInodes accepted_connections(const std::string& path, unsigned port);

/// For each process group in `groups`, the sockfs inodes of every socket
/// open in one of its processes (one pass over /proc).
std::map<pid_t, SocketInodes> sockets_of_groups(const std::set<pid_t>& groups);

}  // namespace fastcgi::pm
