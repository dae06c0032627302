// See pm_launch.hpp.
#include "pm_launch.hpp"

#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <vector>

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
    pid_t parent;        ///< httpd's parent: the only process that ends the PM
};

/// PMs of earlier generations still draining after a graceful restart,
/// in httpd's parent: reaped through their own other-child entry (so
/// their exit is neither "a lost child" nor restarted), ended fast on stop.
std::vector<apr_proc_t*> g_draining;
pid_t g_draining_parent = 0;

/// SIGTERM, then SIGKILL after about 3 s (what httpd gave the PM before).
void end_now(apr_proc_t* proc) {
    if (::waitpid(proc->pid, nullptr, WNOHANG) != 0) return;  // gone already
    ::kill(proc->pid, SIGTERM);
    for (int waited_ms = 0; waited_ms < 3000; waited_ms += 20) {
        if (::waitpid(proc->pid, nullptr, WNOHANG) != 0) return;
        ::usleep(20 * 1000);
    }
    ::kill(proc->pid, SIGKILL);
    ::waitpid(proc->pid, nullptr, 0);
}

void draining_maintenance(int reason, void* data, apr_wait_t) {
    auto* proc = static_cast<apr_proc_t*>(data);
    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) return;
    apr_proc_other_child_unregister(proc);
    g_draining.erase(std::remove(g_draining.begin(), g_draining.end(), proc), g_draining.end());
    delete proc;
}

/// On the process pool, run when httpd's parent exits (stop).
apr_status_t end_draining(void*) noexcept {
    if (::getpid() != g_draining_parent) return APR_SUCCESS;
    for (apr_proc_t* proc : g_draining) ::kill(proc->pid, SIGTERM);
    for (apr_proc_t* proc : g_draining) end_now(proc);
    return APR_SUCCESS;
}

/// Whether pconf is being cleared for a graceful restart: httpd is
/// re-reading its configuration while children of the old generation
/// still serve (a hard restart reclaimed them all before; a stop exits).
bool graceful_restart() {
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_DESTROY_CONFIG || !ap_scoreboard_image) return false;
    // The MPM's hooks are gone by now (no ap_mpm_query): the scoreboard
    // knows its own size.
    const int limit = ap_scoreboard_image->global->server_limit;
    for (int i = 0; i < limit; ++i) {
        const pid_t p = ap_scoreboard_image->parent[i].pid;
        if (p > 0 && ::kill(p, 0) == 0) return true;
    }
    return false;
}

/// pconf cleanup: the generation ends. On a graceful restart the PM is
/// told to drain (SIGUSR1) and left to end itself within its drain time;
/// on stop and restart it is ended at once.
apr_status_t end_pm(void* data) noexcept {
    auto* l = static_cast<Launch*>(data);
    if (::getpid() != l->parent || l->proc.pid <= 0) return APR_SUCCESS;
    if (!graceful_restart()) {
        end_now(&l->proc);
        return APR_SUCCESS;
    }
    try {
        auto* proc = new apr_proc_t(l->proc);
        apr_pool_t* process_pool = l->s->process->pool;
        if (g_draining_parent != l->parent) {
            g_draining_parent = l->parent;
            apr_pool_cleanup_register(process_pool, nullptr, end_draining, apr_pool_cleanup_null);
        }
        g_draining.push_back(proc);
        apr_proc_other_child_register(proc, draining_maintenance, proc, nullptr, process_pool);
        ::kill(proc->pid, SIGUSR1);
    } catch (...) {
        end_now(&l->proc);
    }
    return APR_SUCCESS;
}

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
    apr_proc_other_child_register(&l.proc, maintenance, &l, nullptr, l.pconf);
    return APR_SUCCESS;
}

}  // namespace

int launch_process_manager(apr_pool_t* pconf, server_rec* s, const PmConfig& cfg) {
    auto* l = pool_new<Launch>(pconf, Launch{pconf, s, cfg, {}, 0, ::getpid()});
    // Registered before fork_pm's other-child entry, so it runs after that
    // entry is gone (cleanups run last registered first).
    apr_pool_cleanup_register(pconf, l, end_pm, apr_pool_cleanup_null);
    return fork_pm(*l, 0) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace fastcgi::httpd
