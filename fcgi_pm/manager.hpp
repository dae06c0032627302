// The process manager's loop: it owns the listening sockets and the
// instances of every static and dynamic application, spawns and restarts
// them, applies the scaling policy to dynamic ones, listens for the
// children's datagrams, and on SIGTERM (httpd stop, restart) ends every
// instance — SIGTERM to each process group, SIGKILL after a grace period —
// and removes its socket files. On SIGUSR1 (httpd's graceful restart) it
// drains instead (drain.cpp): no new instance, no new request for the old
// ones, each ended once it holds no request, for at most the drain time.
// A static app's rolling reload (rolling_reload.cpp: -autoUpdate, or
// SIGUSR2 for all of them) replaces its instances the same way, while the
// app keeps serving.
//
// Single-threaded, POSIX only, logs through a LogSink: run_process_manager()
// (process_manager.hpp) drives it in the PM process; the unit tests drive it
// one iteration at a time. A spawn never blocks the loop: the instance
// counts as running from fork on, and its exec result (read from the
// spawner's status pipe among the loop's other descriptors) decides whether
// it is logged as started or as a failed start.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fastcgi/app_config.hpp"
#include "fastcgi/pm_message.hpp"
#include "log_sink.hpp"
#include "pm_config.hpp"
#include "scaling_policy.hpp"

namespace fastcgi::pm {

/// The old generation of a static app during a rolling reload.
struct Retiring {
    std::vector<Slot> slots;          ///< the instances being replaced
    int listen_fd = -1;               ///< their listening socket (the app's, until the swap)
    std::string next_path;            ///< Unix: where the new socket waits for the swap
    bool swapped = false;             ///< the socket's name leads to the new socket (or TCP: shared)
    TimePoint began{}, swapped_at{};
    std::map<pid_t, TimePoint> term_sent;
};

struct Managed {
    std::string filename;
    bool dynamic = false;
    std::string user = "-", group = "-";  ///< identity of a dynamic app
    std::string socket_path;              ///< empty for TCP
    dev_t socket_dev = 0;                 ///< the file socket_path named when this PM bound it
    ino_t socket_ino = 0;
    unsigned port = 0;
    int listen_fd = -1;
    unsigned backlog = Defaults::listen_queue_depth;
    unsigned priority = 0;
    const std::vector<std::string>* env = nullptr;
    std::string wrapper_user, wrapper_group;
    long long restarted_for = 0;  ///< file mtime (ns) of the last -autoUpdate restart
    bool auto_update = false;     ///< static: -autoUpdate
    long long version = 0;        ///< static: file mtime (ns) its instances were started for
    std::optional<Retiring> retiring;
    RestartRules rules;
    AppState state;
    stats::AppSlot* stats = nullptr;      ///< its status counters, if any
};

class Manager {
public:
    Manager(const PmConfig& cfg, LogSink sink);
    ~Manager();
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    /// Signals, privileges, the message socket, a previous PM's leftovers,
    /// the static apps; logs "process manager initialized".
    void start();
    /// One pass of the loop: reap, spawn what is due, scale, then wait up
    /// to `max_wait_ms` for a signal, a message or an exec result.
    void iterate(int max_wait_ms = 1000);
    /// A stop signal arrived, httpd's parent is gone, or a drain ran out
    /// of time.
    bool stopping() const;
    /// A drain ended: no instance is left.
    bool drained() const;
    bool draining() const { return draining_; }
    /// Ends every instance and removes the socket files (not the process).
    void end_instances();

    /// For tests: runs in each instance's child before its identity change.
    void set_before_identity(void (*hook)()) { before_identity_ = hook; }
    /// The applications and their instances.
    const std::vector<std::unique_ptr<Managed>>& apps() const { return apps_; }
    /// Spawns whose exec result has not arrived yet.
    std::size_t launching() const { return launching_.size(); }

private:
    /// A spawned instance whose exec result is not known yet.
    struct Launching {
        int fd;
        pid_t pid;
        Managed* app;
        std::size_t slot;
        bool reused;
    };

    const char* label(const Managed& a) const { return a.dynamic ? "(dynamic) server" : "server"; }
    const std::string& record_file() const { return record_file_; }
    void record();
    void setup_signals();
    void drop_privileges();
    bool open_ipc();
    bool open_listener(Managed& a);
    void add_static(const StaticApp& app);
    Managed* find_dynamic(const PmMessage& m, bool create);
    void handle_datagrams();
    void handle(const PmMessage& m);
    void reap();
    bool finish_launch(pid_t pid, bool exited);
    void finish_launch_at(std::size_t k, const std::string& result, bool exited);
    void spawn_due(TimePoint now);
    void spawn_slot(Managed& a, std::size_t i, TimePoint now);
    void failed_start(Managed& a, std::size_t i, TimePoint now);
    void scale(TimePoint now);
    unsigned dynamic_running() const;
    // stats_publish.cpp
    void publish_stats() const;
    int poll_timeout_ms(TimePoint now, int max_wait_ms) const;
    // rolling_reload.cpp
    void check_versions(TimePoint now);
    void begin_reload(Managed& a, const char* why);
    void abandon_reload(Managed& a);
    void reload_step(Managed& a, TimePoint now);
    bool reap_retired(pid_t pid);
    void write_pid_file();
    void remove_pid_file();
    // drain.cpp
    void begin_drain();
    void drain_step(TimePoint now);
    bool still_reachable(Managed& a, TimePoint now);

    const PmConfig& cfg_;
    Log log_;
    ScalingPolicy policy_;
    std::vector<std::unique_ptr<Managed>> apps_;
    std::vector<Launching> launching_;
    int ipc_fd_ = -1;
    dev_t ipc_dev_ = 0;  ///< the file pm.sock named when this PM bound it
    ino_t ipc_ino_ = 0;
    std::string record_file_;
    bool draining_ = false;
    TimePoint drain_start_{}, drain_deadline_{};
    std::map<pid_t, TimePoint> term_sent_;  ///< drain: idle instances told to end
    TimePoint next_version_check_{};
    pid_t parent_;
    void (*before_identity_)() = nullptr;
};

}  // namespace fastcgi::pm
