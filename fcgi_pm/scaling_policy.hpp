// The process manager's decisions for one kind of application, as pure
// functions of its state and an injected clock: when an instance may be
// (re)started, when a crash loop is backed off, and — for dynamic
// applications — when to grow on demand and which instance to kill when
// the load falls, following the original mod_fastcgi's algorithm:
//
// * every -updateInterval the busy time reported by finished requests is
//   smoothed: smooth = (1 - gain) * smooth + gain * total; total = 0;
// * a kill pass runs every -killInterval, and at most once a second while
//   the running instances + -processSlack reach -maxProcesses; for each app,
//   load = 100 * busy / (running * seconds since the last regular pass); one
//   instance is killed when load < -singleThreshold (last instance) or
//   running/(running-1) * load < -multiThreshold (several), the youngest
//   first, at most one per app and pass, and only once it has run for a
//   whole -killInterval (the original could kill an instance it had just
//   started, before any request reached it);
// * a request that waited -startDelay asks for one more instance, within
//   -maxClassProcesses and -maxProcesses, spaced by -init-start-delay
//   (never used slot) or -restart-delay (reused slot).
//
// Deliberate differences (documented in docs/directives/FastCgiConfig.md):
// the multi-instance factor uses real division (the original's integer
// division made it 2 for two instances and 1 beyond), and -minProcesses is
// a floor checked before a kill (the original checked after).
//
// No APR, no httpd: unit-tested with a fake clock (tests/unit/).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fastcgi/app_config.hpp"

namespace fastcgi::pm {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Seconds = std::chrono::seconds;

enum class SlotState {
    Unused,    ///< never started
    Starting,  ///< scheduled; spawned when its delay has passed
    Running,
    Stopping,  ///< the PM sent SIGTERM
    Dead,      ///< exited; may be reused
};

struct Slot {
    SlotState state = SlotState::Unused;
    int pid = 0;
    TimePoint started{};
    bool used = false;  ///< has run before (restart-delay applies, not init-start-delay)
};

/// One application's instances and statistics, owned by the PM.
struct AppState {
    std::vector<Slot> slots;
    TimePoint last_start{};        ///< most recent spawn of any instance
    bool ever_started = false;
    unsigned failures = 0;         ///< exits that were not exit(0) in a row
    bool backed_off = false;
    bool probation = false;        ///< started again after a back-off
    double busy_us = 0;            ///< service time reported since the last update
    double smoothed_busy_us = 0;

    unsigned count(SlotState s) const noexcept;
    unsigned running() const noexcept { return count(SlotState::Running); }
};

/// Restart timing shared by static and dynamic applications.
struct RestartRules {
    Seconds init_start_delay{Defaults::init_start_delay};
    Seconds restart_delay{Defaults::restart_delay};
    Seconds min_server_life{Defaults::min_server_life};
    static constexpr unsigned kMaxFailedStarts = 3;
    static constexpr Seconds kFailedStartsDelay{600};
    /// The spawn-rate floor: a slot that ran before is started again at
    /// least this long after the app's last start, whatever -restart-delay
    /// says (with -restart-delay 0 an app that exits at once was restarted
    /// in a busy loop), so at most 60 restarts a minute before the back-off.
    static constexpr Seconds kMinRestartSpacing{1};
    /// An instance that ends this soon after its start exited "at once":
    /// a failure for the back-off even with exit status 0 (an exit(0) loop
    /// is a crash loop too).
    static constexpr Seconds kQuickExit{1};

    static RestartRules from(const SpawnConfig& s) {
        return {Seconds(s.init_start_delay), Seconds(s.restart_delay), Seconds(s.min_server_life)};
    }

    /// Earliest time slot `i` may be spawned.
    TimePoint earliest_start(const AppState& app, std::size_t i) const;

    /// Records the exit of slot `i` (exit status 0 is not a failure) and
    /// updates the back-off. Returns a log message when the back-off state
    /// changed, else an empty string.
    /// `stopped_by_pm`: the PM ended it (never a failure, however young).
    std::string on_exit(AppState& app, std::size_t i, bool clean_exit, TimePoint now,
                        bool stopped_by_pm = false) const;

    /// Records a spawn of slot `i`.
    void on_spawn(AppState& app, std::size_t i, int pid, TimePoint now) const;
};

/// What a kill pass decided for one application.
struct KillDecision {
    std::size_t app = 0;   ///< index into the vector given to kill_pass
    std::size_t slot = 0;
    bool cancel_start = false;  ///< a pending start is cancelled instead of a kill
};

class ScalingPolicy {
public:
    explicit ScalingPolicy(const DynamicConfig& cfg, TimePoint now);

    const RestartRules& rules() const noexcept { return rules_; }

    /// A new dynamic application: its state with -maxClassProcesses slots.
    AppState make_app() const;

    /// 'Start': the app's socket was missing. The slot to schedule, if any.
    std::optional<std::size_t> on_start(AppState& app, unsigned total_running, std::string* warning) const;
    /// 'Waited': a request waited -startDelay. The slot to schedule, if any.
    std::optional<std::size_t> on_waited(AppState& app, unsigned total_running, TimePoint now,
                                         std::string* warning) const;
    /// 'Done': a request finished after `service_us` of service.
    void on_done(AppState& app, std::uint64_t service_us) const;

    /// Whether an instance that exited on its own is started again.
    bool restart_after_exit(const AppState& app) const;

    /// Smoothing (when -updateInterval has passed) and the kill pass (when
    /// -killInterval has passed or the slack is used up). `total_running`
    /// counts all dynamic instances.
    std::vector<KillDecision> tick(std::vector<AppState*>& apps, unsigned total_running, TimePoint now);

    /// When tick() next has work to do.
    TimePoint next_tick() const;

private:
    std::optional<std::size_t> schedule(AppState& app, unsigned total_running, TimePoint now, bool check_delay,
                                        std::string* warning) const;

    DynamicConfig cfg_;
    RestartRules rules_;
    TimePoint last_update_;
    TimePoint last_kill_;
    TimePoint last_crowded_{};
};

}  // namespace fastcgi::pm
