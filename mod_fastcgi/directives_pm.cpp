// Directive handlers for the applications the process manager runs:
// FastCgiServer (static), FastCgiConfig (dynamic defaults),
// FastCgiWrapper and FastCgiGracefulTimeout. Errors name the directive, the option and file:line.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app_registry.hpp"
#include "directive_util.hpp"
#include "directives_handoff.hpp"
#include "directives_pm.hpp"
#include "fastcgi/app_options.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

const char* static_server(cmd_parms* cmd, void*, const char* args) {
    App* app = nullptr;
    if (const char* err = parse_app_directive(cmd, args, parse_static_server, app)) return err;
    AppRegistry& reg = AppRegistry::current();
    // Without a wrapper the file must be there now; with one, checking it
    // is the wrapper's job (as in the original).
    if (reg.wrapper.empty()) {
        struct stat st{};
        if (::stat(app->config.filename.c_str(), &st) != 0)
            return config_error(cmd, app->config.filename,
                                {"", std::string("stat(") + app->config.filename + ") failed: " + std::strerror(errno)});
        if (!S_ISREG(st.st_mode) || !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
            return config_error(cmd, app->config.filename, {"", "not an executable file"});
    }
    app->config.spawn.initial_env = resolve_initial_env(app->config.spawn.initial_env);
    reg.apps().push_back(app);
    return nullptr;
}

const char* fastcgi_config(cmd_parms* cmd, void*, const char* args) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    std::vector<std::string> words = tokenize(cmd->temp_pool, args);
    AppRegistry& reg = AppRegistry::current();
    DynamicConfig dyn = reg.dynamic;
    dyn.spawn.initial_env.clear();  // each FastCgiConfig replaces it, as in the original
    const std::vector<std::string_view> opts(words.begin(), words.end());
    if (auto e = parse_fastcgi_config(std::span<const std::string_view>(opts), dyn)) return config_error(cmd, "", *e);
    if (const char* err = resolve_sendfile_roots(cmd, "", dyn.handoff)) return err;
    reg.dynamic = dyn;
    reg.dynamic_env = resolve_initial_env(dyn.spawn.initial_env);
    return nullptr;
}

const char* wrapper(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    AppRegistry& reg = AppRegistry::current();
    if (!reg.wrapper_defined_at.empty())
        return config_error(cmd, "", {"", "FastCgiWrapper was already set to \"" +
                                              (reg.wrapper.empty() ? std::string("Off") : reg.wrapper) + "\" (at " +
                                              reg.wrapper_defined_at + ")"});
    for (const App* a : reg.apps())
        if (a->config.kind == AppKind::Static)
            return config_error(cmd, "", {"", "FastCgiWrapper must precede FastCgiServer definitions (first one at " +
                                                  a->defined_at + ")"});
    reg.wrapper_defined_at = where(cmd);
    if (!strcasecmp(arg, "Off")) return nullptr;
    const std::string path = !strcasecmp(arg, "On") ? std::string(SUEXEC_BIN) : canonical_path(cmd->pool, arg);
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
        return config_error(cmd, arg, {"", "\"" + path + "\" is not an executable file"});
    reg.wrapper = path;
    return nullptr;
}

const char* graceful_timeout(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    AppRegistry& reg = AppRegistry::current();
    if (!reg.graceful_timeout_defined_at.empty())
        return config_error(cmd, "", {"", "already set to " + std::to_string(reg.graceful_timeout) + " (at " +
                                              reg.graceful_timeout_defined_at + ")"});
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(arg, &end, 10);
    if (!*arg || *end || errno || v < 0 || v > kMaxGracefulTimeout)
        return config_error(cmd, "", {"", "\"" + std::string(arg) + "\" must be a number of seconds from 0 to " +
                                              std::to_string(kMaxGracefulTimeout)});
    reg.graceful_timeout = static_cast<int>(v);
    reg.graceful_timeout_defined_at = where(cmd);
    return nullptr;
}

}  // namespace fastcgi::httpd
