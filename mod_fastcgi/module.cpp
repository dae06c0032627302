// The module record (the only exported symbol) and hook registration.
#include "admission.hpp"
#include "app_registry.hpp"
#include "app_stats.hpp"
#include "auth.hpp"
#include "dir_config.hpp"
#include "balancer.hpp"
#include "connection_pool.hpp"
#include "directives.hpp"
#include "fastcgi/version.hpp"
#include "handler.hpp"
#include "hook_guard.hpp"
#include "internal_only.hpp"
#include "ipc_dir.hpp"
#include "pm_client.hpp"
#include "status_handler.hpp"

namespace fastcgi::httpd {
namespace {

int pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) {
    try {
        AppRegistry::reset(pconf);
    } catch (...) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

int post_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
    return guard_server(s, [&] {
        ap_add_version_component(pconf, "mod_fastcgi/" FASTCGI_VERSION);
        if (const int rc = prepare_ipc_dir(pconf, s); rc != OK) return rc;
        if (const int rc = ConnectionPool::create(pconf, s); rc != OK) return rc;
        if (const int rc = create_admission(pconf, s); rc != OK) return rc;
        // Before the PM forks: its health checker writes into the segment.
        if (const int rc = Balancer::create(pconf, s); rc != OK) return rc;
        // Before the process manager forks: it writes into the same segment.
        if (const int rc = AppStats::create(pconf, s); rc != OK) return rc;
        return start_process_manager(pconf, s);
    });
}

int check_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
    return guard_server(s, [&] { return check_configuration(pconf, s); });
}

void child_init(apr_pool_t* pchild, server_rec* s) {
    try {
        open_pm_channel(pchild);
        ConnectionPool::start_child(pchild, s);
    } catch (...) {
    }
}

void register_hooks(apr_pool_t*) {
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_fixups(fastcgi_fixups, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_handler(fastcgi_handler, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_handler(fastcgi_status_handler, nullptr, nullptr, APR_HOOK_MIDDLE);
    register_status_hooks();
    register_auth_hooks();
    register_internal_only_hooks();
}

}  // namespace
}  // namespace fastcgi::httpd

extern "C" {
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA fastcgi_module = {
    // STANDARD20_MODULE_STUFF, but named as the original's source file so
    // that configurations written for it (<IfModule mod_fastcgi.c>, as in
    // Debian's fastcgi.conf) see this module; __FILE__ would be module.cpp.
    MODULE_MAGIC_NUMBER_MAJOR,
    MODULE_MAGIC_NUMBER_MINOR,
    -1,
    "mod_fastcgi.c",
    nullptr,
    nullptr,
    MODULE_MAGIC_COOKIE,
    nullptr,
    fastcgi::httpd::create_dir_config,  // per-directory: dir_config.hpp
    fastcgi::httpd::merge_dir_config,
    nullptr,  // server config: the app registry is per configuration generation
    nullptr,
    fastcgi::httpd::kCommands,
    fastcgi::httpd::register_hooks,
    AP_MODULE_FLAG_NONE,
};
}
