// See directive_util.hpp.
#include "directive_util.hpp"

#include <cstdlib>

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
