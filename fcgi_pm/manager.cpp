// See manager.hpp.
#include "manager.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "fastcgi/pm_message.hpp"
#include "fastcgi/socket_names.hpp"
#include "leftovers.hpp"
#include "listen_socket.hpp"
#include "socket_usage.hpp"
#include "spawner.hpp"

namespace fastcgi::pm {

namespace {

int g_signal_pipe[2] = {-1, -1};
volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_drain = 0;
volatile sig_atomic_t g_reload = 0;  ///< SIGUSR2: a rolling reload of every static app

extern "C" void on_signal(int sig) {
    const int saved = errno;
    if (sig == SIGUSR1)
        g_drain = 1;
    else if (sig == SIGUSR2)
        g_reload = 1;
    else if (sig != SIGCHLD)
        g_stop = 1;
    const char c = 'x';
    (void)!::write(g_signal_pipe[1], &c, 1);
    errno = saved;
}

}  // namespace

Manager::Manager(const PmConfig& cfg, LogSink sink)
    : cfg_(cfg), log_(std::move(sink)), policy_(cfg.dynamic, Clock::now()),
      record_file_(cfg.ipc_dir + "/pm.instances"), parent_(::getppid()) {}

Manager::~Manager() {
    for (const Launching& l : launching_) ::close(l.fd);
    for (auto& a : apps_)
        if (a->listen_fd >= 0) ::close(a->listen_fd);
    if (ipc_fd_ >= 0) ::close(ipc_fd_);
}

void Manager::setup_signals() {
    if (g_signal_pipe[0] < 0 && ::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        log_(LogLevel::Crit, errno, "FastCGI: process manager: pipe() failed");
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    for (int sig : {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGCHLD}) ::sigaction(sig, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGALRM, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void Manager::drop_privileges() {
    // With a wrapper the PM stays root so that it can signal the
    // instances the wrapper started under other identities.
    if (::geteuid() != 0 || !cfg_.wrapper.empty()) return;
    if (::setgid(cfg_.group_id) != 0 || ::initgroups(cfg_.user_name.c_str(), cfg_.group_id) != 0 ||
        ::setuid(cfg_.user_id) != 0) {
        log_(LogLevel::Alert, errno, "FastCGI: process manager: cannot change to User/Group");
        _exit(1);
    }
}

bool Manager::open_ipc() {
    ipc_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (ipc_fd_ < 0 || cfg_.pm_socket.size() >= sizeof sa.sun_path) return false;
    std::memcpy(sa.sun_path, cfg_.pm_socket.c_str(), cfg_.pm_socket.size() + 1);
    ::unlink(cfg_.pm_socket.c_str());
    const mode_t old = ::umask(0177);
    const int rc = ::bind(ipc_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::umask(old);
    if (rc != 0) return false;
    struct stat st{};
    if (::stat(cfg_.pm_socket.c_str(), &st) == 0) {
        ipc_dev_ = st.st_dev;
        ipc_ino_ = st.st_ino;
    }
    if (::geteuid() == 0) (void)!::chown(cfg_.pm_socket.c_str(), cfg_.user_id, cfg_.group_id);
    const int big = 1 << 20;
    ::setsockopt(ipc_fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    return true;
}

bool Manager::open_listener(Managed& a) {
    if (a.listen_fd >= 0) return true;
    std::string what;
    if (a.socket_path.empty()) {
        // After a graceful restart the old instances of a -port app hold
        // the port until the draining PM has ended them (milliseconds;
        // SIGKILL after 2 s): wait for it rather than count failed starts.
        const TimePoint give_up = Clock::now() + std::chrono::seconds(3);
        while ((a.listen_fd = listen_tcp_loopback(a.port, a.backlog, what)) < 0 && errno == EADDRINUSE &&
               Clock::now() < give_up)
            ::usleep(50 * 1000);
    } else {
        a.listen_fd = listen_unix(a.socket_path, a.backlog, cfg_.user_id, cfg_.group_id, what);
    }
    if (a.listen_fd >= 0 && !a.socket_path.empty()) {
        struct stat st{};
        if (::stat(a.socket_path.c_str(), &st) == 0) {
            a.socket_dev = st.st_dev;
            a.socket_ino = st.st_ino;
        }
    }
    if (a.listen_fd < 0) {
        log_(LogLevel::Crit, errno, "FastCGI: can't create %s \"%s\": %s failed [%s]", label(a),
                     a.filename.c_str(), what.c_str(),
                     a.socket_path.empty() ? ("127.0.0.1:" + std::to_string(a.port)).c_str() : a.socket_path.c_str());
        return false;
    }
    return true;
}

void Manager::add_static(const StaticApp& app) {
    auto a = std::make_unique<Managed>();
    a->filename = app.filename;
    a->socket_path = app.socket_path;
    a->port = app.port;
    a->backlog = app.spawn.listen_queue_depth;
    a->priority = app.spawn.priority;
    a->env = &app.env;
    a->wrapper_user = app.user;
    a->wrapper_group = app.group;
    a->rules = RestartRules::from(app.spawn);
    a->auto_update = app.auto_update;
    a->version = 0;
    if (struct stat st{}; ::stat(app.filename.c_str(), &st) == 0)
        a->version = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    a->state.slots.resize(app.processes);
    for (Slot& s : a->state.slots) s.state = SlotState::Starting;
    if (cfg_.stats && app.stats_slot >= 0 && static_cast<std::size_t>(app.stats_slot) < cfg_.stats->fixed_count())
        a->stats = &cfg_.stats->slot(static_cast<std::size_t>(app.stats_slot));
    open_listener(*a);
    apps_.push_back(std::move(a));
}

Managed* Manager::find_dynamic(const PmMessage& m, bool create) {
    for (auto& a : apps_)
        if (a->dynamic && a->filename == m.path && a->user == m.user && a->group == m.group) return a.get();
    if (!create) return nullptr;
    struct stat st{};
    if (m.path.front() != '/' || ::stat(m.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        log_(LogLevel::Warning, errno, "FastCGI: (dynamic) server \"%s\": not a file, not started",
                     m.path.c_str());
        return nullptr;
    }
    auto a = std::make_unique<Managed>();
    a->filename = m.path;
    a->dynamic = true;
    a->user = m.user;
    a->group = m.group;
    a->socket_path = dynamic_socket_path(cfg_.ipc_dir, m.path, m.user, m.group);
    a->backlog = cfg_.dynamic.spawn.listen_queue_depth;
    a->priority = cfg_.dynamic.spawn.priority;
    a->env = &cfg_.dynamic_env;
    a->wrapper_user = m.user;
    a->wrapper_group = m.group;
    a->rules = policy_.rules();
    a->state = policy_.make_app();
    if (cfg_.stats)
        a->stats = cfg_.stats->dynamic_slot("unix:" + a->socket_path, a->filename, stats::identity_of(m.user, m.group));
    if (!open_listener(*a)) return nullptr;
    apps_.push_back(std::move(a));
    return apps_.back().get();
}

unsigned Manager::dynamic_running() const {
    unsigned n = 0;
    for (const auto& a : apps_)
        if (a->dynamic) n += a->state.running() + a->state.count(SlotState::Stopping);
    return n;
}

void Manager::handle(const PmMessage& m) {
    Managed* a = find_dynamic(m, m.type != PmMessageType::Done);
    if (!a) return;
    std::string warning;
    std::optional<std::size_t> slot;
    switch (m.type) {
    case PmMessageType::Start:
        slot = policy_.on_start(a->state, dynamic_running(), &warning);
        break;
    case PmMessageType::Waited:
        slot = policy_.on_waited(a->state, dynamic_running(), Clock::now(), &warning);
        break;
    case PmMessageType::Done:
        policy_.on_done(a->state, m.service_us);
        break;
    case PmMessageType::Restart: {
        struct stat st{};
        // Several requests may ask before the first restart is visible:
        // act once per version of the file.
        if (::stat(a->filename.c_str(), &st) != 0) break;
        // Children compare the app's mtime with the socket's: give the
        // socket the file's (even one in the future) so that they stop
        // asking.
        const timespec times[2] = {st.st_mtim, st.st_mtim};
        ::utimensat(AT_FDCWD, a->socket_path.c_str(), times, 0);
        const long long version = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
        if (version == a->restarted_for) break;
        a->restarted_for = version;
        log_(LogLevel::Warning, 0, "FastCGI: restarting old server \"%s\" processes, newer version found", a->filename.c_str());
        for (Slot& s : a->state.slots) {
            if (s.state == SlotState::Running) {
                ::kill(-s.pid, SIGTERM);
                s.state = SlotState::Stopping;
            }
        }
        if (a->state.count(SlotState::Starting) == 0) {
            for (Slot& s : a->state.slots) {
                if (s.state == SlotState::Unused || s.state == SlotState::Dead) {
                    s.state = SlotState::Starting;
                    break;
                }
            }
        }
        a->state.last_start = {};
        a->state.ever_started = false;  // the new version starts at once
        break;
    }
    }
    if (!warning.empty())
        log_(LogLevel::Warning, 0, "FastCGI: %s \"%s\": %s", label(*a), a->filename.c_str(),
                     warning.c_str());
    (void)slot;  // the slot is now Starting; spawn_due() starts it when due
}

void Manager::handle_datagrams() {
    std::uint8_t buf[kPmMaxDatagram + 1];
    while (true) {
        const ssize_t n = ::recv(ipc_fd_, buf, sizeof buf, 0);
        if (n < 0) break;
        if (auto m = decode_pm_message(Bytes(buf, static_cast<std::size_t>(n))))
            handle(*m);
        else
            log_(LogLevel::Warning, 0, "FastCGI: process manager: malformed message ignored");
    }
}

void Manager::reap() {
    int status = 0;
    pid_t pid;
    bool any = false;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        any = true;
        // A child that failed before exec is a failed start, not an exit.
        if (finish_launch(pid, true)) continue;
        if (reap_retired(pid)) continue;
        for (auto& ap : apps_) {
            Managed& a = *ap;
            for (std::size_t i = 0; i < a.state.slots.size(); ++i) {
                Slot& s = a.state.slots[i];
                if (s.pid != pid) continue;
                if (draining_) {  // nothing restarts; ends asked for are not news
                    term_sent_.erase(pid);
                    s.pid = 0;
                    s.state = SlotState::Dead;
                    continue;
                }
                const bool signalled_by_us = s.state == SlotState::Stopping;
                if (WIFEXITED(status))
                    log_(LogLevel::Warning, 0,
                         "FastCGI: %s \"%s\" (pid %d) terminated by calling exit with status '%d'", label(a),
                         a.filename.c_str(), pid, WEXITSTATUS(status));
                else if (WIFSIGNALED(status))
                    log_(LogLevel::Warning, 0,
                         "FastCGI: %s \"%s\" (pid %d) terminated due to uncaught signal '%d' (%s)%s", label(a),
                         a.filename.c_str(), pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
                         WCOREDUMP(status) ? ", a core file may have been generated" : "");
                const bool clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) || signalled_by_us;
                const std::string note = a.rules.on_exit(a.state, i, clean, Clock::now(), signalled_by_us);
                if (!note.empty())
                    log_(LogLevel::Warning, 0, "FastCGI: %s \"%s\" %s", label(a), a.filename.c_str(), note.c_str());
                if (!a.dynamic || (!signalled_by_us && policy_.restart_after_exit(a.state)))
                    s.state = SlotState::Starting;
            }
        }
    }
    if (any) record();
}

bool Manager::finish_launch(pid_t pid, bool exited) {
    for (std::size_t k = 0; k < launching_.size(); ++k) {
        if (launching_[k].pid != pid) continue;
        // The child is gone, so its end of the pipe is closed: the result
        // is there (the message, or EOF after a successful exec).
        const std::optional<std::string> r = exec_result(launching_[k].fd);
        const std::string result = r ? *r : std::string("exited before reporting its exec");
        const bool failed = !result.empty();
        finish_launch_at(k, result, exited);
        return failed;
    }
    return false;
}

void Manager::finish_launch_at(std::size_t k, const std::string& result, bool exited) {
    const Launching l = launching_[k];
    ::close(l.fd);
    launching_.erase(launching_.begin() + static_cast<std::ptrdiff_t>(k));
    Managed& a = *l.app;
    if (result.empty()) {
        log_(LogLevel::Warning, 0, "FastCGI: %s \"%s\" %s (pid %d)", label(a), a.filename.c_str(),
             l.reused ? "restarted" : "started", l.pid);
        return;
    }
    log_(LogLevel::Err, 0, "FastCGI: can't start %s \"%s\": %s", label(a), a.filename.c_str(), result.c_str());
    // The child exits right after its report: collect it here (at once)
    // so that reap() never logs it as an instance's exit.
    if (!exited) ::waitpid(l.pid, nullptr, 0);
    Slot& s = a.state.slots[l.slot];
    if (s.pid == l.pid) {
        s.pid = 0;
        failed_start(a, l.slot, Clock::now());
    }
    record();
}

void Manager::spawn_slot(Managed& a, std::size_t i, TimePoint now) {
    if (!open_listener(a)) {
        failed_start(a, i, now);
        return;
    }
    SpawnRequest req;
    req.path = a.filename;
    req.listen_fd = a.listen_fd;
    req.priority = a.priority;
    req.env = a.env;
    // A dynamic request without a suexec identity ("-") runs the app
    // itself, as the original did; the instance never keeps root either way.
    if (!cfg_.wrapper.empty() && a.wrapper_user != "-") {
        req.wrapper = cfg_.wrapper;
        req.wrapper_user = a.wrapper_user;
        req.wrapper_group = a.wrapper_group;
    }
    req.drop_to_user = ::geteuid() == 0;
    req.uid = cfg_.user_id;
    req.gid = cfg_.group_id;
    req.user_name = cfg_.user_name;
    req.before_identity = before_identity_;
    req.limits = &cfg_.limits;
    const bool reused = a.state.slots[i].used;
    std::string error;
    const Spawned child = spawn(req, error);
    if (child.pid < 0) {
        log_(LogLevel::Err, 0, "FastCGI: can't start %s \"%s\": %s", label(a), a.filename.c_str(), error.c_str());
        failed_start(a, i, now);
        return;
    }
    // Running for the policy (and the record of instances) from now on;
    // "started" is logged once its exec is known to have succeeded.
    a.rules.on_spawn(a.state, i, child.pid, now);
    if (reused && a.stats) a.stats->restarts.fetch_add(1, std::memory_order_relaxed);
    record();
    launching_.push_back({child.status_fd, child.pid, &a, i, reused});
}

void Manager::failed_start(Managed& a, std::size_t i, TimePoint now) {
    // Counts as a failed start: the restart delay and back-off space the
    // retries (never a busy loop).
    if (a.stats) a.stats->spawn_failures.fetch_add(1, std::memory_order_relaxed);
    a.rules.on_spawn(a.state, i, 0, now);
    const std::string note = a.rules.on_exit(a.state, i, false, now);
    if (!note.empty()) log_(LogLevel::Warning, 0, "FastCGI: %s \"%s\" %s", label(a), a.filename.c_str(), note.c_str());
    a.state.slots[i].state = SlotState::Starting;
}

void Manager::record() {
    std::vector<std::pair<pid_t, std::string>> running;
    for (const auto& a : apps_) {
        for (const Slot& s : a->state.slots)
            if (s.pid > 0) running.emplace_back(s.pid, a->filename);
        if (a->retiring)
            for (const Slot& s : a->retiring->slots)
                if (s.pid > 0) running.emplace_back(s.pid, a->filename);
    }
    record_instances(record_file(), running);
}

void Manager::spawn_due(TimePoint now) {
    for (auto& ap : apps_) {
        Managed& a = *ap;
        for (std::size_t i = 0; i < a.state.slots.size(); ++i) {
            if (a.state.slots[i].state != SlotState::Starting) continue;
            if (now < a.rules.earliest_start(a.state, i)) break;  // one start per delay
            spawn_slot(a, i, now);
            break;
        }
    }
}

void Manager::scale(TimePoint now) {
    std::vector<AppState*> states;
    std::vector<Managed*> owners;
    for (auto& a : apps_) {
        if (!a->dynamic) continue;
        states.push_back(&a->state);
        owners.push_back(a.get());
    }
    if (states.empty()) return;
    for (const KillDecision& k : policy_.tick(states, dynamic_running(), now)) {
        Managed& a = *owners[k.app];
        if (k.cancel_start) continue;
        const Slot& s = a.state.slots[k.slot];
        ::kill(-s.pid, SIGTERM);
        log_(LogLevel::Warning, 0, "FastCGI: (dynamic) server \"%s\" (pid %d) termination signaled",
             a.filename.c_str(), s.pid);
    }
}

int Manager::poll_timeout_ms(TimePoint now, int max_wait_ms) const {
    TimePoint next = now + std::chrono::milliseconds(max_wait_ms);
    for (const auto& a : apps_)
        for (std::size_t i = 0; i < a->state.slots.size(); ++i)
            if (a->state.slots[i].state == SlotState::Starting) {
                next = std::min(next, a->rules.earliest_start(a->state, i));
                break;
            }
    next = std::min(next, policy_.next_tick());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, max_wait_ms));
}

void Manager::end_instances() {
    for (auto& a : apps_) {
        if (!a->retiring) continue;
        // The old generation of a rolling reload ends as the rest does.
        for (const Slot& s : a->retiring->slots)
            if (s.pid > 0) a->state.slots.push_back(s);
        if (a->retiring->listen_fd >= 0) ::close(a->retiring->listen_fd);
        if (!a->retiring->swapped && !a->retiring->next_path.empty()) ::unlink(a->retiring->next_path.c_str());
        a->retiring.reset();
    }
    for (auto& a : apps_)
        for (Slot& s : a->state.slots)
            if (s.pid > 0) ::kill(-s.pid, SIGTERM);
    // httpd gives us about three seconds before SIGKILL: two for the apps.
    const TimePoint give_up = Clock::now() + std::chrono::seconds(2);
    auto alive = [&] {
        bool any = false;
        for (auto& a : apps_)
            for (Slot& s : a->state.slots) {
                if (s.pid <= 0) continue;
                if (::waitpid(s.pid, nullptr, WNOHANG) == s.pid) s.pid = 0; else any = true;
            }
        return any;
    };
    while (alive() && Clock::now() < give_up) ::usleep(20 * 1000);
    for (auto& a : apps_)
        for (Slot& s : a->state.slots)
            if (s.pid > 0) {
                ::kill(-s.pid, SIGKILL);
                ::waitpid(s.pid, nullptr, 0);
                s.pid = 0;
            }
    for (const Launching& l : launching_) ::close(l.fd);
    launching_.clear();
    // A successor (after a graceful restart) may have bound the same
    // names: remove only the files this PM created.
    for (auto& a : apps_)
        if (!a->socket_path.empty()) unlink_if_same(a->socket_path, a->socket_dev, a->socket_ino);
    unlink_if_same(cfg_.pm_socket, ipc_dev_, ipc_ino_);
    if (recorded_by_me(record_file())) ::unlink(record_file().c_str());
    remove_pid_file();
    log_(LogLevel::Notice, 0, "FastCGI: process manager (pid %d) exiting", ::getpid());
}

void Manager::start() {
    g_stop = 0;
    g_drain = 0;
    g_reload = 0;
    setup_signals();
    drop_privileges();
    if (!open_ipc())
        log_(LogLevel::Crit, errno, "FastCGI: process manager: cannot bind %s; dynamic applications will not start",
             cfg_.pm_socket.c_str());
    if (!cfg_.wrapper.empty())
        log_(LogLevel::Notice, 0, "FastCGI: wrapper mechanism enabled (wrapper: %s)", cfg_.wrapper.c_str());
    if (const int n = end_leftovers(record_file(), cfg_.dynamic_dir, 1000))
        log_(LogLevel::Warning, 0,
             "FastCGI: process manager: ended %d instance(s) left by a previous process manager", n);
    for (const StaticApp& app : cfg_.statics) add_static(app);
    write_pid_file();
    log_(LogLevel::Notice, 0, "FastCGI: process manager initialized (pid %d)", ::getpid());
}

bool Manager::stopping() const {
    // a signal, httpd is gone, or a drain ran out of time
    return g_stop || ::getppid() != parent_ || (draining_ && Clock::now() >= drain_deadline_);
}

void Manager::iterate(int max_wait_ms) {
    if (g_drain && !draining_) begin_drain();
    reap();
    const TimePoint now = Clock::now();
    if (draining_) {
        drain_step(now);
        max_wait_ms = std::min(max_wait_ms, 100);
    } else {
        if (g_reload) {
            g_reload = 0;
            log_(LogLevel::Notice, 0, "FastCGI: process manager: SIGUSR2: rolling reload of every static application");
            for (auto& a : apps_)
                if (!a->dynamic) begin_reload(*a, "SIGUSR2");
        }
        check_versions(now);
        spawn_due(now);
        for (auto& a : apps_)
            if (a->retiring) reload_step(*a, now);
        scale(now);
        for (const auto& a : apps_)
            if (a->retiring) max_wait_ms = std::min(max_wait_ms, 100);
    }
    // The signal pipe, the message socket, then every pending exec result.
    publish_stats();
    std::vector<pollfd> fds = {{g_signal_pipe[0], POLLIN, 0}, {draining_ ? -1 : ipc_fd_, POLLIN, 0}};
    for (const Launching& l : launching_) fds.push_back({l.fd, POLLIN, 0});
    const int n = ::poll(fds.data(), fds.size(), poll_timeout_ms(Clock::now(), max_wait_ms));
    if (n <= 0) return;
    if (fds[0].revents) {
        char drain[64];
        while (::read(g_signal_pipe[0], drain, sizeof drain) > 0) {
        }
    }
    if (fds[1].fd >= 0 && fds[1].revents) handle_datagrams();
    // Exec results, newest first so that erasing keeps the indexes valid.
    for (std::size_t k = fds.size(); k-- > 2;) {
        if (!fds[k].revents) continue;
        const std::size_t at = k - 2;
        if (const std::optional<std::string> r = exec_result(launching_[at].fd)) finish_launch_at(at, *r, false);
    }
}

}  // namespace fastcgi::pm
