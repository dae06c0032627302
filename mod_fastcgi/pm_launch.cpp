// See pm_launch.hpp.
#include "pm_launch.hpp"

#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

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
    apr_time_t started;  ///< when the current PM began to run (after its pause)
};

apr_status_t fork_pm(Launch& l, apr_interval_time_t pause);

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
        // A PM that cannot even start must not be restarted in a tight
        // loop, but the pause is the new PM's: this callback runs in the
        // MPM's main loop, which must not sleep (no children would be
        // spawned or reaped meanwhile).
        fork_pm(*l, apr_time_now() - l->started < apr_time_from_sec(5) ? apr_time_from_sec(1) : 0);
        break;
    default:
        break;
    }
}

/// In the new PM before it runs: httpd's signal handlers (inherited with
/// the fork) would swallow the SIGTERM that ends it with the generation;
/// with the defaults a PM still in its pause just dies.
void default_signals() {
    for (int sig : {SIGTERM, SIGHUP, SIGUSR1, SIGINT}) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

/// Sleeps `pause` (whole, across signals that do not end the process).
void sleep_for(apr_interval_time_t pause) {
    timespec left{static_cast<time_t>(pause / APR_USEC_PER_SEC), static_cast<long>(pause % APR_USEC_PER_SEC) * 1000};
    while (::nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

apr_status_t fork_pm(Launch& l, apr_interval_time_t pause) {
    const pid_t parent = ::getpid();
    l.started = apr_time_now() + pause;
    apr_status_t rv = apr_proc_fork(&l.proc, l.pconf);
    if (rv == APR_INCHILD) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) _exit(0);
        default_signals();
        ap_close_listeners();
        ::prctl(PR_SET_NAME, "fcgi-pm");
        if (pause > 0) sleep_for(pause);
        // Nothing may unwind from here into the copy of httpd's parent.
        try {
            pm::run_process_manager(l.cfg, error_log_of(l.s));
        } catch (const std::exception& e) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, l.s, "FastCGI: process manager: internal error: %s", e.what());
        } catch (...) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, l.s, "FastCGI: process manager: internal error");
        }
        _exit(1);
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
    return fork_pm(*l, 0) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace fastcgi::httpd
