// See pm_client.hpp.
#include "pm_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <unixd.h>

#include "fastcgi/socket_names.hpp"
#include "app_registry.hpp"
#include "balancer.hpp"
#include "app_stats.hpp"
#include "pm_launch.hpp"

namespace fastcgi::httpd {

namespace {
int g_pm_fd = -1;
sockaddr_un g_pm_addr{};

void copy_limit(const struct rlimit* from, pm::SpawnLimits::Limit& to) {
    if (!from) return;
    to.set = true;
    to.soft = from->rlim_cur;
    to.hard = from->rlim_max;
}

/// RLimitCPU/RLimitMEM/RLimitNPROC of the main server's config (the
/// defaults of its <Directory> tree), as mod_cgi would pass them to a CGI.
pm::SpawnLimits server_limits(server_rec* s) {
    pm::SpawnLimits l;
    const auto* core = static_cast<const core_dir_config*>(ap_get_core_module_config(s->lookup_defaults));
    if (!core) return l;
    copy_limit(core->limit_cpu, l.cpu);
    copy_limit(core->limit_mem, l.mem);
    copy_limit(core->limit_nproc, l.nproc);
    return l;
}
}  // namespace

int start_process_manager(apr_pool_t* pconf, server_rec* s) {
    // httpd reads its configuration twice at start-up; the first pass only
    // checks it, so the PM starts on the second (and on every restart).
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    AppRegistry& reg = AppRegistry::current();
    pm::PmConfig cfg;
    cfg.ipc_dir = effective_ipc_dir(pconf);
    cfg.dynamic_dir = cfg.ipc_dir + "/dynamic";
    cfg.pm_socket = cfg.ipc_dir + "/" + kPmSocketName;
    cfg.wrapper = reg.wrapper;
    cfg.user_id = ap_unixd_config.user_id;
    cfg.group_id = ap_unixd_config.group_id;
    cfg.user_name = ap_unixd_config.user_name ? ap_unixd_config.user_name : "";
    cfg.dynamic = reg.dynamic;
    cfg.dynamic_env = reg.dynamic_env;
    cfg.limits = server_limits(s);
    cfg.stats = AppStats::table();
    // How long a graceful restart waits for the old instances' requests:
    // the directive, else httpd's own bound for a graceful stop, else 30 s.
    cfg.drain_timeout_s = reg.graceful_timeout >= 0      ? static_cast<unsigned>(reg.graceful_timeout)
                          : ap_graceful_shutdown_timeout > 0 ? static_cast<unsigned>(ap_graceful_shutdown_timeout)
                                                             : 30u;
    cfg.health_targets = Balancer::health_targets();
    for (const App* app : AppRegistry::current().apps()) {
        if (app->config.kind != AppKind::Static) continue;
        pm::StaticApp st;
        st.filename = app->config.filename;
        st.socket_path = app->config.listen_port ? std::string() : app->socket_path;
        st.port = app->config.listen_port;
        st.processes = app->config.processes;
        st.spawn = app->config.spawn;
        st.env = app->config.spawn.initial_env;
        st.user = app->wrapper_user;
        st.group = app->wrapper_group;
        st.stats_slot = app->stats_slot;
        st.auto_update = app->config.auto_update;
        cfg.statics.push_back(std::move(st));
    }
    if (reg.wrapper.empty())
        for (const App* app : reg.apps())
            if (app->config.kind == AppKind::Static && (!app->config.user.empty() || !app->config.group.empty())) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                             "FastCGI: there is no fastcgi wrapper set, user/group options are ignored");
                break;
            }
    return launch_process_manager(pconf, s, cfg);
}

void open_pm_channel(apr_pool_t* pchild) {
    const std::string path = effective_ipc_dir(pchild) + "/" + kPmSocketName;
    if (path.size() >= sizeof g_pm_addr.sun_path) return;
    g_pm_addr.sun_family = AF_UNIX;
    std::memcpy(g_pm_addr.sun_path, path.c_str(), path.size() + 1);
    g_pm_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (g_pm_fd < 0) return;
    apr_pool_cleanup_register(
        pchild, nullptr,
        [](void*) noexcept -> apr_status_t {
            if (g_pm_fd >= 0) ::close(g_pm_fd);
            g_pm_fd = -1;
            return APR_SUCCESS;
        },
        apr_pool_cleanup_null);
}

bool send_to_pm(const PmMessage& m) {
    const auto bytes = encode_pm_message(m);
    if (!bytes || g_pm_fd < 0) return false;
    const ssize_t n = ::sendto(g_pm_fd, bytes->data(), bytes->size(), MSG_DONTWAIT,
                               reinterpret_cast<const sockaddr*>(&g_pm_addr), sizeof g_pm_addr);
    return n == static_cast<ssize_t>(bytes->size());
}

}  // namespace fastcgi::httpd
