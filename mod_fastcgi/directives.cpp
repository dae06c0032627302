// The directive handlers and the command table. Each handler tokenizes its
// arguments, hands them to the pure parser (include/fastcgi/app_options.hpp)
// and decorates any error with the directive name and file:line, so that
// `apachectl -t` names the directive, the option and where it is.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app_registry.hpp"
#include "directive_util.hpp"
#include "directives.hpp"
#include "directives_pm.hpp"
#include "fastcgi/app_options.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

namespace {

const char* external_server(cmd_parms* cmd, void*, const char* args) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
    std::vector<std::string> words = tokenize(cmd->temp_pool, args);
    if (words.empty()) return config_error(cmd, "", {"", "missing filename"});

    AppRegistry& reg = AppRegistry::current();
    auto* app = pool_new<App>(cmd->pool);
    app->config.filename = canonical_path(cmd->pool, words[0].c_str());
    if (app->config.filename.empty()) return config_error(cmd, words[0], {"", "invalid filename"});
    app->defined_at = where(cmd);

    std::vector<std::string_view> opts(words.begin() + 1, words.end());
    if (auto e = parse_external_server(std::span<const std::string_view>(opts), app->config))
        return config_error(cmd, app->config.filename, *e);

    for (const App* other : reg.apps())
        if (other->config.filename == app->config.filename)
            return config_error(cmd, app->config.filename,
                                {"", "redefinition of a previously defined FastCGI application (at " +
                                         other->defined_at + ")"});

    if (app->config.uses_tcp()) {
        apr_status_t rv = apr_sockaddr_info_get(&app->addr, app->config.host.c_str(), APR_UNSPEC,
                                                app->config.port, 0, cmd->pool);
        if (rv != APR_SUCCESS || !app->addr) {
            char buf[120];
            return config_error(cmd, app->config.filename,
                                {"-host", "cannot resolve \"" + app->config.host +
                                              "\": " + apr_strerror(rv, buf, sizeof buf)});
        }
        const bool v6 = app->addr->family == APR_INET6;
        app->where = (v6 ? "[" : "") + app->config.host + (v6 ? "]" : "") + ":" +
                     std::to_string(app->config.port);
    }
    reg.apps().push_back(app);
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
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
};

}  // namespace fastcgi::httpd
