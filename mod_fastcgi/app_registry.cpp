// See app_registry.hpp.
#include "app_registry.hpp"

#include "hook_guard.hpp"

namespace fastcgi::httpd {

namespace {
AppRegistry* g_registry = nullptr;
}

AppRegistry& AppRegistry::current() {
    if (!g_registry) {
        // Only reachable when a hook runs before pre_config, which httpd
        // never does; keep a process-lifetime registry rather than crash.
        static AppRegistry fallback;
        return fallback;
    }
    return *g_registry;
}

void AppRegistry::reset(apr_pool_t* pconf) {
    g_registry = pool_new<AppRegistry>(pconf);
    apr_pool_cleanup_register(
        pconf, nullptr,
        [](void*) noexcept -> apr_status_t {
            g_registry = nullptr;
            return APR_SUCCESS;
        },
        apr_pool_cleanup_null);
}

const App* AppRegistry::find(std::string_view path) const noexcept {
    for (auto it = apps_.rbegin(); it != apps_.rend(); ++it) {
        const std::string& f = (*it)->config.filename;
        if (path.size() < f.size() || path.compare(0, f.size(), f) != 0) continue;
        if (path.size() == f.size() || path[f.size()] == '/') return *it;
    }
    return nullptr;
}

std::vector<App*> AppRegistry::endpoints() const {
    std::vector<App*> out;
    for (App* app : apps_) {
        if (app->members.empty())
            out.push_back(app);
        else
            out.insert(out.end(), app->members.begin(), app->members.end());
    }
    return out;
}

std::string effective_ipc_dir(apr_pool_t* p) {
    const AppRegistry& reg = AppRegistry::current();
    if (!reg.ipc_dir.empty()) return reg.ipc_dir;
    return ap_runtime_dir_relative(p, "fastcgi");
}

}  // namespace fastcgi::httpd
