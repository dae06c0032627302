// admission.hpp (AdmissionGate over AdmissionCounters on a fake clock) and
// the -max-in-flight / -queue-depth / -queue-timeout options of
// app_options.hpp.
#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/admission.hpp"
#include "fastcgi/app_options.hpp"

using namespace fastcgi;
using namespace std::chrono_literals;

namespace {

AdmissionLimits limits(unsigned cap, unsigned depth, unsigned timeout) {
    AdmissionLimits l;
    l.max_in_flight = cap;
    l.queue_depth = depth;
    l.queue_timeout = timeout;
    return l;
}

/// A fake clock the wait function advances.
struct FakeTime {
    AdmissionGate::Clock::time_point t{};
    AdmissionGate::Clock::time_point operator()() const { return t; }
};

}  // namespace

TEST(AdmissionGate, UncappedAdmitsAndCounts) {
    AdmissionCounters c;
    const AdmissionLimits l;  // defaults: no cap
    AdmissionGate g(c, l);
    FakeTime now;
    auto never = [](auto&, std::uint32_t, auto) { ADD_FAILURE() << "an uncapped app never waits"; return true; };
    for (int i = 0; i < 100; ++i) EXPECT_EQ(g.enter(never, now), Admission::Admitted);
    EXPECT_EQ(c.in_flight.load(), 100);
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(g.release());
    EXPECT_EQ(c.in_flight.load(), 0);
    EXPECT_EQ(c.admitted.load(), 100u);
}

TEST(AdmissionGate, CapThenQueueThenRefuse) {
    AdmissionCounters c;
    const auto l = limits(2, 0, 5);
    AdmissionGate g(c, l);
    FakeTime now;
    auto never = [](auto&, std::uint32_t, auto) { ADD_FAILURE() << "no queue: no wait"; return true; };
    EXPECT_EQ(g.enter(never, now), Admission::Admitted);
    EXPECT_EQ(g.enter(never, now), Admission::Admitted);
    EXPECT_EQ(g.enter(never, now), Admission::QueueFull) << "queue depth 0 refuses at once";
    EXPECT_EQ(c.in_flight.load(), 2);
    EXPECT_EQ(c.queued.load(), 0);
    EXPECT_EQ(c.refused.load(), 1u);
    EXPECT_FALSE(g.release()) << "nobody waits: no wake";
    EXPECT_EQ(g.enter(never, now), Admission::Admitted) << "a released slot is free again";
}

TEST(AdmissionGate, QueueTimeoutOnTheClock) {
    AdmissionCounters c;
    const auto l = limits(1, 1, 3);
    AdmissionGate g(c, l);
    FakeTime now;
    auto none = [](auto&, std::uint32_t, auto) { return true; };
    ASSERT_EQ(g.enter(none, now), Admission::Admitted);
    int waits = 0;
    auto tick = [&](std::atomic<std::uint32_t>&, std::uint32_t, AdmissionGate::Clock::time_point until) {
        EXPECT_EQ(c.queued.load(), 1) << "counted as queued while waiting";
        EXPECT_EQ(until, AdmissionGate::Clock::time_point{} + 3s) << "deadline = start + queue timeout";
        ++waits;
        now.t += 500ms;
        return true;
    };
    EXPECT_EQ(g.enter(tick, now), Admission::QueueTimeout);
    EXPECT_EQ(waits, 6) << "waited until the deadline, not less, not more";
    EXPECT_EQ(c.queued.load(), 0) << "leaves the queue on timeout";
    EXPECT_EQ(c.in_flight.load(), 1);
}

TEST(AdmissionGate, QueueFullWhileSomeoneWaits) {
    AdmissionCounters c;
    const auto l = limits(1, 1, 3);
    AdmissionGate g(c, l);
    FakeTime now;
    auto none = [](auto&, std::uint32_t, auto) { return true; };
    ASSERT_EQ(g.enter(none, now), Admission::Admitted);
    // The waiter, in its wait, sees a newcomer refused for the full queue.
    AdmissionCounters* cc = &c;
    Admission inner = Admission::Admitted;
    bool once = false;
    auto waiting = [&](auto&, std::uint32_t, auto) {
        if (!once) {
            once = true;
            AdmissionGate other(*cc, l);
            inner = other.enter(none, now);
            EXPECT_TRUE(g.release()) << "a release while someone waits asks for a wake-up";
        }
        return true;
    };
    EXPECT_EQ(g.enter(waiting, now), Admission::Admitted) << "the waiter gets the released slot";
    EXPECT_EQ(inner, Admission::QueueFull);
    EXPECT_EQ(c.in_flight.load(), 1);
    EXPECT_EQ(c.queued.load(), 0);
}

TEST(AdmissionGate, NoBargingPastTheQueue) {
    AdmissionCounters c;
    const auto l = limits(1, 5, 3);
    AdmissionGate g(c, l);
    FakeTime now;
    c.queued = 1;  // someone waits (about to be woken)
    auto tick = [&](auto&, std::uint32_t, auto) { now.t += 4s; return true; };
    // A slot is free, but the newcomer queues behind the waiter; then takes
    // the slot itself on its first look since nobody else did.
    EXPECT_EQ(g.enter(tick, now), Admission::Admitted);
    EXPECT_EQ(c.queued.load(), 1) << "only its own queue entry was removed";
}

TEST(AdmissionGate, AbandonedLeavesTheQueue) {
    AdmissionCounters c;
    const auto l = limits(1, 4, 30);
    AdmissionGate g(c, l);
    FakeTime now;
    auto none = [](auto&, std::uint32_t, auto) { return true; };
    ASSERT_EQ(g.enter(none, now), Admission::Admitted);
    auto gone = [](auto&, std::uint32_t, auto) { return false; };
    EXPECT_EQ(g.enter(gone, now), Admission::Abandoned);
    EXPECT_EQ(c.queued.load(), 0);
    EXPECT_EQ(c.refused.load(), 0u) << "a client that left was not refused";
}

TEST(AdmissionGate, QueueTimeoutZeroMeansNoQueue) {
    AdmissionCounters c;
    const auto l = limits(1, 10, 0);
    AdmissionGate g(c, l);
    FakeTime now;
    auto none = [](auto&, std::uint32_t, auto) { return true; };
    ASSERT_EQ(g.enter(none, now), Admission::Admitted);
    EXPECT_EQ(g.enter(none, now), Admission::QueueFull);
    EXPECT_EQ(l.retry_after(), 1u);
}

TEST(AdmissionGate, AdmitAnywayGoesOverTheCapAndIsReleased) {
    AdmissionCounters c;
    const auto l = limits(1, 0, 5);
    AdmissionGate g(c, l);
    FakeTime now;
    auto none = [](auto&, std::uint32_t, auto) { return true; };
    ASSERT_EQ(g.enter(none, now), Admission::Admitted);
    g.admit_anyway();
    EXPECT_EQ(c.in_flight.load(), 2) << "counted over the cap";
    EXPECT_EQ(g.enter(none, now), Admission::QueueFull);
    g.release();
    EXPECT_EQ(g.enter(none, now), Admission::QueueFull) << "still at the cap after one release";
    g.release();
    EXPECT_EQ(g.enter(none, now), Admission::Admitted);
    g.release();
    EXPECT_EQ(c.in_flight.load(), 0);
}

// Real threads and a real clock: the cap holds under contention, everyone
// is served in turn, and the counters end at zero.
TEST(AdmissionGate, ThreadsNeverExceedTheCap) {
    AdmissionCounters c;
    const auto l = limits(3, 64, 20);
    std::atomic<int> inside{0}, worst{0}, served{0};
    auto wait = [](std::atomic<std::uint32_t>& word, std::uint32_t seen, AdmissionGate::Clock::time_point) {
        for (int i = 0; i < 200 && word.load() == seen; ++i) std::this_thread::sleep_for(50us);
        return true;
    };
    auto now = [] { return AdmissionGate::Clock::now(); };
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                AdmissionGate g(c, l);
                ASSERT_EQ(g.enter(wait, now), Admission::Admitted);
                const int n = ++inside;
                int w = worst.load();
                while (n > w && !worst.compare_exchange_weak(w, n)) {
                }
                std::this_thread::sleep_for(20us);
                --inside;
                ++served;
                g.release();
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(served.load(), 800);
    EXPECT_LE(worst.load(), 3);
    EXPECT_EQ(c.in_flight.load(), 0);
    EXPECT_EQ(c.queued.load(), 0);
    EXPECT_EQ(snapshot(c).admitted, 800u);
}

// ---------------------------------------------------------------- options

namespace {

std::optional<ConfigError> ext(std::vector<std::string_view> args, AppConfig& app) {
    return parse_external_server(std::span<const std::string_view>(args.data(), args.size()), app);
}

}  // namespace

TEST(AdmissionOptions, Defaults) {
    AppConfig app;
    ASSERT_FALSE(ext({"-socket", "a.sock"}, app));
    EXPECT_FALSE(app.admission.capped());
    EXPECT_EQ(app.admission.queue_depth, AdmissionLimits::kUnlimited);
    EXPECT_EQ(app.admission.queue_timeout, 10u);
    EXPECT_EQ(app.admission.retry_after(), 10u);
}

TEST(AdmissionOptions, External) {
    AppConfig app;
    ASSERT_FALSE(ext({"-socket", "a.sock", "-MAX-IN-FLIGHT", "8", "-queue-depth", "0", "-queue-timeout", "3"}, app));
    EXPECT_EQ(app.admission.max_in_flight, 8u);
    EXPECT_EQ(app.admission.queue_depth, 0u);
    EXPECT_EQ(app.admission.queue_timeout, 3u);
    AppConfig off;
    ASSERT_FALSE(ext({"-socket", "a.sock", "-max-in-flight", "0"}, off));
    EXPECT_FALSE(off.admission.capped()) << "0 is no cap";
}

TEST(AdmissionOptions, Static) {
    AppConfig app;
    std::vector<std::string_view> args{"-processes", "2", "-max-in-flight", "2", "-queue-timeout", "1"};
    ASSERT_FALSE(parse_static_server(std::span<const std::string_view>(args.data(), args.size()), app));
    EXPECT_EQ(app.admission.max_in_flight, 2u);
    EXPECT_EQ(app.admission.queue_timeout, 1u);
}

TEST(AdmissionOptions, Dynamic) {
    DynamicConfig dyn;
    std::vector<std::string_view> args{"-maxClassProcesses", "1", "-queue-timeout", "2", "-queue-depth", "5"};
    ASSERT_FALSE(parse_fastcgi_config(std::span<const std::string_view>(args.data(), args.size()), dyn));
    EXPECT_FALSE(dyn.admission.max_in_flight_set) << "FastCgiConfig's cap defaults to -maxClassProcesses";
    EXPECT_EQ(dyn.admission.queue_timeout, 2u);
    EXPECT_EQ(dyn.admission.queue_depth, 5u);
}

TEST(AdmissionOptions, Errors) {
    struct Case {
        std::vector<std::string_view> args;
        std::string option, text;
    };
    const std::vector<Case> cases = {
        {{"-socket", "a", "-max-in-flight"}, "-max-in-flight", "missing value"},
        {{"-socket", "a", "-max-in-flight", "-1"}, "-max-in-flight", "non-negative integer"},
        {{"-socket", "a", "-max-in-flight", "65536"}, "-max-in-flight", "between 0 and 65535"},
        {{"-socket", "a", "-max-in-flight", "2", "-queue-depth", "x"}, "-queue-depth", "non-negative integer"},
        {{"-socket", "a", "-max-in-flight", "2", "-queue-timeout", "3601"}, "-queue-timeout", "between 0 and 3600"},
        {{"-socket", "a", "-queue-depth", "4"}, "-queue-depth", "needs -max-in-flight"},
        {{"-socket", "a", "-queue-timeout", "4"}, "-queue-timeout", "needs -max-in-flight"},
        {{"-socket", "a", "-max-in-flight", "0", "-queue-timeout", "4"}, "-queue-timeout", "needs -max-in-flight"},
    };
    for (const Case& k : cases) {
        AppConfig app;
        const auto e = ext(k.args, app);
        ASSERT_TRUE(e) << k.text;
        EXPECT_EQ(e->option, k.option);
        EXPECT_NE(e->message.find(k.text), std::string::npos) << e->message;
    }
}
