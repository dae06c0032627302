// See directive_util.hpp.
#include "directive_util.hpp"
#include "directives_handoff.hpp"

#include <cstdlib>

#include "app_registry.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

std::string where(const cmd_parms* cmd) {
    if (!cmd->directive) return "";
    return std::string(cmd->directive->filename ? cmd->directive->filename : "?") + ":" +
           std::to_string(cmd->directive->line_num);
}

const char* config_error(cmd_parms* cmd, std::string_view subject, const ConfigError& e) {
    std::string msg = cmd->cmd->name;
    if (!subject.empty()) msg += " " + std::string(subject);
    msg += ": ";
    if (!e.option.empty() && e.message.find(e.option) == std::string::npos)
        msg += "option " + e.option + ": ";
    msg += e.message;
    msg += " (at " + where(cmd) + ")";
    return apr_pstrdup(cmd->pool, msg.c_str());
}

std::vector<std::string> tokenize(apr_pool_t* p, const char* args) {
    std::vector<std::string> words;
    while (*args) {
        const char* w = ap_getword_conf(p, &args);
        if (!*w && !*args) break;
        words.emplace_back(w);
    }
    return words;
}

/// Canonical absolute form of a configured filename: ServerRoot-relative,
/// no "." or ".." segments, no doubled slashes.
std::string canonical_path(apr_pool_t* p, const char* name) {
    char* abs = ap_server_root_relative(p, name);
    if (!abs) return {};
    abs = apr_pstrdup(p, abs);
    ap_getparents(abs);
    ap_no2slash(abs);
    std::string s(abs);
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

const char* parse_app_directive(cmd_parms* cmd, const char* args, AppOptionParser parse, App*& out) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
    const std::vector<std::string> words = tokenize(cmd->temp_pool, args);
    if (words.empty()) return config_error(cmd, "", {"", "missing filename"});
    auto* app = pool_new<App>(cmd->pool);
    app->config.filename = canonical_path(cmd->pool, words[0].c_str());
    if (app->config.filename.empty()) return config_error(cmd, words[0], {"", "invalid filename"});
    app->defined_at = where(cmd);
    const std::vector<std::string_view> opts(words.begin() + 1, words.end());
    if (auto e = parse(std::span<const std::string_view>(opts), app->config))
        return config_error(cmd, app->config.filename, *e);
    if (const char* err = resolve_sendfile_roots(cmd, app->config.filename, app->config.handoff)) return err;
    for (const App* other : AppRegistry::current().apps())
        if (other->config.filename == app->config.filename)
            return config_error(cmd, app->config.filename,
                                {"", "redefinition of a previously defined FastCGI application (at " +
                                         other->defined_at + ")"});
    out = app;
    return nullptr;
}

std::vector<std::string> resolve_initial_env(const std::vector<std::string>& entries) {
    std::vector<std::string> env;
    env.reserve(entries.size());
    for (const std::string& e : entries) {
        if (e.find('=') != std::string::npos) {
            env.push_back(e);
        } else {
            const char* v = std::getenv(e.c_str());
            env.push_back(e + "=" + (v ? v : ""));
        }
    }
    return env;
}

}  // namespace fastcgi::httpd
