// FastCgiIpcDir at start-up: create it (mode 0700, owned by httpd's User
// and Group when started as root) or check that User/Group may use it, and
// resolve every app's address against it (app_address.cpp). Runs in
// post_config, in the parent, before any request.
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

int fail(server_rec* s, int err, const std::string& msg) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, err ? APR_FROM_OS_ERROR(err) : 0, s, "FastCGI: FastCgiIpcDir %s",
                 msg.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
}

/// "chown 33:33 '/x' && chmod 0700 '/x'": what gives User/Group the directory.
std::string chown_fix(const std::string& dir, uid_t uid, gid_t gid) {
    return "chown " + std::to_string(uid) + ":" + std::to_string(gid) + " " + dir + " && chmod 0700 " + dir;
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
    if (!S_ISDIR(st.st_mode))
        return fail(s, 0, "\"" + dir + "\" exists and is not a directory; likely fix: remove it, " + elsewhere);
    if (!may_use(st, uid, gid))
        return fail(s, 0, "\"" + dir + "\": access for server (uid " + std::to_string(uid) + ", gid " +
                              std::to_string(gid) + ") not allowed: read, write and search are needed; likely fix: " +
                              chown_fix(dir, uid, gid));
    return OK;
}

}  // namespace

int prepare_ipc_dir(apr_pool_t* pconf, server_rec* s) {
    const std::string dir = effective_ipc_dir(pconf);
    for (App* app : AppRegistry::current().apps())
        if (const int rc = resolve_app_address(pconf, s, dir, app); rc != OK) return rc;
    // The process manager keeps its sockets here, and dynamic ones below.
    if (const int rc = make_or_check_dir(s, dir); rc != OK) return rc;
    return make_or_check_dir(s, dir + "/dynamic");
}

}  // namespace fastcgi::httpd
