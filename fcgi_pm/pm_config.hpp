// What the process manager is told at start: the static applications
// (FastCgiServer), the dynamic defaults (FastCgiConfig), FastCgiIpcDir,
// FastCgiWrapper and httpd's User/Group. Built by the httpd glue in
// post_config from the configuration, copied into the PM when it forks.
#pragma once

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "fastcgi/app_config.hpp"
#include "fastcgi/member_state.hpp"
#include "fastcgi/app_stats.hpp"

namespace fastcgi::pm {

/// httpd's RLimitCPU, RLimitMEM and RLimitNPROC of the server config,
/// applied to every spawned app as mod_cgi applies them to CGI scripts
/// (RLimitMEM is the address space, RLIMIT_AS, as APR sets it).
struct SpawnLimits {
    struct Limit {
        bool set = false;
        rlim_t soft = 0, hard = 0;
    };
    Limit cpu, mem, nproc;
};

struct StaticApp {
    std::string filename;
    std::string socket_path;        ///< Unix socket, or empty with a TCP port
    unsigned port = 0;              ///< -port: listen on 127.0.0.1:port
    unsigned processes = 1;
    SpawnConfig spawn;
    std::vector<std::string> env;   ///< resolved -initial-env ("NAME=value")
    std::string user, group;        ///< wrapper identity (names, or "#id")
    int stats_slot = -1;            ///< its fixed slot in PmConfig::stats
    bool auto_update = false;       ///< -autoUpdate: a newer file starts a rolling reload
};

/// One balancer member the health checker probes (-health-check), and
/// where its verdict goes: `state` points into the shared segment httpd's
/// parent created before forking the PM (mod_fastcgi/balancer.hpp), so it
/// is valid in the PM as in every httpd child.
struct HealthTarget {
    std::string app;    ///< the application's filename, for log lines
    std::string where;  ///< "host:port" or "unix:/path"
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    HealthCheckConfig check;
    MemberState* state = nullptr;
};

struct PmConfig {
    std::string ipc_dir;
    std::string dynamic_dir;        ///< ipc_dir/dynamic
    std::string pm_socket;          ///< ipc_dir/pm.sock: where children send messages
    std::string wrapper;            ///< FastCgiWrapper executable, empty when off
    uid_t user_id = 0;              ///< httpd's User and Group
    gid_t group_id = 0;
    std::string user_name;
    std::vector<StaticApp> statics;
    DynamicConfig dynamic;
    std::vector<std::string> dynamic_env;  ///< resolved FastCgiConfig -initial-env
    SpawnLimits limits;             ///< for static and dynamic apps alike
    unsigned drain_timeout_s = 30;  ///< graceful restart: longest wait for the old instances' requests
    std::vector<HealthTarget> health_targets;  ///< balancer members with -health-check
    /// The status counters (shared memory made before the PM forks), or
    /// nullptr: the PM publishes its processes, restarts and spawn failures.
    stats::StatsTable* stats = nullptr;
};

}  // namespace fastcgi::pm
