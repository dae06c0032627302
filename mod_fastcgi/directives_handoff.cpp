// See directives_handoff.hpp.
#include "directives_handoff.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dir_config.hpp"
#include "directive_util.hpp"
#include "fastcgi/app_options.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

namespace {

/// realpath() of a root, which must be a directory; the error or nullptr.
const char* resolve_root(cmd_parms* cmd, std::string_view subject, const char* option, SendfileRoot& root) {
    char real[PATH_MAX];
    struct stat st{};
    if (!::realpath(root.path.c_str(), real) || ::stat(real, &st) != 0)
        return config_error(cmd, subject, {option, "\"" + root.path + "\": " + std::strerror(errno)});
    if (!S_ISDIR(st.st_mode)) return config_error(cmd, subject, {option, "\"" + root.path + "\" is not a directory"});
    root.real = real;
    return nullptr;
}

}  // namespace

const char* resolve_sendfile_roots(cmd_parms* cmd, std::string_view subject, HandoffConfig& handoff) {
    for (SendfileRoot& root : handoff.roots) {
        if (!root.real.empty()) continue;
        if (const char* err =
                resolve_root(cmd, subject, root.follow_symlinks ? "-sendfile-root-follow" : "-sendfile-root", root))
            return err;
    }
    return nullptr;
}

void merge_handoff_dir_config(const HandoffDirConfig& base, const HandoffDirConfig& add, HandoffDirConfig& out) {
    out.x_sendfile = add.x_sendfile != -1 ? add.x_sendfile : base.x_sendfile;
    out.x_accel_redirect = add.x_accel_redirect != -1 ? add.x_accel_redirect : base.x_accel_redirect;
    out.roots = add.roots ? add.roots : base.roots;
}

HandoffSettings effective_handoff(const HandoffConfig& app, const HandoffDirConfig& dir) noexcept {
    HandoffSettings s;
    s.x_sendfile = dir.x_sendfile != -1 ? dir.x_sendfile == 1 : app.x_sendfile;
    s.x_accel_redirect = dir.x_accel_redirect != -1 ? dir.x_accel_redirect == 1 : app.x_accel_redirect;
    s.roots = dir.roots ? dir.roots : &app.roots;
    return s;
}

const char* handoff_flag_directive(cmd_parms* cmd, void* cfg, int on) {
    HandoffDirConfig& h = dir_config_arg(cfg).handoff;
    (cmd->info ? h.x_accel_redirect : h.x_sendfile) = on ? 1 : 0;
    return nullptr;
}

const char* sendfile_root_directive(cmd_parms* cmd, void* cfg, const char* dir, const char* option) {
    HandoffDirConfig& h = dir_config_arg(cfg).handoff;
    const bool follow = option && strcasecmp(option, "FollowSymlinks") == 0;
    if (option && !follow)
        return config_error(cmd, dir, {option, std::string("unknown option: \"") + option + "\" (FollowSymlinks?)"});
    std::vector<SendfileRoot> parsed;
    if (auto e = parse_sendfile_root("FastCgiSendfileRoot", dir, follow, parsed))
        return config_error(cmd, "", {"", e->message});
    if (const char* err = resolve_root(cmd, "", "", parsed.front())) return err;
    if (!h.roots) h.roots = pool_new<std::vector<SendfileRoot>>(cmd->pool);
    h.roots->push_back(std::move(parsed.front()));
    return nullptr;
}

}  // namespace fastcgi::httpd
