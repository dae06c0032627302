// See auth_config.hpp.
#include "auth_config.hpp"

#include <string>

#include "app_registry.hpp"
#include "dir_config.hpp"
#include "directive_util.hpp"

namespace fastcgi::httpd {

const char* role_env_name(AuthRole r) noexcept {
    switch (r) {
    case AuthRole::Authenticator: return "AUTHENTICATOR";
    case AuthRole::Authorizer: return "AUTHORIZER";
    case AuthRole::AccessChecker: return "ACCESS_CHECKER";
    }
    return "";
}

void merge_auth_setting(const AuthSetting& b, const AuthSetting& a, AuthSetting& o) noexcept {
    const AuthSetting& named = a.path ? a : b;
    o.path = named.path;
    o.compat = named.compat;
    o.defined_at = named.defined_at;
    o.authoritative = a.authoritative != -1 ? a.authoritative : b.authoritative;
}

// cmd->info carries the role (set in the command table).
const char* auth_server_directive(cmd_parms* cmd, void* cfg, const char* path, const char* option) {
    DirConfig* conf = &dir_config_arg(cfg);
    const auto role = static_cast<AuthRole>(reinterpret_cast<std::intptr_t>(cmd->info));
    if (option && strcasecmp(option, "-compat") != 0)
        return config_error(cmd, path, {option, std::string("unknown option: \"") + option + "\""});
    const std::string canonical = canonical_path(cmd->pool, path);
    if (canonical.empty()) return config_error(cmd, path, {"", "invalid filename"});
    // A static or external app, or a file the process manager can run.
    if (!AppRegistry::current().find(canonical)) {
        apr_finfo_t finfo;
        const apr_status_t rv = apr_stat(&finfo, canonical.c_str(), APR_FINFO_TYPE, cmd->temp_pool);
        if (rv != APR_SUCCESS) {
            char buf[120];
            return config_error(cmd, canonical, {"", "stat(" + canonical + ") failed: " +
                                                         apr_strerror(rv, buf, sizeof buf)});
        }
        if (finfo.filetype != APR_REG) return config_error(cmd, canonical, {"", "not a regular file"});
    }
    AuthSetting& s = conf->roles[static_cast<int>(role)];
    s.path = apr_pstrdup(cmd->pool, canonical.c_str());
    s.compat = option ? 1 : 0;
    s.defined_at = apr_pstrdup(cmd->pool, where(cmd).c_str());
    return nullptr;
}

const char* auth_authoritative_directive(cmd_parms* cmd, void* cfg, int on) {
    DirConfig* conf = &dir_config_arg(cfg);
    const auto role = static_cast<AuthRole>(reinterpret_cast<std::intptr_t>(cmd->info));
    conf->roles[static_cast<int>(role)].authoritative = on ? 1 : 0;
    return nullptr;
}

}  // namespace fastcgi::httpd
