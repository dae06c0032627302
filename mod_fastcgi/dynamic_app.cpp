// See dynamic_app.hpp.
#include "dynamic_app.hpp"

#include <unixd.h>

#include "admission.hpp"
#include "fastcgi/app_stats.hpp"
#include "fastcgi/identity.hpp"
#include "fastcgi/socket_names.hpp"
#include "hook_guard.hpp"
#include "pm_client.hpp"

namespace fastcgi::httpd {

namespace {

/// Whether httpd's User/Group may execute `finfo` (owner, group or other
/// bits, as the original checked).
bool executable_by_server(const apr_finfo_t& finfo) {
    const uid_t uid = ap_unixd_config.user_id;
    const gid_t gid = ap_unixd_config.group_id;
    if (finfo.user == uid) return finfo.protection & APR_UEXECUTE;
    if (finfo.group == gid) return finfo.protection & APR_GEXECUTE;
    return finfo.protection & APR_WEXECUTE;
}

}  // namespace

DynamicApp::DynamicApp(request_rec* r, const char* path, const apr_finfo_t& finfo, bool need_execcgi, int& status)
    : r_(r) {
    status = OK;
    const AppRegistry& reg = AppRegistry::current();
    if (finfo.filetype == APR_NOFILE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOENT, r, "FastCGI: stat() of \"%s\" failed", path);
        status = HTTP_NOT_FOUND;
        return;
    }
    if (finfo.filetype == APR_DIR) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: invalid (dynamic) server \"%s\": script is a directory!",
                      path);
        status = HTTP_FORBIDDEN;
        return;
    }
    if (reg.wrapper.empty() && !executable_by_server(finfo)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FastCGI: invalid (dynamic) server \"%s\": access for server (uid %ld, gid %ld) not allowed: "
                      "execute not allowed; likely fix: chmod +x %s (httpd's User must execute it)",
                      path, static_cast<long>(ap_unixd_config.user_id),
                      static_cast<long>(ap_unixd_config.group_id), path);
        status = HTTP_FORBIDDEN;
        return;
    }
    if (need_execcgi && !(ap_allow_options(r) & OPT_EXECCGI)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FastCGI: \"ExecCGI Option\" is off in this directory: %s; likely fix: Options +ExecCGI "
                      "in the <Directory> that holds \"%s\"",
                      r->uri, path);
        status = HTTP_FORBIDDEN;
        return;
    }
    if (!reg.wrapper.empty()) {
        if (ap_unix_identity_t* id = ap_run_get_suexec_identity(r)) {
            // As mod_suexec passes them: "~name" for a ~user request, else
            // numbers; the group is always the number.
            user_ = id->userdir ? "~" + user_name("#" + std::to_string(id->uid)) : std::to_string(id->uid);
            group_ = std::to_string(id->gid);
        }
    }
    const DynamicConfig& dyn = reg.dynamic;
    app_ = pool_new<App>(r->pool);
    app_->config.kind = AppKind::Dynamic;
    app_->config.filename = path;
    mtime_ = finfo.mtime;
    app_->config.app_conn_timeout = dyn.app_conn_timeout;
    app_->config.idle_timeout = dyn.idle_timeout;
    app_->config.flush = dyn.flush;
    app_->config.pass_headers = dyn.pass_headers;
    app_->config.handoff = dyn.handoff;
    app_->config.admission = dynamic_class_limits(dyn);
    app_->socket_path = dynamic_socket_path(effective_ipc_dir(r->pool), path, user_, group_);
    app_->where = "unix:" + app_->socket_path;
    app_->identity = stats::identity_of(user_, group_);
    if (apr_sockaddr_info_get(&app_->addr, app_->socket_path.c_str(), APR_UNIX, 0, 0, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: (dynamic) server \"%s\": socket path \"%s\" unusable",
                      path, app_->socket_path.c_str());
        app_ = nullptr;
        status = HTTP_INTERNAL_SERVER_ERROR;
    }
}

void DynamicApp::send(PmMessageType type, std::uint64_t service_us) {
    PmMessage m;
    m.type = type;
    m.path = app_->config.filename;
    m.user = user_;
    m.group = group_;
    m.service_us = service_us;
    if (!send_to_pm(m))
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r_, "FastCGI: message to the process manager not sent");
}

Exchange::Waiting DynamicApp::prepare() {
    const DynamicConfig& dyn = AppRegistry::current().dynamic;
    apr_finfo_t sock{};
    if (apr_stat(&sock, app_->socket_path.c_str(), APR_FINFO_MTIME, r_->pool) != APR_SUCCESS) {
        send(PmMessageType::Start);
    } else if (dyn.auto_update && mtime_ > sock.mtime) {
        send(PmMessageType::Restart);
        apr_sleep(apr_time_from_sec(1));  // as the original: let the old ones go
    }
    Exchange::Waiting w;
    const unsigned wait_s = dyn.app_conn_timeout ? dyn.app_conn_timeout : 10;
    w.connect_deadline = apr_time_now() + apr_time_from_sec(wait_s);
    w.every = apr_time_from_sec(dyn.start_delay);
    w.on_wait = [this] { send(PmMessageType::Waited); };
    return w;
}

void DynamicApp::done(apr_time_t connected_at) {
    if (!connected_at) return;
    send(PmMessageType::Done, static_cast<std::uint64_t>(apr_time_now() - connected_at));
}

}  // namespace fastcgi::httpd
