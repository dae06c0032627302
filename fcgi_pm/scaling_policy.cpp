// See scaling_policy.hpp. Pure C++: no APR, no httpd.
#include "scaling_policy.hpp"

#include <algorithm>

namespace fastcgi::pm {

unsigned AppState::count(SlotState s) const noexcept {
    return static_cast<unsigned>(std::count_if(slots.begin(), slots.end(), [s](const Slot& x) { return x.state == s; }));
}

TimePoint RestartRules::earliest_start(const AppState& app, std::size_t i) const {
    if (!app.ever_started) return TimePoint{};
    if (app.backed_off) return app.last_start + kFailedStartsDelay;
    if (!app.slots[i].used) return app.last_start + init_start_delay;
    return app.last_start + std::max(restart_delay, kMinRestartSpacing);
}

void RestartRules::on_spawn(AppState& app, std::size_t i, int pid, TimePoint now) const {
    Slot& s = app.slots[i];
    s.state = SlotState::Running;
    s.pid = pid;
    s.started = now;
    s.used = true;
    app.last_start = now;
    app.ever_started = true;
    if (app.backed_off) {
        // On probation: one more failure after the long delay backs off again.
        app.backed_off = false;
        app.probation = true;
        app.failures = kMaxFailedStarts;
    }
}

std::string RestartRules::on_exit(AppState& app, std::size_t i, bool clean_exit, TimePoint now,
                                  bool stopped_by_pm) const {
    Slot& s = app.slots[i];
    const bool lived_long = now - s.started >= min_server_life;
    s.state = SlotState::Dead;
    s.pid = 0;
    if (lived_long) {
        const bool was_backed_off = app.backed_off || app.probation;
        app.failures = 0;
        app.backed_off = false;
        app.probation = false;
        if (was_backed_off)
            return "has remained running for more than the minimum server life; its restart interval is restored";
        return {};
    }
    if (stopped_by_pm || (clean_exit && now - s.started >= kQuickExit)) return {};
    ++app.failures;
    if (app.failures > kMaxFailedStarts) {
        const bool any_long = std::any_of(app.slots.begin(), app.slots.end(), [&](const Slot& x) {
            return x.state == SlotState::Running && now - x.started >= min_server_life;
        });
        if (!any_long && !app.backed_off) {
            app.backed_off = true;
            return "has failed to remain running for the minimum server life given " +
                   std::to_string(kMaxFailedStarts) + " attempts; its restart interval has been backed off to " +
                   std::to_string(kFailedStartsDelay.count()) + " seconds";
        }
    }
    return {};
}

ScalingPolicy::ScalingPolicy(const DynamicConfig& cfg, TimePoint now)
    : cfg_(cfg), rules_(RestartRules::from(cfg.spawn)), last_update_(now), last_kill_(now) {}

AppState ScalingPolicy::make_app() const {
    AppState a;
    a.slots.resize(cfg_.max_class_processes);
    return a;
}

std::optional<std::size_t> ScalingPolicy::schedule(AppState& app, unsigned total_running, TimePoint now,
                                                   bool check_delay, std::string* warning) const {
    if (total_running + 1 > cfg_.max_processes) {
        if (warning)
            *warning = "can't schedule the start of another (dynamic) process: exceeded dynamicMaxProcs (" +
                       std::to_string(cfg_.max_processes) + ")";
        return std::nullopt;
    }
    for (std::size_t i = 0; i < app.slots.size(); ++i) {
        Slot& s = app.slots[i];
        if (s.state == SlotState::Running || s.state == SlotState::Stopping) continue;
        if (s.state == SlotState::Starting) return std::nullopt;  // one is on its way
        if (check_delay && app.ever_started &&
            now < app.last_start + (s.used ? rules_.restart_delay : rules_.init_start_delay))
            return std::nullopt;
        s.state = SlotState::Starting;
        if (warning && i + 1 == app.slots.size())
            *warning = std::string("scheduled the ") + (s.used ? "restart" : "start") +
                       " of the last (dynamic) process: reached dynamicMaxClassProcs (" +
                       std::to_string(cfg_.max_class_processes) + ")";
        return i;
    }
    return std::nullopt;
}

std::optional<std::size_t> ScalingPolicy::on_start(AppState& app, unsigned total_running, std::string* warning) const {
    if (app.running() > 0 || app.count(SlotState::Starting) > 0) return std::nullopt;
    return schedule(app, total_running, TimePoint{}, false, warning);
}

std::optional<std::size_t> ScalingPolicy::on_waited(AppState& app, unsigned total_running, TimePoint now,
                                                    std::string* warning) const {
    return schedule(app, total_running, now, true, warning);
}

void ScalingPolicy::on_done(AppState& app, std::uint64_t service_us) const {
    app.busy_us += static_cast<double>(service_us);
}

bool ScalingPolicy::restart_after_exit(const AppState& app) const {
    if (cfg_.restart) return true;
    return app.running() == 0 && app.count(SlotState::Starting) == 0 && cfg_.single_threshold == 0;
}

TimePoint ScalingPolicy::next_tick() const {
    return std::min(last_update_ + Seconds(cfg_.update_interval), last_kill_ + Seconds(cfg_.kill_interval));
}

std::vector<KillDecision> ScalingPolicy::tick(std::vector<AppState*>& apps, unsigned total_running, TimePoint now) {
    if (now >= last_update_ + Seconds(cfg_.update_interval)) {
        for (AppState* a : apps) {
            a->smoothed_busy_us = (1.0 - cfg_.gain) * a->smoothed_busy_us + cfg_.gain * a->busy_us;
            a->busy_us = 0;
        }
        last_update_ = now;
    }
    std::vector<KillDecision> out;
    const bool due = now >= last_kill_ + Seconds(cfg_.kill_interval);
    // Crowded (running + -processSlack reach -maxProcesses): an extra pass,
    // at most once a second, that leaves the regular schedule alone; the
    // load is still measured since the last regular pass.
    const bool crowded = total_running + cfg_.process_slack >= cfg_.max_processes &&
                         now >= last_crowded_ + Seconds(1);
    if (!due && !crowded) return out;
    const double elapsed_s = std::chrono::duration<double>(now - last_kill_).count();
    if (due) last_kill_ = now;
    if (crowded) last_crowded_ = now;
    unsigned remaining = total_running;
    for (std::size_t ai = 0; ai < apps.size(); ++ai) {
        AppState& a = *apps[ai];
        const unsigned running = a.running();
        if (running == 0) continue;
        if (remaining <= cfg_.min_processes) break;
        const double busy = a.smoothed_busy_us > 0 ? a.smoothed_busy_us : a.busy_us;
        const double capacity = running * elapsed_s * 1e6 + 1;
        const double load = 100.0 * busy / capacity;
        const bool keep = running == 1 ? load >= cfg_.single_threshold
                                       : (static_cast<double>(running) / (running - 1)) * load >= cfg_.multi_threshold;
        if (keep) continue;
        // A pending start is cancelled rather than killing a running one.
        bool cancelled = false;
        for (std::size_t si = 0; si < a.slots.size(); ++si) {
            if (a.slots[si].state == SlotState::Starting) {
                a.slots[si].state = a.slots[si].used ? SlotState::Dead : SlotState::Unused;
                out.push_back({ai, si, true});
                cancelled = true;
                break;
            }
        }
        if (cancelled || a.count(SlotState::Stopping) > 0) continue;
        std::size_t youngest = a.slots.size();
        for (std::size_t si = 0; si < a.slots.size(); ++si) {
            if (a.slots[si].state != SlotState::Running) continue;
            if (youngest == a.slots.size() || a.slots[si].started > a.slots[youngest].started) youngest = si;
        }
        // An instance gets one whole kill interval to show its worth.
        if (now - a.slots[youngest].started < Seconds(cfg_.kill_interval)) continue;
        a.slots[youngest].state = SlotState::Stopping;
        out.push_back({ai, youngest, false});
        --remaining;
    }
    return out;
}

}  // namespace fastcgi::pm
