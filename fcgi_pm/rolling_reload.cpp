// A static application's rolling reload: its instances are replaced while
// it keeps serving, never all at once. Asked for by -autoUpdate (the PM
// looks at the file's mtime once a second) or, for every static app, by
// SIGUSR2 to the PM (its pid is in FastCgiIpcDir/pm.pid).
//
// All instances of an app accept on one listening socket, so an old
// instance can only be kept from new requests by giving the socket's name
// to a new socket, as a graceful restart does (drain.cpp):
//   1. a new listening socket is bound next to the old one ("<name>.next")
//      and the new instances start on it one at a time (-init-start-delay
//      apart), while the old ones serve every request;
//   2. once every new instance runs (its exec succeeded, and it has lived
//      kUpFor), rename(2) moves the new socket onto the name: from that
//      instant every new connection reaches a new instance;
//   3. each old instance is ended (SIGTERM, SIGKILL 2 s later) once its
//      old socket has nothing queued and it holds no accepted connection,
//      or at the latest after the drain time (FastCgiGracefulTimeout).
// A new version that never comes up (exec fails, exits at once) is never
// swapped in: the old instances go on serving, and the log says why; a
// newer file then replaces that new generation (the fixed deploy).
// A -port application shares its port between both generations: its new
// instances start on the same socket, and the old ones are ended, each
// once it holds no connection, after all new ones are up.
// From the swap (-port: from the moment the old ones may be ended) until
// the reload is done, AppSlot::moving tells httpd children to keep no
// connection to the app: an idle kept connection holds an old instance as
// surely as a request does.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "listen_socket.hpp"
#include "manager.hpp"
#include "socket_usage.hpp"

namespace fastcgi::pm {

namespace {

constexpr auto kUpFor = std::chrono::milliseconds(500);
constexpr auto kTermGrace = std::chrono::seconds(2);
constexpr auto kVersionCheckEvery = std::chrono::seconds(1);

long long mtime_ns(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

/// AppSlot::moving (see the top of this file), for httpd children.
void set_moving(const Managed& a, bool on) noexcept {
    if (a.stats) a.stats->moving.store(on ? 1 : 0, std::memory_order_relaxed);
}

std::string pids_of(const std::vector<Slot>& slots) {
    std::string out;
    for (const Slot& s : slots)
        if (s.pid > 0) out += (out.empty() ? "" : " ") + std::to_string(s.pid);
    return out.empty() ? "none" : out;
}

}  // namespace

void Manager::write_pid_file() {
    const std::string path = cfg_.ipc_dir + "/pm.pid";
    const std::string tmp = path + "." + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::trunc);
        f << ::getpid() << "\n";
        if (!f) return;
    }
    ::rename(tmp.c_str(), path.c_str());
}

void Manager::remove_pid_file() {
    // A successor (graceful restart) has written its own pid: keep that.
    const std::string path = cfg_.ipc_dir + "/pm.pid";
    std::ifstream f(path);
    long pid = 0;
    if (f >> pid && pid == ::getpid()) ::unlink(path.c_str());
}

void Manager::check_versions(TimePoint now) {
    if (now < next_version_check_) return;
    next_version_check_ = now + kVersionCheckEvery;
    for (auto& ap : apps_) {
        Managed& a = *ap;
        if (a.dynamic || !a.auto_update) continue;
        const long long v = mtime_ns(a.filename);
        if (v == 0 || v == a.version) continue;
        // Swapped: the new version serves; the next check, once it is done.
        if (a.retiring && a.retiring->swapped && !a.socket_path.empty()) continue;
        if (a.retiring) abandon_reload(a);
        log_(LogLevel::Warning, 0, "FastCGI: server \"%s\": newer version found (-autoUpdate)", a.filename.c_str());
        begin_reload(a, "-autoUpdate");
    }
}

void Manager::abandon_reload(Managed& a) {
    Retiring& r = *a.retiring;
    log_(LogLevel::Warning, 0,
         "FastCGI: server \"%s\": rolling reload: a newer version replaces the one not yet swapped in (pid %s)",
         a.filename.c_str(), pids_of(a.state.slots).c_str());
    // Unix: nothing reaches the new generation before the swap, so it ends
    // at once. -port: it shares the port (SIGTERM, as the kill policy does).
    const bool unix_socket = !a.socket_path.empty();
    for (const Slot& s : a.state.slots)
        if (s.pid > 0) ::kill(-s.pid, unix_socket ? SIGKILL : SIGTERM);
    if (unix_socket) {
        if (a.listen_fd >= 0) ::close(a.listen_fd);
        ::unlink(r.next_path.c_str());
        a.listen_fd = r.listen_fd;
    }
    a.state.slots = r.slots;
    a.retiring.reset();
    set_moving(a, false);
}

void Manager::begin_reload(Managed& a, const char* why) {
    if (a.retiring) {
        log_(LogLevel::Notice, 0, "FastCGI: server \"%s\": a rolling reload is already under way", a.filename.c_str());
        return;
    }
    a.version = mtime_ns(a.filename);
    Retiring r;
    r.began = Clock::now();
    if (!a.socket_path.empty()) {
        r.next_path = a.socket_path + ".next";
        std::string what;
        ::unlink(r.next_path.c_str());
        const int fd = listen_unix(r.next_path, a.backlog, cfg_.user_id, cfg_.group_id, what);
        if (fd < 0) {
            log_(LogLevel::Err, errno, "FastCGI: server \"%s\": rolling reload not started: %s failed [%s]",
                 a.filename.c_str(), what.c_str(), r.next_path.c_str());
            return;
        }
        r.listen_fd = a.listen_fd;
        a.listen_fd = fd;
    } else {
        r.listen_fd = -1;  // shared: the old and the new instances accept on the port
        r.swapped = true;
        r.swapped_at = r.began;
    }
    // The old generation keeps its processes; the app gets fresh slots,
    // started one at a time by spawn_due() like a first start.
    r.slots = a.state.slots;
    for (Slot& s : a.state.slots) s = Slot{SlotState::Starting, 0, {}, false};
    // A new version: the crash-loop count starts afresh.
    a.state.failures = 0;
    a.state.backed_off = false;
    a.state.probation = false;
    log_(LogLevel::Notice, 0,
         "FastCGI: server \"%s\": rolling reload (%s): starting %zu new instance(s); the old ones (pid %s) serve "
         "until they are up",
         a.filename.c_str(), why, a.state.slots.size(), pids_of(r.slots).c_str());
    a.retiring = std::move(r);
    record();
}

void Manager::reload_step(Managed& a, TimePoint now) {
    Retiring& r = *a.retiring;
    bool all_up = true;
    for (const Slot& s : a.state.slots)
        all_up = all_up && s.state == SlotState::Running && s.pid > 0 && now - s.started >= kUpFor;
    for (const Launching& l : launching_) all_up = all_up && l.app != &a;
    if (!r.swapped) {
        if (!all_up) return;
        // From this rename on, every new connection reaches a new instance.
        if (::rename(r.next_path.c_str(), a.socket_path.c_str()) != 0) {
            log_(LogLevel::Err, errno, "FastCGI: server \"%s\": rolling reload: rename(%s) failed",
                 a.filename.c_str(), r.next_path.c_str());
            return;
        }
        struct stat st{};
        if (::stat(a.socket_path.c_str(), &st) == 0) {
            a.socket_dev = st.st_dev;
            a.socket_ino = st.st_ino;
        }
        r.swapped = true;
        r.swapped_at = now;
        log_(LogLevel::Notice, 0,
             "FastCGI: server \"%s\": rolling reload: new instance(s) (pid %s) take the requests; old instance(s) "
             "(pid %s) finish theirs",
             a.filename.c_str(), pids_of(a.state.slots).c_str(), pids_of(r.slots).c_str());
    }
    if (!all_up && a.socket_path.empty()) return;  // -port: the old ones serve until the new ones are up
    set_moving(a, true);
    const bool late = now - r.swapped_at >= std::chrono::seconds(cfg_.drain_timeout_s);
    std::set<pid_t> groups;
    for (const Slot& s : r.slots)
        if (s.pid > 0 && !r.term_sent.count(s.pid)) groups.insert(s.pid);
    if (!groups.empty()) {
        // The queue first: once it is empty nothing new can be accepted
        // from the old socket, so the descriptors read next show every
        // request an old instance still holds.
        const bool queued = r.listen_fd >= 0 && queued_connections(r.listen_fd) != 0;
        const std::map<pid_t, SocketInodes> open = sockets_of_groups(groups);
        const SocketInodes accepted = accepted_connections(a.socket_path, a.port);
        for (Slot& s : r.slots) {
            if (s.pid <= 0 || r.term_sent.count(s.pid)) continue;
            bool busy = queued;
            if (const auto it = open.find(s.pid); it != open.end())
                for (unsigned long ino : it->second) busy = busy || accepted.count(ino) > 0;
            if (busy && !late) continue;
            ::kill(-s.pid, SIGTERM);
            s.state = SlotState::Stopping;
            r.term_sent[s.pid] = now;
            if (busy)
                log_(LogLevel::Warning, 0,
                     "FastCGI: server \"%s\" (pid %d): rolling reload: still busy after %u s (FastCgiGracefulTimeout), "
                     "ended",
                     a.filename.c_str(), s.pid, cfg_.drain_timeout_s);
            // -port: one old instance at a time, so that the port always
            // has as many instances as -processes.
            if (a.socket_path.empty()) break;
        }
    }
    for (const auto& [pid, when] : r.term_sent)
        if (now - when >= kTermGrace) ::kill(-pid, SIGKILL);
    bool any = false;
    for (const Slot& s : r.slots) any = any || s.pid > 0;
    if (any) return;
    if (r.listen_fd >= 0) ::close(r.listen_fd);
    log_(LogLevel::Notice, 0, "FastCGI: server \"%s\": rolling reload done: instance(s) pid %s", a.filename.c_str(),
         pids_of(a.state.slots).c_str());
    a.retiring.reset();
    set_moving(a, false);
    record();
}

bool Manager::reap_retired(pid_t pid) {
    for (auto& ap : apps_) {
        Managed& a = *ap;
        if (!a.retiring) continue;
        for (Slot& s : a.retiring->slots) {
            if (s.pid != pid) continue;
            a.retiring->term_sent.erase(pid);
            s.pid = 0;
            s.state = SlotState::Dead;
            return true;
        }
    }
    return false;
}

}  // namespace fastcgi::pm
