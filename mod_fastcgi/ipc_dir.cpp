// FastCgiIpcDir at start-up: create it (mode 0700, owned by httpd's User
// and Group when started as root) or check that User/Group may use it, and
// resolve every app's address against it (app_address.cpp). Runs in
// post_config, in the parent, before any request.
//
// check_configuration() makes every check that needs no change on disk in
// the check_config hook, which httpd also runs for `apache2 -t`: what start
// would refuse makes the syntax check fail too (a graceful restart after
// such a change would otherwise take the site down). post_config keeps its
// own checks: the disk may change between the two.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <unixd.h>

#include "app_address.hpp"
#include "app_registry.hpp"
#include "ipc_dir.hpp"

namespace fastcgi::httpd {

namespace {

/// Whether uid/gid may read, write and search `st`, by the owner, group or
/// other bits that apply to them (as the kernel decides, minus ACLs).
bool may_use(const struct stat& st, uid_t uid, gid_t gid) {
    if (uid == 0) return true;
    if (st.st_uid == uid) return (st.st_mode & S_IRWXU) == S_IRWXU;
    if (st.st_gid == gid) return (st.st_mode & S_IRWXG) == S_IRWXG;
    return (st.st_mode & S_IRWXO) == S_IRWXO;
}

/// Whether uid/gid may execute `st` (owner, group or other x bit).
bool may_execute(const struct stat& st, uid_t uid, gid_t gid) {
    if (uid == 0) return (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
    if (st.st_uid == uid) return (st.st_mode & S_IXUSR) != 0;
    if (st.st_gid == gid) return (st.st_mode & S_IXGRP) != 0;
    return (st.st_mode & S_IXOTH) != 0;
}

/// Where FastCgiIpcDir was set, for error lines.
std::string ipc_dir_origin() {
    const std::string& at = AppRegistry::current().ipc_dir_defined_at;
    return at.empty() ? "the default; no FastCgiIpcDir directive" : at;
}

int fail(server_rec* s, int err, const std::string& msg) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, err ? APR_FROM_OS_ERROR(err) : 0, s, "FastCGI: FastCgiIpcDir %s (at %s)",
                 msg.c_str(), ipc_dir_origin().c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
}

/// "chown 33:33 '/x' && chmod 0700 '/x'": what gives User/Group the directory.
std::string chown_fix(const std::string& dir, uid_t uid, gid_t gid) {
    return "chown " + std::to_string(uid) + ":" + std::to_string(gid) + " " + dir + " && chmod 0700 " + dir;
}

/// The checks of an existing directory: OK when it is missing (start
/// creates it) or usable by User/Group.
int check_dir(server_rec* s, const std::string& dir) {
    const uid_t uid = ap_unixd_config.user_id;
    const gid_t gid = ap_unixd_config.group_id;
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0)
        return errno == ENOENT ? OK : fail(s, errno, "\"" + dir + "\": stat() failed");
    if (!S_ISDIR(st.st_mode))
        return fail(s, 0, "\"" + dir + "\" exists and is not a directory; likely fix: remove it, or set "
                              "FastCgiIpcDir to a directory on a local file system");
    if (!may_use(st, uid, gid))
        return fail(s, 0, "\"" + dir + "\": access for server (uid " + std::to_string(uid) + ", gid " +
                              std::to_string(gid) + ") not allowed: read, write and search are needed; likely fix: " +
                              chown_fix(dir, uid, gid));
    return OK;
}

int app_error(server_rec* s, const App* app, const std::string& msg) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "FastCGI: %s %s: %s (at %s)",
                 app->config.kind == AppKind::Static ? "FastCgiServer" : "FastCgiExternalServer",
                 app->config.filename.c_str(), msg.c_str(), app->defined_at.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
}

/// A static app's file must be executable by User/Group (they run it),
/// unless a wrapper starts it (then checking it is the wrapper's job).
int check_static_file(server_rec* s, const App* app) {
    if (app->config.kind != AppKind::Static || !AppRegistry::current().wrapper.empty()) return OK;
    struct stat st{};
    if (::stat(app->config.filename.c_str(), &st) != 0)
        return app_error(s, app, "stat(" + app->config.filename + ") failed: " + std::strerror(errno));
    const uid_t uid = ap_unixd_config.user_id;
    const gid_t gid = ap_unixd_config.group_id;
    if (!S_ISREG(st.st_mode) || !may_execute(st, uid, gid))
        return app_error(s, app, "access for server (uid " + std::to_string(uid) + ", gid " + std::to_string(gid) +
                                     ") not allowed: execute not allowed");
    return OK;
}

/// Two applications the PM would listen for on one socket or port.
int check_conflicts(server_rec* s) {
    const std::vector<App*>& apps = AppRegistry::current().apps();
    for (std::size_t i = 0; i < apps.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) {
            const App* a = apps[i];
            const App* b = apps[j];
            // An external app may name a static app's socket on purpose.
            if (a->config.kind != AppKind::Static || b->config.kind != AppKind::Static) continue;
            const bool same_socket = !a->config.listen_port && !b->config.listen_port && !a->socket_path.empty() &&
                                     a->socket_path == b->socket_path;
            const bool same_port = a->config.listen_port && a->config.listen_port == b->config.listen_port;
            if (same_socket || same_port)
                return app_error(s, a, std::string("conflicts with ") + b->config.filename + " (at " + b->defined_at +
                                           "): both use " +
                                           (same_port ? "-port " + std::to_string(a->config.listen_port)
                                                      : "the socket " + a->socket_path));
        }
    return OK;
}

int make_or_check_dir(server_rec* s, const std::string& dir) {
    const uid_t uid = ap_unixd_config.user_id;
    const gid_t gid = ap_unixd_config.group_id;
    const std::string elsewhere = "or set FastCgiIpcDir to a directory on a local file system";
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT)
            return fail(s, errno, "\"" + dir + "\": stat() failed; likely fix: make its parent directories "
                                  "searchable by root, " + elsewhere);
        if (::mkdir(dir.c_str(), S_IRWXU) != 0 && errno != EEXIST)
            return fail(s, errno, "\"" + dir + "\": mkdir() failed; likely fix: create its parent directory, " +
                                      elsewhere);
        if (::geteuid() == 0 && ::chown(dir.c_str(), uid, gid) != 0)
            return fail(s, errno, "\"" + dir + "\": chown() to User/Group failed; likely fix: " + elsewhere +
                                      " (not NFS with root_squash)");
        return OK;
    }
    return check_dir(s, dir);
}

}  // namespace

int check_configuration(apr_pool_t* pconf, server_rec* s) {
    const std::string dir = effective_ipc_dir(pconf);
    if (const int rc = check_dir(s, dir); rc != OK) return rc;
    if (const int rc = check_dir(s, dir + "/dynamic"); rc != OK) return rc;
    for (App* app : AppRegistry::current().apps()) {
        if (const int rc = resolve_app_address(pconf, s, dir, app); rc != OK) return rc;
        if (const int rc = check_static_file(s, app); rc != OK) return rc;
    }
    return check_conflicts(s);
}

int prepare_ipc_dir(apr_pool_t* pconf, server_rec* s) {
    const std::string dir = effective_ipc_dir(pconf);
    for (App* app : AppRegistry::current().apps())
        if (const int rc = resolve_app_address(pconf, s, dir, app); rc != OK) return rc;
    // The process manager keeps its sockets here, and dynamic ones below.
    if (const int rc = make_or_check_dir(s, dir); rc != OK) return rc;
    return make_or_check_dir(s, dir + "/dynamic");
}

}  // namespace fastcgi::httpd
