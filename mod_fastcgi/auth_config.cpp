// See auth_config.hpp.
#include "auth_config.hpp"

#include <string>

#include "app_registry.hpp"
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

void* create_auth_dir_config(apr_pool_t* p, char*) {
    void* mem = apr_pcalloc(p, sizeof(AuthDirConfig));
    return new (mem) AuthDirConfig();
}

void* merge_auth_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
    const auto* base = static_cast<const AuthDirConfig*>(base_v);
    const auto* add = static_cast<const AuthDirConfig*>(add_v);
    auto* out = static_cast<AuthDirConfig*>(create_auth_dir_config(p, nullptr));
    for (int i = 0; i < kAuthRoles; ++i) {
        const AuthSetting& b = base->roles[i];
        const AuthSetting& a = add->roles[i];
        AuthSetting& o = out->roles[i];
        if (a.path) {
            o.path = a.path;
            o.compat = a.compat;
            o.defined_at = a.defined_at;
        } else {
            o.path = b.path;
            o.compat = b.compat;
            o.defined_at = b.defined_at;
        }
        o.authoritative = a.authoritative != -1 ? a.authoritative : b.authoritative;
    }
    out->internal_only = add->internal_only != -1 ? add->internal_only : base->internal_only;
    merge_stderr_dir_config(p, base->stderr_log, add->stderr_log, out->stderr_log);
    merge_handoff_dir_config(base->handoff, add->handoff, out->handoff);
    return out;
}

// cmd->info carries the role (set in the command table).
const char* auth_server_directive(cmd_parms* cmd, void* cfg, const char* path, const char* option) {
    auto* conf = static_cast<AuthDirConfig*>(cfg);
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
    auto* conf = static_cast<AuthDirConfig*>(cfg);
    const auto role = static_cast<AuthRole>(reinterpret_cast<std::intptr_t>(cmd->info));
    conf->roles[static_cast<int>(role)].authoritative = on ? 1 : 0;
    return nullptr;
}

}  // namespace fastcgi::httpd
