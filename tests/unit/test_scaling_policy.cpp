// fcgi_pm/scaling_policy.hpp: RestartRules (restart spacing, crash-loop
// back-off) and ScalingPolicy (on-demand growth, smoothing, kill pass), on a
// fake clock. Each test is a recorded scenario: the decisions a user would
// see in the error log, in order, with the time they happen.
//
// Reference: mod_fastcgi-behaviour.md sections 4.5-4.8 (the original's
// fcgi_pm.c), with the deliberate differences documented in
// scaling_policy.hpp (real division in the multi-instance factor,
// -minProcesses as a floor, an instance gets one whole -killInterval).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/app_config.hpp"
#include "scaling_policy.hpp"

using namespace fastcgi;
using namespace fastcgi::pm;

namespace {

TimePoint at(long s) { return TimePoint{} + Seconds(s); }
/// Whole seconds since at(0), so that failures print readable times.
long secs(TimePoint t) { return static_cast<long>(std::chrono::duration_cast<Seconds>(t - at(0)).count()); }

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

/// One character per slot: '.' unused, 'S' starting, 'R' running,
/// 'K' stopping (SIGTERM sent), 'x' dead.
std::string states(const AppState& a) {
    std::string out;
    for (const Slot& s : a.slots) {
        switch (s.state) {
        case SlotState::Unused: out += '.'; break;
        case SlotState::Starting: out += 'S'; break;
        case SlotState::Running: out += 'R'; break;
        case SlotState::Stopping: out += 'K'; break;
        case SlotState::Dead: out += 'x'; break;
        }
    }
    return out;
}

std::string slot_str(const std::optional<std::size_t>& s) { return s ? "slot " + std::to_string(*s) : "none"; }

std::string decisions_str(const std::vector<KillDecision>& ds) {
    std::string out;
    for (const KillDecision& d : ds) {
        if (!out.empty()) out += ", ";
        out += (d.cancel_start ? "cancel app " : "kill app ") + std::to_string(d.app) + " slot " +
               std::to_string(d.slot);
    }
    return out.empty() ? "none" : out;
}

AppState app_with_slots(std::size_t n) {
    AppState a;
    a.slots.resize(n);
    return a;
}

/// Puts slot `i` in Running as the PM does after a spawn.
void run_slot(const RestartRules& rules, AppState& a, std::size_t i, TimePoint when, int pid = 0) {
    rules.on_spawn(a, i, pid ? pid : 1000 + static_cast<int>(i), when);
}

DynamicConfig small_config() {
    DynamicConfig c;
    c.kill_interval = 60;
    c.update_interval = 60;
    c.min_processes = 0;
    return c;
}

// ============================================================== RestartRules

TEST(RestartRules, DefaultsAndFromSpawnConfig) {
    const RestartRules d;
    EXPECT_EQ(d.init_start_delay, Seconds(1));
    EXPECT_EQ(d.restart_delay, Seconds(5));
    EXPECT_EQ(d.min_server_life, Seconds(30));
    EXPECT_EQ(RestartRules::kMaxFailedStarts, 3u);
    EXPECT_EQ(RestartRules::kFailedStartsDelay, Seconds(600));

    SpawnConfig s;
    s.init_start_delay = 7;
    s.restart_delay = 11;
    s.min_server_life = 13;
    const RestartRules r = RestartRules::from(s);
    EXPECT_EQ(r.init_start_delay, Seconds(7));
    EXPECT_EQ(r.restart_delay, Seconds(11));
    EXPECT_EQ(r.min_server_life, Seconds(13));
}

TEST(RestartRules, FirstStartIsImmediate) {
    const RestartRules r;
    AppState a = app_with_slots(3);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_LE(secs(r.earliest_start(a, i)), 0) << i;
}

TEST(RestartRules, NeverUsedSlotWaitsInitStartDelayAfterThePreviousStart) {
    SpawnConfig s;
    s.init_start_delay = 7;
    const RestartRules r = RestartRules::from(s);
    AppState a = app_with_slots(3);
    run_slot(r, a, 0, at(100));
    EXPECT_EQ(secs(r.earliest_start(a, 1)), 107);
    run_slot(r, a, 1, at(107));
    EXPECT_EQ(secs(r.earliest_start(a, 2)), 114) << "measured from the most recent start of any instance";
}

TEST(RestartRules, ReusedSlotWaitsRestartDelay) {
    const RestartRules r;  // restart-delay 5, init-start-delay 1
    AppState a = app_with_slots(2);
    run_slot(r, a, 0, at(100));
    EXPECT_EQ(r.on_exit(a, 0, false, at(101)), "");
    EXPECT_EQ(a.slots[0].state, SlotState::Dead);
    EXPECT_EQ(a.slots[0].pid, 0);
    EXPECT_EQ(secs(r.earliest_start(a, 0)), 105) << "reused slot: -restart-delay";
    EXPECT_EQ(secs(r.earliest_start(a, 1)), 101) << "never-used slot: -init-start-delay";

    // An instance that ran a long time is restarted at once.
    run_slot(r, a, 0, at(105));
    EXPECT_EQ(r.on_exit(a, 0, false, at(5000)), "");
    EXPECT_LE(secs(r.earliest_start(a, 0)), 5000);
}

// Spawns slot 0 whenever it is due and lets it die `life` seconds later;
// records "t=<spawn> +<life> <exit>" and any message on_exit returned.
struct CrashLoop {
    RestartRules rules;
    AppState app = app_with_slots(1);
    std::vector<std::string> log;
    TimePoint now = at(0);

    TimePoint run_once(long life, bool clean = false) {
        const TimePoint start = std::max(rules.earliest_start(app, 0), now);
        rules.on_spawn(app, 0, 4242, start);
        const TimePoint end = start + Seconds(life);
        now = end;
        const std::string msg = rules.on_exit(app, 0, clean, end);
        log.push_back("t=" + std::to_string(secs(start)) + " ran " + std::to_string(life) + "s " +
                      (clean ? "exit(0)" : "failed") + (msg.empty() ? "" : ": " + msg));
        return end;
    }
    long next_start() const { return secs(rules.earliest_start(app, 0)); }
};

const std::string kBackedOff =
    ": has failed to remain running for the minimum server life given 3 attempts; its restart interval has been "
    "backed off to 600 seconds";

TEST(RestartRules, CrashLoopIsBackedOffAfterMoreThanThreeFailures) {
    CrashLoop c;
    for (int i = 0; i < 4; ++i) c.run_once(1);
    EXPECT_EQ(c.log, (std::vector<std::string>{
                         "t=0 ran 1s failed",
                         "t=5 ran 1s failed",
                         "t=10 ran 1s failed",
                         "t=15 ran 1s failed" + kBackedOff,
                     }));
    EXPECT_TRUE(c.app.backed_off);
    EXPECT_EQ(c.next_start(), 615) << "600 s after the last start";
}

TEST(RestartRules, AfterTheBackOffOneMoreFailureBacksOffAgain) {
    CrashLoop c;
    for (int i = 0; i < 4; ++i) c.run_once(1);
    c.log.clear();
    c.run_once(1);  // at 615
    c.run_once(1);  // at 1215
    EXPECT_EQ(c.log, (std::vector<std::string>{
                         "t=615 ran 1s failed" + kBackedOff,
                         "t=1215 ran 1s failed" + kBackedOff,
                     }));
    EXPECT_EQ(c.next_start(), 1815);
}

TEST(RestartRules, OneLongLivedInstanceRestoresTheRestartInterval) {
    CrashLoop c;
    for (int i = 0; i < 4; ++i) c.run_once(1);
    ASSERT_TRUE(c.app.backed_off);
    c.run_once(31);  // at 615, lives past -min-server-life, then fails
    EXPECT_FALSE(c.app.backed_off);
    EXPECT_EQ(c.app.failures, 0u);
    EXPECT_EQ(c.next_start(), 620) << "-restart-delay again";
    // Three more quick failures are tolerated again; the fourth backs off.
    c.log.clear();
    for (int i = 0; i < 4; ++i) c.run_once(1);
    EXPECT_EQ(c.log, (std::vector<std::string>{
                         "t=646 ran 1s failed",
                         "t=651 ran 1s failed",
                         "t=656 ran 1s failed",
                         "t=661 ran 1s failed" + kBackedOff,
                     }));
}

// The user who saw "backed off to 600 seconds" also sees it restored once
// the respawned instance survives -min-server-life.
TEST(RestartRules, RestoreAfterBackOffIsLogged) {
    CrashLoop c;
    for (int i = 0; i < 4; ++i) c.run_once(1);
    c.log.clear();
    c.run_once(31);
    ASSERT_EQ(c.log.size(), 1u);
    EXPECT_TRUE(contains(c.log[0], "restart interval is restored")) << c.log[0];
}

// BUG (see report, low severity): three quick failures then a long life:
// the app was never backed off, yet on_exit says its restart interval "is
// restored" (failures >= 3 is taken for "was backed off").
TEST(RestartRules, NoRestoreMessageWithoutABackOff) {
    CrashLoop c;
    for (int i = 0; i < 3; ++i) c.run_once(1);
    c.run_once(31);
    EXPECT_EQ(c.log, (std::vector<std::string>{
                         "t=0 ran 1s failed",
                         "t=5 ran 1s failed",
                         "t=10 ran 1s failed",
                         "t=15 ran 31s failed",
                     }));
    EXPECT_FALSE(c.app.backed_off);
    EXPECT_EQ(c.app.failures, 0u);
}

TEST(RestartRules, ExitZeroIsNotAFailure) {
    CrashLoop c;
    for (int i = 0; i < 10; ++i) c.run_once(1, true);
    for (const std::string& l : c.log) EXPECT_FALSE(contains(l, "backed off")) << l;
    EXPECT_FALSE(c.app.backed_off);
    EXPECT_EQ(c.app.failures, 0u);
    EXPECT_EQ(c.next_start(), 45 + 5) << "restarted after -restart-delay, never 600 s";
}

TEST(RestartRules, ExitZeroNeitherCountsNorResetsTheFailures) {
    // As the original: exit(0) does not bump the counter, nor clear it.
    CrashLoop c;
    c.run_once(1);
    c.run_once(1);
    c.run_once(1);
    c.run_once(1, true);
    EXPECT_FALSE(c.app.backed_off);
    c.run_once(1);
    EXPECT_TRUE(c.app.backed_off);
    EXPECT_TRUE(contains(c.log.back(), "backed off to 600 seconds")) << c.log.back();
}

TEST(RestartRules, ASurvivingInstanceOfTheAppPreventsTheBackOff) {
    const RestartRules r;
    AppState a = app_with_slots(2);
    run_slot(r, a, 0, at(0));  // survives
    TimePoint t = at(40);
    for (int i = 0; i < 6; ++i) {
        t = std::max(t, r.earliest_start(a, 1));
        run_slot(r, a, 1, t);
        EXPECT_EQ(r.on_exit(a, 1, false, t + Seconds(1)), "") << i;
        t += Seconds(1);
    }
    EXPECT_FALSE(a.backed_off);
    EXPECT_EQ(secs(r.earliest_start(a, 1)), secs(a.last_start) + 5);
}

// BUG (see report): the back-off flag survives a "restored" message.
// Slot 1 crash-loops while slot 0 (started at 0) is younger than
// -min-server-life, so the app is backed off at t=20. Slot 0 then dies at
// t=40 after 40 s of life: on_exit says the restart interval is restored and
// resets the failures, but backed_off stays true, so both slots still wait
// until last_start + 600 = 619.
TEST(RestartRules, RestoredMessageLiftsTheBackOff) {
    const RestartRules r;
    AppState a = app_with_slots(2);
    run_slot(r, a, 0, at(0));
    std::vector<std::string> msgs;
    for (long t : {1L, 7L, 13L, 19L}) {
        ASSERT_LE(secs(r.earliest_start(a, 1)), t);
        run_slot(r, a, 1, at(t));
        msgs.push_back(r.on_exit(a, 1, false, at(t + 1)));
    }
    EXPECT_EQ(msgs.back(), kBackedOff.substr(2));
    ASSERT_TRUE(a.backed_off);
    EXPECT_EQ(secs(r.earliest_start(a, 1)), 619);

    const std::string restored = r.on_exit(a, 0, false, at(40));
    EXPECT_TRUE(contains(restored, "restored")) << restored;
    EXPECT_EQ(a.failures, 0u);
    // What the message says must hold:
    EXPECT_FALSE(a.backed_off);
    EXPECT_EQ(secs(r.earliest_start(a, 0)), 24) << "last start 19 + -restart-delay 5";
    EXPECT_EQ(secs(r.earliest_start(a, 1)), 24);
}

// ========================================================= ScalingPolicy: S

TEST(ScalingPolicyStart, SchedulesSlotZeroOnce) {
    const DynamicConfig cfg;
    const ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app();
    ASSERT_EQ(a.slots.size(), Defaults::max_class_processes);
    std::string w;
    EXPECT_EQ(p.on_start(a, 0, &w), std::optional<std::size_t>(0));
    EXPECT_EQ(w, "");
    EXPECT_EQ(states(a), "S.........");
    // A second Start while slot 0 is on its way: nothing.
    EXPECT_EQ(p.on_start(a, 0, &w), std::nullopt);
    EXPECT_EQ(states(a), "S.........");
    // Nor once it runs.
    p.rules().on_spawn(a, 0, 100, at(0));
    EXPECT_EQ(p.on_start(a, 1, &w), std::nullopt);
    EXPECT_EQ(states(a), "R.........");
    EXPECT_EQ(w, "");
}

TEST(ScalingPolicyStart, AfterEveryInstanceWasKilledSchedulesAgain) {
    const ScalingPolicy p(DynamicConfig{}, at(0));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    p.rules().on_exit(a, 0, true, at(500));
    EXPECT_EQ(p.on_start(a, 0, nullptr), std::optional<std::size_t>(0));
    EXPECT_EQ(states(a), "S.........");
}

TEST(ScalingPolicyStart, NothingWhileARestartIsPendingInALaterSlot) {
    // The last instance (slot 1) exited and is being restarted; slot 0 is
    // free. A Start must not schedule a second instance.
    const ScalingPolicy p(DynamicConfig{}, at(0));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    p.rules().on_spawn(a, 1, 101, at(1));
    p.rules().on_exit(a, 0, true, at(100));
    p.rules().on_exit(a, 1, false, at(101));
    ASSERT_TRUE(p.restart_after_exit(a));
    a.slots[1].state = SlotState::Starting;
    EXPECT_EQ(p.on_start(a, 0, nullptr), std::nullopt);
    EXPECT_EQ(states(a), "xS........");
}

TEST(ScalingPolicyStart, MaxProcessesReached) {
    DynamicConfig cfg;
    cfg.max_processes = 4;
    const ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app();
    std::string w;
    EXPECT_EQ(p.on_start(a, 4, &w), std::nullopt);
    EXPECT_EQ(states(a), "..........");
    EXPECT_EQ(w, "can't schedule the start of another (dynamic) process: exceeded dynamicMaxProcs (4)");
    w.clear();
    EXPECT_EQ(p.on_start(a, 3, &w), std::optional<std::size_t>(0));
    EXPECT_EQ(w, "");
}

// ========================================================= ScalingPolicy: T

TEST(ScalingPolicyWaited, GrowsOneSlotPerCallSubjectToTheDelays) {
    DynamicConfig cfg;
    cfg.spawn.init_start_delay = 2;
    cfg.spawn.restart_delay = 5;
    const ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app();
    const RestartRules& r = p.rules();
    std::vector<std::string> log;
    auto waited = [&](long t) {
        std::string w;
        const auto s = p.on_waited(a, a.running(), at(t), &w);
        log.push_back("t=" + std::to_string(t) + " " + slot_str(s) + " " + states(a) + (w.empty() ? "" : " " + w));
    };
    ASSERT_EQ(p.on_start(a, 0, nullptr), std::optional<std::size_t>(0));
    r.on_spawn(a, 0, 100, at(0));
    waited(1);  // too soon after the start at 0
    waited(2);  // slot 1
    waited(2);  // slot 1 is on its way
    r.on_spawn(a, 1, 101, at(2));
    waited(3);  // too soon
    waited(4);  // slot 2
    r.on_spawn(a, 2, 102, at(4));
    r.on_exit(a, 1, true, at(8));  // slot 1 is free again, and now a reused slot
    waited(8);  // reused slot 1: -restart-delay (5) after the start at 4
    waited(9);
    EXPECT_EQ(log, (std::vector<std::string>{
                       "t=1 none R.........",
                       "t=2 slot 1 RS........",
                       "t=2 none RS........",
                       "t=3 none RR........",
                       "t=4 slot 2 RRS.......",
                       "t=8 none RxR.......",
                       "t=9 slot 1 RSR.......",
                   }));
}

TEST(ScalingPolicyWaited, SkipsAStoppingSlot) {
    const ScalingPolicy p(DynamicConfig{}, at(0));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    p.rules().on_spawn(a, 1, 101, at(10));
    a.slots[0].state = SlotState::Stopping;
    EXPECT_EQ(p.on_waited(a, 2, at(100), nullptr), std::optional<std::size_t>(2));
    EXPECT_EQ(states(a), "KRS.......");
}

TEST(ScalingPolicyWaited, NeverBeyondMaxClassProcesses) {
    DynamicConfig cfg;
    cfg.max_class_processes = 3;
    const ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app();
    ASSERT_EQ(a.slots.size(), 3u);
    std::vector<std::string> warnings;
    for (long t = 0; t < 10; ++t) {
        std::string w;
        if (const auto s = p.on_waited(a, a.running(), at(t * 10), &w)) p.rules().on_spawn(a, *s, 100 + int(*s), at(t * 10));
        warnings.push_back(w);
    }
    EXPECT_EQ(states(a), "RRR");
    EXPECT_EQ(warnings[0], "");
    EXPECT_EQ(warnings[1], "");
    EXPECT_EQ(warnings[2], "scheduled the start of the last (dynamic) process: reached dynamicMaxClassProcs (3)");
    for (std::size_t i = 3; i < warnings.size(); ++i) EXPECT_EQ(warnings[i], "") << i;
}

TEST(ScalingPolicyWaited, NeverBeyondMaxProcesses) {
    DynamicConfig cfg;
    cfg.max_processes = 5;
    const ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    std::string w;
    // 4 other dynamic instances run elsewhere: this app's one makes 5.
    EXPECT_EQ(p.on_waited(a, 5, at(100), &w), std::nullopt);
    EXPECT_EQ(w, "can't schedule the start of another (dynamic) process: exceeded dynamicMaxProcs (5)");
    EXPECT_EQ(states(a), "R.........");
    w.clear();
    EXPECT_EQ(p.on_waited(a, 4, at(100), &w), std::optional<std::size_t>(1));
    EXPECT_EQ(w, "");
}

// ============================================================ restart policy

TEST(ScalingPolicyRestart, RestartOptionRestartsEveryExit) {
    DynamicConfig cfg;
    cfg.restart = true;
    cfg.single_threshold = 50;
    const ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    p.rules().on_spawn(a, 1, 101, at(1));
    p.rules().on_exit(a, 1, false, at(100));
    EXPECT_TRUE(p.restart_after_exit(a)) << "another instance still runs";
}

TEST(ScalingPolicyRestart, LastInstanceWithSingleThresholdZero) {
    const ScalingPolicy p(DynamicConfig{}, at(0));  // singleThreshold 0
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    p.rules().on_spawn(a, 1, 101, at(1));
    p.rules().on_exit(a, 1, false, at(100));
    EXPECT_FALSE(p.restart_after_exit(a)) << "slot 0 still runs";
    p.rules().on_exit(a, 0, false, at(200));
    EXPECT_TRUE(p.restart_after_exit(a)) << "the last one is restarted";
}

TEST(ScalingPolicyRestart, LastInstanceWithSingleThresholdSet) {
    DynamicConfig cfg;
    cfg.single_threshold = 10;
    const ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    p.rules().on_exit(a, 0, false, at(100));
    EXPECT_FALSE(p.restart_after_exit(a));
}

TEST(ScalingPolicyRestart, NotWhenAStartIsAlreadyPending) {
    const ScalingPolicy p(DynamicConfig{}, at(0));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    a.slots[1].state = SlotState::Starting;
    p.rules().on_exit(a, 0, false, at(100));
    EXPECT_FALSE(p.restart_after_exit(a));
}

// ================================================================== tick()

TEST(ScalingPolicyTick, SmoothingEveryUpdateIntervalWithGain) {
    DynamicConfig cfg;
    cfg.gain = 0.25;
    cfg.update_interval = 10;
    cfg.kill_interval = 100000;  // no kill pass here
    ScalingPolicy p(cfg, at(0));
    AppState a = p.make_app(), b = p.make_app();
    std::vector<AppState*> apps{&a, &b};
    EXPECT_EQ(secs(p.next_tick()), 10);

    p.on_done(a, 600);
    p.on_done(a, 400);
    p.on_done(b, 8000);
    EXPECT_TRUE(p.tick(apps, 0, at(9)).empty());
    EXPECT_EQ(a.busy_us, 1000.0) << "not yet";
    EXPECT_EQ(a.smoothed_busy_us, 0.0);

    p.tick(apps, 0, at(10));
    EXPECT_EQ(a.smoothed_busy_us, 250.0);  // 0.75 * 0 + 0.25 * 1000
    EXPECT_EQ(b.smoothed_busy_us, 2000.0);
    EXPECT_EQ(a.busy_us, 0.0);
    EXPECT_EQ(b.busy_us, 0.0);
    EXPECT_EQ(secs(p.next_tick()), 20);

    p.on_done(a, 2000);
    p.tick(apps, 0, at(15));
    EXPECT_EQ(a.smoothed_busy_us, 250.0);
    EXPECT_EQ(a.busy_us, 2000.0);
    p.tick(apps, 0, at(20));
    EXPECT_EQ(a.smoothed_busy_us, 687.5);  // 0.75 * 250 + 0.25 * 2000
    EXPECT_EQ(b.smoothed_busy_us, 1500.0);  // 0.75 * 2000
    p.tick(apps, 0, at(30));
    EXPECT_EQ(a.smoothed_busy_us, 515.625);  // 0.75 * 687.5
    EXPECT_EQ(b.smoothed_busy_us, 1125.0);
}

/// An app of `n` instances started long before the policy (at 0), with
/// start times 0, 1, 2, ... so slot n-1 is the youngest.
AppState idle_app(const ScalingPolicy& p, unsigned n) {
    AppState a = p.make_app();
    for (unsigned i = 0; i < n; ++i) p.rules().on_spawn(a, i, 100 + int(i), at(i));
    return a;
}

TEST(ScalingPolicyTick, KillPassEveryKillInterval) {
    ScalingPolicy p(small_config(), at(1000));
    AppState a = idle_app(p, 2);
    std::vector<AppState*> apps{&a};
    EXPECT_EQ(secs(p.next_tick()), 1060);
    EXPECT_EQ(decisions_str(p.tick(apps, 2, at(1059))), "none");
    EXPECT_EQ(decisions_str(p.tick(apps, 2, at(1060))), "kill app 0 slot 1");
    EXPECT_EQ(states(a), "RK........");
    EXPECT_EQ(secs(p.next_tick()), 1120);
}

TEST(ScalingPolicyTick, KillPassAtOnceWhenTheSlackIsUsedUp) {
    DynamicConfig cfg = small_config();
    cfg.max_processes = 10;
    cfg.process_slack = 5;
    ScalingPolicy p(cfg, at(1000));
    AppState a = idle_app(p, 5);
    std::vector<AppState*> apps{&a};
    // 4 + 5 < 10: wait for the kill interval.
    EXPECT_EQ(decisions_str(p.tick(apps, 4, at(1010))), "none");
    // 5 + 5 >= 10: now.
    EXPECT_EQ(decisions_str(p.tick(apps, 5, at(1020))), "kill app 0 slot 4");
    EXPECT_EQ(secs(p.next_tick()), 1060) << "the crowded pass leaves the regular schedule alone";
}

TEST(ScalingPolicyTick, CrowdedPassesAtMostOnceASecond) {
    DynamicConfig cfg = small_config();
    cfg.max_processes = 10;
    cfg.process_slack = 8;
    ScalingPolicy p(cfg, at(1000));
    AppState a = idle_app(p, 2);
    std::vector<AppState*> apps{&a};
    // Pending starts are cancelled by every pass: they show when one ran.
    std::vector<std::string> log;
    auto pass = [&](TimePoint now, std::size_t pending) {
        a.slots[pending].state = SlotState::Starting;
        log.push_back(decisions_str(p.tick(apps, 2, now)));
        a.slots[pending].state = SlotState::Unused;
    };
    pass(at(1010), 2);
    pass(at(1010) + std::chrono::milliseconds(500), 3);
    pass(at(1011), 4);
    pass(at(1011), 5);
    pass(at(1013), 6);
    EXPECT_EQ(log, (std::vector<std::string>{"cancel app 0 slot 2", "none", "cancel app 0 slot 4", "none",
                                             "cancel app 0 slot 6"}));
    EXPECT_EQ(secs(p.next_tick()), 1060);
}

TEST(ScalingPolicyTick, LoadIsMeasuredSinceTheLastRegularPass) {
    DynamicConfig cfg = small_config();
    cfg.update_interval = 100000;
    cfg.max_processes = 10;
    cfg.process_slack = 5;
    ScalingPolicy p(cfg, at(1000));
    AppState a = idle_app(p, 2);
    std::vector<AppState*> apps{&a};
    // 24 s of service over 2 instances: 20 % of 60 s (x2 = 40 < 50), but
    // 60 % of the 20 s before the crowded pass at 1020 (x2 = 120).
    a.smoothed_busy_us = 24e6;
    EXPECT_EQ(decisions_str(p.tick(apps, 5, at(1020))), "none") << "crowded pass, 20 s measured";
    EXPECT_EQ(decisions_str(p.tick(apps, 2, at(1060))), "kill app 0 slot 1")
        << "regular pass: 60 s measured, not the 40 s since the crowded pass";
}

TEST(ScalingPolicyTick, SingleInstanceKeptWithSingleThresholdZero) {
    ScalingPolicy p(small_config(), at(1000));  // singleThreshold 0 (default)
    AppState a = idle_app(p, 1);
    std::vector<AppState*> apps{&a};
    for (long t = 1060; t <= 1600; t += 60) EXPECT_EQ(decisions_str(p.tick(apps, 1, at(t))), "none") << t;
    EXPECT_EQ(states(a), "R.........");
}

/// Sets the app's smoothed busy time so that the per-instance load over
/// `elapsed` seconds is `percent` (just above it: the +1 of the capacity).
void set_load(AppState& a, double percent, long elapsed) {
    a.busy_us = 0;
    a.smoothed_busy_us = percent / 100.0 * a.running() * elapsed * 1e6 + 1;
}

TEST(ScalingPolicyTick, SingleInstanceKilledBelowSingleThreshold) {
    DynamicConfig cfg = small_config();
    cfg.update_interval = 100000;  // keep the loads set by hand
    cfg.single_threshold = 10;
    ScalingPolicy p(cfg, at(1000));
    AppState a = idle_app(p, 1);
    std::vector<AppState*> apps{&a};
    set_load(a, 11, 60);
    EXPECT_EQ(decisions_str(p.tick(apps, 1, at(1060))), "none");
    set_load(a, 9, 60);
    EXPECT_EQ(decisions_str(p.tick(apps, 1, at(1120))), "kill app 0 slot 0");
}

TEST(ScalingPolicyTick, CurrentTotalUsedWhileNothingIsSmoothed) {
    DynamicConfig cfg = small_config();
    cfg.update_interval = 100000;
    cfg.single_threshold = 10;
    ScalingPolicy p(cfg, at(1000));
    AppState a = idle_app(p, 1);
    std::vector<AppState*> apps{&a};
    p.on_done(a, 12'000'000);  // 20 % of 60 s
    EXPECT_EQ(decisions_str(p.tick(apps, 1, at(1060))), "none");
}

TEST(ScalingPolicyTick, SeveralInstancesUseRealDivisionForTheLoadFactor) {
    DynamicConfig cfg = small_config();
    cfg.update_interval = 100000;
    cfg.multi_threshold = 50;
    ScalingPolicy p(cfg, at(1000));
    std::vector<std::string> log;
    // 3 instances at 40 %: 3/2 * 40 = 60 >= 50 keeps them (the original's
    // integer 3/2 = 1 gave 40 and killed one).
    AppState three = idle_app(p, 3);
    std::vector<AppState*> apps{&three};
    set_load(three, 40, 60);
    log.push_back(decisions_str(p.tick(apps, 3, at(1060))));
    // 3 instances at 32 %: 48 < 50.
    set_load(three, 32, 60);
    log.push_back(decisions_str(p.tick(apps, 3, at(1120))));
    // 2 instances: factor 2. 26 % -> 52 kept; 24 % -> 48 killed.
    AppState two = idle_app(p, 2);
    apps = {&two};
    set_load(two, 26, 60);
    log.push_back(decisions_str(p.tick(apps, 2, at(1180))));
    set_load(two, 24, 60);
    log.push_back(decisions_str(p.tick(apps, 2, at(1240))));
    // 5 instances: factor 1.25. 41 % -> 51.25 kept; 39 % -> 48.75 killed.
    AppState five = idle_app(p, 5);
    apps = {&five};
    set_load(five, 41, 60);
    log.push_back(decisions_str(p.tick(apps, 5, at(1300))));
    set_load(five, 39, 60);
    log.push_back(decisions_str(p.tick(apps, 5, at(1360))));
    EXPECT_EQ(log, (std::vector<std::string>{"none", "kill app 0 slot 2", "none", "kill app 0 slot 1", "none",
                                             "kill app 0 slot 4"}));
}

TEST(ScalingPolicyTick, YoungestKilledFirst) {
    ScalingPolicy p(small_config(), at(1000));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(10));
    p.rules().on_spawn(a, 1, 101, at(50));  // youngest
    p.rules().on_spawn(a, 2, 102, at(20));
    p.rules().on_spawn(a, 3, 103, at(0));
    std::vector<AppState*> apps{&a};
    EXPECT_EQ(decisions_str(p.tick(apps, 4, at(1060))), "kill app 0 slot 1");
    EXPECT_EQ(states(a), "RKRR......");
}

TEST(ScalingPolicyTick, AtMostOneVictimPerAppAndPassAndStoppingBlocksFurtherKills) {
    ScalingPolicy p(small_config(), at(1000));
    AppState a = idle_app(p, 4), b = idle_app(p, 2);
    std::vector<AppState*> apps{&a, &b};
    std::vector<std::string> log;
    log.push_back(decisions_str(p.tick(apps, 6, at(1060))));
    log.push_back(states(a) + " " + states(b));
    // Neither victim has exited yet: nothing more for these apps.
    log.push_back(decisions_str(p.tick(apps, 6, at(1120))));
    // a's victim exits.
    p.rules().on_exit(a, 3, true, at(1130));
    log.push_back(decisions_str(p.tick(apps, 5, at(1180))));
    log.push_back(states(a) + " " + states(b));
    EXPECT_EQ(log, (std::vector<std::string>{
                       "kill app 0 slot 3, kill app 1 slot 1",
                       "RRRK...... RK........",
                       "none",
                       "kill app 0 slot 2",
                       "RRKx...... RK........",
                   }));
}

TEST(ScalingPolicyTick, PendingStartIsCancelledInsteadOfAKill) {
    ScalingPolicy p(small_config(), at(1000));
    AppState a = idle_app(p, 2);
    a.slots[2].state = SlotState::Starting;  // never used
    AppState b = idle_app(p, 3);
    p.rules().on_exit(b, 2, true, at(500));
    b.slots[2].state = SlotState::Starting;  // reused
    std::vector<AppState*> apps{&a, &b};
    const auto ds = p.tick(apps, 4, at(1060));
    ASSERT_EQ(ds.size(), 2u);
    EXPECT_TRUE(ds[0].cancel_start);
    EXPECT_TRUE(ds[1].cancel_start);
    EXPECT_EQ(decisions_str(ds), "cancel app 0 slot 2, cancel app 1 slot 2");
    EXPECT_EQ(states(a), "RR........") << "an unused slot goes back to Unused";
    EXPECT_EQ(states(b), "RRx.......") << "a used one to Dead";
    EXPECT_FALSE(a.slots[2].used);
    EXPECT_TRUE(b.slots[2].used);
}

TEST(ScalingPolicyTick, MinProcessesIsAFloor) {
    DynamicConfig cfg = small_config();
    cfg.min_processes = 2;
    cfg.single_threshold = 100;  // the last instance of an app may go too
    ScalingPolicy p(cfg, at(1000));
    AppState a = idle_app(p, 2), b = idle_app(p, 1);
    std::vector<AppState*> apps{&a, &b};
    std::vector<std::string> log;
    // Total 3 > 2: one victim, then 2 remain: stop.
    log.push_back(decisions_str(p.tick(apps, 3, at(1060))));
    p.rules().on_exit(a, 1, true, at(1061));
    log.push_back(decisions_str(p.tick(apps, 2, at(1120))));
    log.push_back(decisions_str(p.tick(apps, 2, at(1180))));
    EXPECT_EQ(log, (std::vector<std::string>{"kill app 0 slot 1", "none", "none"}));
    EXPECT_EQ(states(a) + " " + states(b), "Rx........ R.........");
}

TEST(ScalingPolicyTick, DefaultMinProcessesKeepsFiveInstances) {
    DynamicConfig cfg;  // minProcesses 5, killInterval 300
    ScalingPolicy p(cfg, at(1000));
    AppState a = idle_app(p, 5);
    std::vector<AppState*> apps{&a};
    EXPECT_EQ(decisions_str(p.tick(apps, 5, at(1300))), "none");
    AppState b = idle_app(p, 6);
    apps = {&b};
    EXPECT_EQ(decisions_str(p.tick(apps, 6, at(1600))), "kill app 0 slot 5");
}

TEST(ScalingPolicyTick, InstanceYoungerThanKillIntervalIsNotKilled) {
    ScalingPolicy p(small_config(), at(1000));
    AppState a = p.make_app();
    p.rules().on_spawn(a, 0, 100, at(0));
    p.rules().on_spawn(a, 1, 101, at(1050));  // 10 s old at the pass
    std::vector<AppState*> apps{&a};
    std::vector<std::string> log;
    log.push_back(decisions_str(p.tick(apps, 2, at(1060))));
    log.push_back(decisions_str(p.tick(apps, 2, at(1120))));
    EXPECT_EQ(log, (std::vector<std::string>{"none", "kill app 0 slot 1"}));
}

// ======================================================= recorded scenario

// A miniature process manager around the policy, doing what
// fcgi_pm/process_manager.cpp does: messages, then spawn the first due
// Starting slot, then tick(); instances exit when signalled. Every decision
// is logged with its time.
struct Sim {
    ScalingPolicy policy;
    AppState app;
    std::vector<std::string> log;
    int next_pid = 100;

    Sim(const DynamicConfig& cfg, TimePoint t0) : policy(cfg, t0), app(policy.make_app()) {}

    unsigned total() const { return app.running() + app.count(SlotState::Stopping); }
    static std::string ts(TimePoint t) { return "t=" + std::to_string(secs(t)); }

    void start(TimePoint now) {
        std::string w;
        const auto s = policy.on_start(app, total(), &w);
        log.push_back(ts(now) + " Start -> " + slot_str(s) + (w.empty() ? "" : " (" + w + ")"));
    }
    void waited(TimePoint now, int requests) {
        std::string line = ts(now) + " Waited x" + std::to_string(requests) + " ->";
        for (int i = 0; i < requests; ++i) {
            std::string w;
            line += (i ? ", " : " ") + slot_str(policy.on_waited(app, total(), now, &w));
            if (!w.empty()) line += " (" + w + ")";
        }
        log.push_back(line);
    }
    void done(std::uint64_t us) { policy.on_done(app, us); }
    void spawn_due(TimePoint now) {
        for (std::size_t i = 0; i < app.slots.size(); ++i) {
            if (app.slots[i].state != SlotState::Starting) continue;
            if (now < policy.rules().earliest_start(app, i)) break;
            const bool reused = app.slots[i].used;
            policy.rules().on_spawn(app, i, next_pid, now);
            log.push_back(ts(now) + " slot " + std::to_string(i) + (reused ? " restarted" : " started") +
                          " (pid " + std::to_string(next_pid) + ")");
            ++next_pid;
            break;
        }
    }
    void tick(TimePoint now) {
        std::vector<AppState*> apps{&app};
        for (const KillDecision& k : policy.tick(apps, total(), now)) {
            if (k.cancel_start) {
                log.push_back(ts(now) + " cancel start of slot " + std::to_string(k.slot));
                continue;
            }
            log.push_back(ts(now) + " kill slot " + std::to_string(k.slot) + " (pid " +
                          std::to_string(app.slots[k.slot].pid) + ")");
        }
    }
    /// SIGTERMed instances exit one second later.
    void reap(TimePoint now) {
        for (std::size_t i = 0; i < app.slots.size(); ++i) {
            if (app.slots[i].state != SlotState::Stopping) continue;
            const int pid = app.slots[i].pid;
            policy.rules().on_exit(app, i, true, now);
            log.push_back(ts(now) + " slot " + std::to_string(i) + " exited (pid " + std::to_string(pid) + ")");
        }
    }
};

TEST(ScalingScenario, FourSlowRequestsGrowThenIdleShrinks) {
    DynamicConfig cfg;
    cfg.start_delay = 3;            // handler side: a Waited every 3 s per request
    cfg.spawn.init_start_delay = 4; // > startDelay, so the spacing shows
    cfg.kill_interval = 60;
    cfg.update_interval = 60;
    cfg.min_processes = 0;          // singleThreshold 0: the last one stays
    Sim sim(cfg, at(0));

    for (long t = 0; t <= 720; ++t) {
        const TimePoint now = at(t);
        if (t == 0) sim.start(now);
        // Four requests wait for a first byte until t=12, each sending
        // Waited every -startDelay.
        if (t > 0 && t <= 12 && t % 3 == 0) sim.waited(now, 4);
        if (t == 20)
            for (int i = 0; i < 4; ++i) sim.done(8'000'000);  // 8 s of service each
        if (t == 700) sim.waited(now, 1);  // a new burst reuses a slot
        sim.reap(now);
        sim.spawn_due(now);
        sim.tick(now);
        if (t == 12) {
            EXPECT_EQ(states(sim.app), "RRR.......");
        }
        if (t == 60) {
            EXPECT_DOUBLE_EQ(sim.app.smoothed_busy_us, 16e6) << "0.5 * 4 * 8 s";
        }
    }
    EXPECT_EQ(sim.log, (std::vector<std::string>{
                           "t=0 Start -> slot 0",
                           "t=0 slot 0 started (pid 100)",
                           "t=3 Waited x4 -> none, none, none, none",  // 3 s since the start < 4
                           "t=6 Waited x4 -> slot 1, none, none, none",
                           "t=6 slot 1 started (pid 101)",
                           "t=9 Waited x4 -> none, none, none, none",
                           "t=12 Waited x4 -> slot 2, none, none, none",
                           "t=12 slot 2 started (pid 102)",
                           // t=60: load 16e6/180e6 * 1.5 = 13 % < 50, but slot 2 is only 48 s old
                           "t=120 kill slot 2 (pid 102)",  // 8e6/180e6 * 1.5 = 6.7 %
                           "t=121 slot 2 exited (pid 102)",
                           "t=180 kill slot 1 (pid 101)",  // 4e6/120e6 * 2 = 6.7 %
                           "t=181 slot 1 exited (pid 101)",
                           // the last instance stays (singleThreshold 0)
                           "t=700 Waited x1 -> slot 1",
                           "t=700 slot 1 restarted (pid 103)",
                       }));
    EXPECT_EQ(states(sim.app), "RRx.......");
}

}  // namespace

// ====================================================== spawn-rate floor
// -restart-delay 0 once meant a busy loop for an app that exits at once.
namespace {
RestartRules no_delay_rules() {
    SpawnConfig s;
    s.restart_delay = 0;
    s.init_start_delay = 0;
    return RestartRules::from(s);
}
}  // namespace

TEST(SpawnFloor, ARestartWaitsAtLeastOneSecondEvenWithRestartDelayZero) {
    const RestartRules r = no_delay_rules();
    AppState a = app_with_slots(2);
    run_slot(r, a, 0, at(100));
    EXPECT_EQ(secs(r.earliest_start(a, 1)), 100) << "-init-start-delay 0: a first start is not held back";
    r.on_exit(a, 0, false, at(100));
    EXPECT_EQ(secs(r.earliest_start(a, 0)), 101) << "reused slot: the 1 s floor";
}

TEST(SpawnFloor, AnExitZeroLoopIsBackedOffLikeACrashLoop) {
    CrashLoop c;
    c.rules = no_delay_rules();
    for (int k = 0; k < 4; ++k) c.run_once(0, /*clean=*/true);
    ASSERT_EQ(c.log.size(), 4u);
    EXPECT_EQ(c.log[0], "t=0 ran 0s exit(0)");
    EXPECT_EQ(c.log[1], "t=1 ran 0s exit(0)") << "the floor spaces the restarts";
    EXPECT_EQ(c.log[3], "t=3 ran 0s exit(0)" + kBackedOff);
    EXPECT_TRUE(c.app.backed_off);
    EXPECT_EQ(c.next_start(), 3 + 600);
}

TEST(SpawnFloor, AnExitZeroAfterASecondIsNoFailure) {
    CrashLoop c;
    c.rules = no_delay_rules();
    for (int k = 0; k < 6; ++k) c.run_once(2, /*clean=*/true);
    EXPECT_FALSE(c.app.backed_off);
    EXPECT_EQ(c.app.failures, 0u);
}

TEST(SpawnFloor, AnInstanceThePmEndedIsNoFailureHoweverYoung) {
    const RestartRules r = no_delay_rules();
    AppState a = app_with_slots(1);
    for (int k = 0; k < 6; ++k) {
        run_slot(r, a, 0, at(10 * k));
        EXPECT_EQ(r.on_exit(a, 0, true, at(10 * k), /*stopped_by_pm=*/true), "");
    }
    EXPECT_EQ(a.failures, 0u);
    EXPECT_FALSE(a.backed_off);
}
