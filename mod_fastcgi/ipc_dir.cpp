// FastCgiIpcDir at start-up: create it (mode 0700, owned by httpd's User
// and Group when started as root) or check that User/Group may use it, and
// resolve every relative -socket against it. Runs in post_config, in the
// parent, before any request.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <unixd.h>

#include "app_registry.hpp"
#include "fastcgi/app_options.hpp"
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

int fail(server_rec* s, int err, const std::string& msg) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, err ? APR_FROM_OS_ERROR(err) : 0, s, "FastCGI: FastCgiIpcDir %s",
                 msg.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
}

int make_or_check_dir(server_rec* s, const std::string& dir) {
    const uid_t uid = ap_unixd_config.user_id;
    const gid_t gid = ap_unixd_config.group_id;
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) return fail(s, errno, "\"" + dir + "\": stat() failed");
        if (::mkdir(dir.c_str(), S_IRWXU) != 0 && errno != EEXIST)
            return fail(s, errno, "\"" + dir + "\": mkdir() failed");
        if (::geteuid() == 0 && ::chown(dir.c_str(), uid, gid) != 0)
            return fail(s, errno, "\"" + dir + "\": chown() to User/Group failed");
        return OK;
    }
    if (!S_ISDIR(st.st_mode)) return fail(s, 0, "\"" + dir + "\" exists and is not a directory");
    if (!may_use(st, uid, gid))
        return fail(s, 0, "\"" + dir + "\": access for server (uid " + std::to_string(uid) + ", gid " +
                              std::to_string(gid) + ") not allowed: read, write and search are needed");
    return OK;
}

}  // namespace

int prepare_ipc_dir(apr_pool_t* pconf, server_rec* s) {
    const std::string dir = effective_ipc_dir(pconf);
    bool needed = false;
    for (App* app : AppRegistry::current().apps()) {
        if (app->config.uses_tcp()) continue;
        const std::string& sock = app->config.socket_path;
        app->socket_path = sock.front() == '/' ? sock : dir + "/" + sock;
        needed = needed || sock.front() != '/';
        if (app->socket_path.size() > kMaxSocketPath) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "FastCGI: FastCgiExternalServer %s: option -socket: path \"%s\" is too long for a "
                         "Unix socket (at %s)",
                         app->config.filename.c_str(), app->socket_path.c_str(), app->defined_at.c_str());
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_status_t rv = apr_sockaddr_info_get(&app->addr, app->socket_path.c_str(), APR_UNIX, 0, 0, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "FastCGI: cannot use Unix socket \"%s\" for \"%s\"",
                         app->socket_path.c_str(), app->config.filename.c_str());
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        app->where = "unix:" + app->socket_path;
    }
    // The directory is ours to create and check when it is configured or
    // some socket lives in it; the process manager will need it as well.
    if (needed || !AppRegistry::current().ipc_dir.empty()) return make_or_check_dir(s, dir);
    return OK;
}

}  // namespace fastcgi::httpd
