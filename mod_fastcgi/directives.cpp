// The directive handlers and the command table. Each handler tokenizes its
// arguments, hands them to the pure parser (include/fastcgi/app_options.hpp)
// and decorates any error with the directive name and file:line, so that
// `apachectl -t` names the directive, the option and where it is.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app_registry.hpp"
#include "directive_util.hpp"
#include "directives.hpp"
#include "directives_pm.hpp"
#include "auth_config.hpp"
#include "directives_handoff.hpp"
#include "fastcgi/app_options.hpp"
#include "hook_guard.hpp"
#include "internal_only.hpp"
#include "stderr_log.hpp"

namespace fastcgi::httpd {

namespace {

/// Resolves a -host once, at configuration time (as the original did).
const char* resolve_host(cmd_parms* cmd, App* app) {
    apr_status_t rv = apr_sockaddr_info_get(&app->addr, app->config.host.c_str(), APR_UNSPEC, app->config.port, 0,
                                            cmd->pool);
    if (rv != APR_SUCCESS || !app->addr) {
        char buf[120];
        return config_error(cmd, app->config.filename,
                            {"-host", "-host " + app->config.host + ":" + std::to_string(app->config.port) +
                                      ": cannot resolve \"" + app->config.host + "\": " +
                                      apr_strerror(rv, buf, sizeof buf)});
    }
    const bool v6 = app->addr->family == APR_INET6;
    app->where = (v6 ? "[" : "") + app->config.host + (v6 ? "]" : "") + ":" + std::to_string(app->config.port);
    return nullptr;
}

const char* external_server(cmd_parms* cmd, void*, const char* args) {
    App* app = nullptr;
    if (const char* err = parse_app_directive(cmd, args, parse_external_server, app)) return err;
    if (app->config.balanced()) {
        // One App per member: the connection code (Upstream, ConnectionPool)
        // works on one address; Unix members are resolved with the others
        // in post_config (resolve_app_address).
        for (std::size_t i = 0; i < app->config.members.size(); ++i) {
            const Member& m = app->config.members[i];
            auto* member = pool_new<App>(cmd->pool);
            member->config = app->config;
            member->config.members.clear();
            member->config.host = m.host;
            member->config.port = m.port;
            member->config.socket_path = m.socket_path;
            member->defined_at = app->defined_at;
            member->weight = m.weight;
            if (member->config.uses_tcp())
                if (const char* err = resolve_host(cmd, member)) return err;
            app->members.push_back(member);
        }
    } else if (app->config.uses_tcp()) {
        if (const char* err = resolve_host(cmd, app)) return err;
    }
    AppRegistry::current().apps().push_back(app);
    return nullptr;
}

const char* ipc_dir(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    AppRegistry& reg = AppRegistry::current();
    if (!reg.ipc_dir.empty())
        return config_error(cmd, "", {"", "already defined as \"" + reg.ipc_dir + "\" (at " +
                                              reg.ipc_dir_defined_at + ")"});
    if (!reg.apps().empty())
        return config_error(cmd, "", {"", "FastCgiIpcDir must precede FastCGI application definitions "
                                          "(first one at " + reg.apps().front()->defined_at + ")"});
    std::string dir = canonical_path(cmd->pool, arg);
    if (dir.empty() || dir.front() != '/')
        return config_error(cmd, arg, {"", "invalid directory"});
    reg.ipc_dir = dir;
    reg.ipc_dir_defined_at = where(cmd);
    return nullptr;
}

// httpd declares cmd_func as an untyped pointer for C++; this is the one
// place that casts a typed handler to it.
using RawArgs = const char* (*)(cmd_parms*, void*, const char*);
using Take1 = const char* (*)(cmd_parms*, void*, const char*);

template <RawArgs F>
const char* raw_args_guarded(cmd_parms* cmd, void* cfg, const char* args) {
    return guard_directive(cmd, [&] { return F(cmd, cfg, args); });
}

const char* auth_server_guarded(cmd_parms* cmd, void* cfg, const char* path, const char* option) {
    return guard_directive(cmd, [&] { return auth_server_directive(cmd, cfg, path, option); });
}

const char* internal_only_guarded(cmd_parms* cmd, void* cfg, int on) {
    return guard_directive(cmd, [&] { return internal_only_directive(cmd, cfg, on); });
}

const char* handoff_flag_guarded(cmd_parms* cmd, void* cfg, int on) {
    return guard_directive(cmd, [&] { return handoff_flag_directive(cmd, cfg, on); });
}

const char* sendfile_root_guarded(cmd_parms* cmd, void* cfg, const char* dir, const char* option) {
    return guard_directive(cmd, [&] { return sendfile_root_directive(cmd, cfg, dir, option); });
}

const char* auth_flag_guarded(cmd_parms* cmd, void* cfg, int on) {
    return guard_directive(cmd, [&] { return auth_authoritative_directive(cmd, cfg, on); });
}

const char* stderr_level_guarded(cmd_parms* cmd, void* cfg, const char* a1, const char* a2, const char* a3) {
    return guard_directive(cmd, [&] { return stderr_level_directive(cmd, cfg, a1, a2, a3); });
}

const char* stderr_limit_guarded(cmd_parms* cmd, void* cfg, const char* arg) {
    return guard_directive(cmd, [&] { return stderr_limit_directive(cmd, cfg, arg); });
}

void* role_info(AuthRole r) { return reinterpret_cast<void*>(static_cast<std::intptr_t>(r)); }

template <class Fn>
cmd_func to_cmd_func(Fn f) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
    return reinterpret_cast<cmd_func>(f);
#pragma GCC diagnostic pop
}

}  // namespace

extern const command_rec kCommands[];
const command_rec kCommands[] = {
        {"FastCgiExternalServer", to_cmd_func(&raw_args_guarded<external_server>), nullptr, RSRC_CONF,
         RAW_ARGS, "a fastcgi-script path (URI) followed by -host host:port or -socket path, and options"},
        {"FastCgiIpcDir", to_cmd_func(&raw_args_guarded<ipc_dir>), nullptr, RSRC_CONF, TAKE1,
         "directory for the FastCGI Unix sockets (default DefaultRuntimeDir/fastcgi)"},
        {"FastCgiServer", to_cmd_func(&raw_args_guarded<static_server>), nullptr, RSRC_CONF, RAW_ARGS,
         "a fastcgi-script path followed by options: a static application the process manager runs"},
        {"FastCgiConfig", to_cmd_func(&raw_args_guarded<fastcgi_config>), nullptr, RSRC_CONF, RAW_ARGS,
         "options for dynamic FastCGI applications (started on demand)"},
        {"FastCgiWrapper", to_cmd_func(&raw_args_guarded<wrapper>), nullptr, RSRC_CONF, TAKE1,
         "On, Off or the path of a wrapper (such as suexec) that starts FastCGI applications"},
        {"FastCgiGracefulTimeout", to_cmd_func(&raw_args_guarded<graceful_timeout>), nullptr, RSRC_CONF, TAKE1,
         "seconds a graceful restart lets old application instances finish their requests (default: "
         "GracefulShutdownTimeout if set, else 30)"},
        // The original's old names, so that old configurations keep working.
        {"ExternalAppClass", to_cmd_func(&raw_args_guarded<external_server>), nullptr, RSRC_CONF, RAW_ARGS,
         "old name of FastCgiExternalServer"},
        {"AppClass", to_cmd_func(&raw_args_guarded<static_server>), nullptr, RSRC_CONF, RAW_ARGS,
         "old name of FastCgiServer"},
        {"FCGIConfig", to_cmd_func(&raw_args_guarded<fastcgi_config>), nullptr, RSRC_CONF, RAW_ARGS,
         "old name of FastCgiConfig"},
        {"FastCgiSuexec", to_cmd_func(&raw_args_guarded<wrapper>), nullptr, RSRC_CONF, TAKE1,
         "old name of FastCgiWrapper"},
        {"FastCgiAuthenticator", to_cmd_func(&auth_server_guarded), role_info(AuthRole::Authenticator),
         ACCESS_CONF | OR_AUTHCFG, TAKE12, "a FastCGI application that authenticates users (Basic), and -compat"},
        {"FastCgiAuthenticatorAuthoritative", to_cmd_func(&auth_flag_guarded), role_info(AuthRole::Authenticator),
         ACCESS_CONF | OR_AUTHCFG, FLAG, "Off lets other modules decide when the FastCGI authenticator denies"},
        {"FastCgiAuthorizer", to_cmd_func(&auth_server_guarded), role_info(AuthRole::Authorizer),
         ACCESS_CONF | OR_AUTHCFG, TAKE12, "a FastCGI application that authorizes authenticated users, and -compat"},
        {"FastCgiAuthorizerAuthoritative", to_cmd_func(&auth_flag_guarded), role_info(AuthRole::Authorizer),
         ACCESS_CONF | OR_AUTHCFG, FLAG, "Off lets other modules decide when the FastCGI authorizer denies"},
        {"FastCgiAccessChecker", to_cmd_func(&auth_server_guarded), role_info(AuthRole::AccessChecker),
         ACCESS_CONF | OR_AUTHCFG, TAKE12, "a FastCGI application that controls access, and -compat"},
        {"FastCgiAccessCheckerAuthoritative", to_cmd_func(&auth_flag_guarded), role_info(AuthRole::AccessChecker),
         ACCESS_CONF | OR_AUTHCFG, FLAG, "Off lets other modules decide when the FastCGI access checker denies"},
        {"FastCgiInternalOnly", to_cmd_func(&internal_only_guarded), nullptr, ACCESS_CONF, FLAG,
         "On: only an application's X-Accel-Redirect reaches this location; clients get 404"},
        {"FastCgiStderrLevel", to_cmd_func(&stderr_level_guarded), nullptr, RSRC_CONF | ACCESS_CONF, TAKE23,
         "a literal prefix (or ~ and a regular expression) and the level its stderr lines are logged at"},
        {"FastCgiStderrLimit", to_cmd_func(&stderr_limit_guarded), nullptr, RSRC_CONF | ACCESS_CONF, TAKE1,
         "bytes of an application's stderr logged per request (default 64K; 0 or unlimited: no limit)"},
        {"FastCgiXSendfile", to_cmd_func(&handoff_flag_guarded), nullptr, RSRC_CONF | ACCESS_CONF, FLAG,
         "On: an application's X-Sendfile header is answered with that file (under a FastCgiSendfileRoot)"},
        {"FastCgiXAccelRedirect", to_cmd_func(&handoff_flag_guarded), reinterpret_cast<void*>(1),
         RSRC_CONF | ACCESS_CONF, FLAG, "On: an application's X-Accel-Redirect header is an internal redirect"},
        {"FastCgiSendfileRoot", to_cmd_func(&sendfile_root_guarded), nullptr, RSRC_CONF | ACCESS_CONF, TAKE12,
         "a directory X-Sendfile may serve files from, and FollowSymlinks to let symlinks under it lead anywhere"},
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
};

}  // namespace fastcgi::httpd
