// The applications defined by FastCgiExternalServer (and later
// FastCgiServer): built while the configuration is read, completed in
// post_config (sockets resolved against FastCgiIpcDir), then frozen and read
// by every request without locks.
//
// Lifetime: one registry per configuration generation, allocated in pconf;
// a restart reads the configuration again into a new registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/app_config.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// One defined application with what the glue resolved for it.
struct App {
    AppConfig config;
    std::string socket_path;        ///< absolute Unix socket path, or empty for TCP
    apr_sockaddr_t* addr = nullptr; ///< resolved target (TCP, or Unix)
    std::string where;              ///< "unix:/path" or "host:port", for log lines
    std::string defined_at;         ///< "file:line" of the directive
    std::string wrapper_user;       ///< static app with FastCgiWrapper: the names
    std::string wrapper_group;      ///< the wrapper runs it as
    int reuse_slot = -1;            ///< the ConnectionPool slot of its address, -1 when none reuses
    int admission_slot = -1;        ///< its counters in admission.cpp's shared memory, -1 for a dynamic app
    /// A balanced app (several -host/-socket): one App per member, with the
    /// app's config and that member's one address; requests connect to
    /// those, never to the app itself (balancer.hpp).
    std::vector<App*> members;
    unsigned weight = 1;            ///< as a member: -weight
    int member_slot = -1;           ///< as a member: its MemberState in the balancer's segment
    int balancer_slot = -1;         ///< balanced: its round-robin counter in that segment
    int stats_slot = -1;            ///< its fixed AppStats slot; -1 for a dynamic app (found by address)
    std::string identity;           ///< dynamic app: "user group" of its suexec identity, else empty
};

class AppRegistry {
public:
    /// The registry of the configuration being read or served.
    static AppRegistry& current();
    /// Starts a new, empty registry in `pconf` (pre_config).
    static void reset(apr_pool_t* pconf);

    std::vector<App*>& apps() noexcept { return apps_; }
    /// What requests connect to: every app that is not balanced, and the
    /// members of those that are (ConnectionPool keeps connections per
    /// endpoint).
    std::vector<App*> endpoints() const;

    /// The application whose filename is `path` or a parent directory of it
    /// (the next character of `path` is '/'), most recently defined first,
    /// as the original matches them. nullptr when none.
    const App* find(std::string_view path) const noexcept;

    /// FastCgiIpcDir as configured (empty: the default).
    std::string ipc_dir;
    std::string ipc_dir_defined_at;

    /// FastCgiConfig: defaults for dynamic applications, and its resolved
    /// -initial-env (replaced by each FastCgiConfig, as in the original).
    DynamicConfig dynamic;
    std::vector<std::string> dynamic_env;

    /// FastCgiGracefulTimeout in seconds, -1 when not set.
    int graceful_timeout = -1;
    std::string graceful_timeout_defined_at;

    /// FastCgiWrapper: the wrapper executable, empty when off.
    std::string wrapper;
    std::string wrapper_defined_at;

private:
    std::vector<App*> apps_;
};

/// FastCgiIpcDir in force: the configured one or the default
/// (DefaultRuntimeDir/fastcgi).
std::string effective_ipc_dir(apr_pool_t* p);

}  // namespace fastcgi::httpd
