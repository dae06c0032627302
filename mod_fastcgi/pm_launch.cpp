// See pm_launch.hpp.
#include "pm_launch.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <ap_listen.h>

#include "hook_guard.hpp"

namespace fastcgi::httpd {

namespace {

using pm::PmConfig;

int httpd_level(pm::LogLevel l) {
    switch (l) {
    case pm::LogLevel::Alert: return APLOG_ALERT;
    case pm::LogLevel::Crit: return APLOG_CRIT;
    case pm::LogLevel::Err: return APLOG_ERR;
    case pm::LogLevel::Warning: return APLOG_WARNING;
    case pm::LogLevel::Notice: return APLOG_NOTICE;
    case pm::LogLevel::Info: return APLOG_INFO;
    case pm::LogLevel::Debug: return APLOG_DEBUG;
    }
    return APLOG_ERR;
}

/// The PM's log lines, into httpd's error log as if logged where the PM
/// logged them.
pm::LogSink error_log_of(server_rec* s) {
    return [s](pm::LogLevel level, int err, const char* file, int line, const std::string& msg) {
        ap_log_error_(file, line, APLOG_MODULE_INDEX, httpd_level(level), err, s, "%s", msg.c_str());
    };
}

struct Launch {
    apr_pool_t* pconf;
    server_rec* s;
    PmConfig cfg;
    apr_proc_t proc;
    apr_time_t started;
};

apr_status_t fork_pm(Launch& l);

/// httpd's other-child callback: the PM died (restart it) or httpd is
/// restarting/stopping (the pconf cleanup ends it; nothing to do).
void maintenance(int reason, void* data, apr_wait_t) {
    auto* l = static_cast<Launch*>(data);
    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        apr_proc_other_child_unregister(l);
        if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_RUN_MPM) break;
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, l->s, "FastCGI: process manager (pid %d) died, restarting it",
                     l->proc.pid);
        // A PM that cannot even start must not be restarted in a tight loop.
        if (apr_time_now() - l->started < apr_time_from_sec(5)) apr_sleep(apr_time_from_sec(1));
        fork_pm(*l);
        break;
    default:
        break;
    }
}

apr_status_t fork_pm(Launch& l) {
    const pid_t parent = ::getpid();
    l.started = apr_time_now();
    apr_status_t rv = apr_proc_fork(&l.proc, l.pconf);
    if (rv == APR_INCHILD) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) _exit(0);
        ap_close_listeners();
        ::prctl(PR_SET_NAME, "fcgi-pm");
        pm::run_process_manager(l.cfg, error_log_of(l.s));
    }
    if (rv != APR_INPARENT) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, l.s, "FastCGI: cannot fork the process manager");
        return rv;
    }
    apr_pool_note_subprocess(l.pconf, &l.proc, APR_KILL_AFTER_TIMEOUT);
    apr_proc_other_child_register(&l.proc, maintenance, &l, nullptr, l.pconf);
    return APR_SUCCESS;
}

}  // namespace

int launch_process_manager(apr_pool_t* pconf, server_rec* s, const PmConfig& cfg) {
    auto* l = pool_new<Launch>(pconf, Launch{pconf, s, cfg, {}, 0});
    return fork_pm(*l) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace fastcgi::httpd
