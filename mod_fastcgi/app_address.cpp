// See app_address.hpp.
#include "app_address.hpp"

#include <unixd.h>

#include "fastcgi/app_options.hpp"
#include "fastcgi/identity.hpp"
#include "fastcgi/socket_names.hpp"

namespace fastcgi::httpd {

namespace {

int bad_socket(server_rec* s, const App* app, const char* what) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "FastCGI: %s %s: socket path \"%s\" %s (at %s)",
                 app->config.kind == AppKind::Static ? "FastCgiServer" : "FastCgiExternalServer",
                 app->config.filename.c_str(), app->socket_path.c_str(), what, app->defined_at.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace

int resolve_app_address(apr_pool_t* pconf, server_rec* s, const std::string& dir, App* app) {
    if (!app->members.empty()) {
        // A balanced app: its members are what requests reach; the app
        // itself names them all in log lines and stands for the first one
        // where code knows a single address.
        app->where.clear();
        for (App* m : app->members) {
            if (const int rc = resolve_app_address(pconf, s, dir, m); rc != OK) return rc;
            app->where += (app->where.empty() ? "" : ", ") + m->where;
        }
        app->addr = app->members.front()->addr;
        app->socket_path = app->members.front()->socket_path;
        return OK;
    }
    if (app->config.kind == AppKind::Static && app->config.listen_port) {
        app->config.host = "127.0.0.1";
        app->config.port = app->config.listen_port;
        apr_status_t rv = apr_sockaddr_info_get(&app->addr, "127.0.0.1", APR_INET, app->config.port, 0, pconf);
        if (rv != APR_SUCCESS) return HTTP_INTERNAL_SERVER_ERROR;
        app->where = "127.0.0.1:" + std::to_string(app->config.port);
        return OK;
    }
    if (app->config.uses_tcp()) return OK;
    if (app->config.kind == AppKind::Static && !AppRegistry::current().wrapper.empty()) {
        // With a wrapper the socket name includes the identity, as in the
        // original: by default httpd's User and Group.
        const std::string& u = app->config.user;
        const std::string& g = app->config.group;
        app->wrapper_user = user_name(u.empty() ? "#" + std::to_string(ap_unixd_config.user_id) : u);
        app->wrapper_group = group_name(g.empty() ? "#" + std::to_string(ap_unixd_config.group_id) : g);
    }
    const std::string& sock = app->config.socket_path;
    if (sock.empty()) {
        app->socket_path = static_socket_path(dir, app->config.filename, app->wrapper_user, app->wrapper_group);
    } else {
        app->socket_path = sock.front() == '/' ? sock : dir + "/" + sock;
    }
    if (app->socket_path.size() > kMaxSocketPath) return bad_socket(s, app, "is too long for a Unix socket");
    apr_status_t rv = apr_sockaddr_info_get(&app->addr, app->socket_path.c_str(), APR_UNIX, 0, 0, pconf);
    if (rv != APR_SUCCESS) return bad_socket(s, app, "cannot be used");
    app->where = "unix:" + app->socket_path;
    return OK;
}

}  // namespace fastcgi::httpd
