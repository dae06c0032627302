// The process manager's drain, on SIGUSR1: httpd's parent sends it on a
// graceful restart, when a new PM with new listening sockets takes over
// the socket names while the old generation's httpd children finish their
// requests.
//
// The draining PM starts nothing, reads no more messages (they go to the
// new PM's pm.sock), and moves its
// record of instances to pm.instances.<pid> so that the new PM does not
// end them as leftovers. An instance still holds work while a connection
// it accepted is open or one is queued on its listening socket
// (socket_usage.hpp); once neither, and once its socket's name leads to
// the new PM's socket (no new connection can reach the old one), it gets
// SIGTERM (SIGKILL 2 s later: it holds nothing). The PM exits when no
// instance is left, or ends the rest at the drain deadline as on stop.
//
// TCP (-port) applications are not drained: the new PM cannot listen on
// the port while the old instances do, so they are ended at once.
#include <signal.h>
#include <unistd.h>

#include <set>

#include "leftovers.hpp"
#include "listen_socket.hpp"
#include "manager.hpp"
#include "socket_usage.hpp"

namespace fastcgi::pm {

namespace {
/// How long a static app's old socket name may lead here before the
/// draining PM removes it itself (the new configuration has no such app).
constexpr auto kTakeOverWait = std::chrono::seconds(2);
constexpr auto kTermGrace = std::chrono::seconds(2);
}  // namespace

void Manager::begin_drain() {
    draining_ = true;
    drain_start_ = Clock::now();
    drain_deadline_ = drain_start_ + std::chrono::seconds(cfg_.drain_timeout_s);
    // The new PM gets the messages now. The socket stays open (unread)
    // until exit: while it exists its old file's inode cannot be reused,
    // so the new PM's pm.sock is never taken for ours at exit.
    // The record moves first, then the old one goes if it is still ours:
    // every instance is recorded somewhere at any moment.
    const std::string shared = record_file_;
    record_file_ = cfg_.ipc_dir + "/pm.instances." + std::to_string(::getpid());
    record();
    if (recorded_by_me(shared)) ::unlink(shared.c_str());
    unsigned held = 0;
    for (auto& a : apps_) {
        if (a->retiring) {
            // A rolling reload under way: its old instances drain as the
            // rest (their old socket is no longer reachable, or -port).
            for (const Slot& s : a->retiring->slots)
                if (s.pid > 0) a->state.slots.push_back(s);
            for (const auto& [pid, when] : a->retiring->term_sent) term_sent_[pid] = when;
            if (a->retiring->listen_fd >= 0) ::close(a->retiring->listen_fd);
            if (!a->retiring->swapped) ::unlink(a->retiring->next_path.c_str());
            a->retiring.reset();
        }
        for (const Slot& s : a->state.slots)
            if (s.pid > 0) ++held;
        // A missing dynamic socket makes a child ask the new PM at once.
        if (a->dynamic) unlink_if_same(a->socket_path, a->socket_dev, a->socket_ino);
        if (!a->socket_path.empty()) continue;
        for (Slot& s : a->state.slots)
            if (s.pid > 0 && s.state != SlotState::Stopping) {
                ::kill(-s.pid, SIGTERM);
                s.state = SlotState::Stopping;
                term_sent_[s.pid] = drain_start_;
            }
        if (a->listen_fd >= 0) ::close(a->listen_fd);
        a->listen_fd = -1;
    }
    log_(LogLevel::Notice, 0,
         "FastCGI: process manager (pid %d) draining: %u instance(s) finish their requests (at most %u s)", ::getpid(),
         held, cfg_.drain_timeout_s);
}

bool Manager::still_reachable(Managed& a, TimePoint now) {
    if (!names_same(a.socket_path, a.socket_dev, a.socket_ino)) return false;
    if (a.dynamic || now - drain_start_ < kTakeOverWait) return true;
    ::unlink(a.socket_path.c_str());
    return false;
}

void Manager::drain_step(TimePoint now) {
    std::set<pid_t> groups;
    for (auto& a : apps_)
        for (const Slot& s : a->state.slots)
            if (s.pid > 0 && s.state != SlotState::Stopping) groups.insert(s.pid);
    const std::map<pid_t, SocketInodes> open = sockets_of_groups(groups);
    for (auto& ap : apps_) {
        Managed& a = *ap;
        if (a.socket_path.empty() || still_reachable(a, now)) continue;
        // The queue first: once it is empty nothing new can be accepted,
        // so the descriptors read next show every request still held.
        if (queued_connections(a.listen_fd) != 0) continue;
        const SocketInodes accepted = accepted_connections(a.socket_path, a.port);
        for (Slot& s : a.state.slots) {
            if (s.pid <= 0 || s.state == SlotState::Stopping) continue;
            bool busy = false;
            if (const auto it = open.find(s.pid); it != open.end())
                for (unsigned long ino : it->second) busy = busy || accepted.count(ino) > 0;
            if (busy) continue;
            ::kill(-s.pid, SIGTERM);
            s.state = SlotState::Stopping;
            term_sent_[s.pid] = now;
        }
    }
    for (const auto& [pid, when] : term_sent_)
        if (now - when >= kTermGrace) ::kill(-pid, SIGKILL);
}

bool Manager::drained() const {
    if (!draining_ || !launching_.empty()) return false;
    for (const auto& a : apps_)
        for (const Slot& s : a->state.slots)
            if (s.pid > 0) return false;
    return true;
}

}  // namespace fastcgi::pm
