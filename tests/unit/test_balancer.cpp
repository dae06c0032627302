// balancer_policy.hpp (choice of a member, back-off, health hysteresis),
// member_state.hpp (snapshot for the status page) and the balancer options
// of FastCgiExternalServer in app_options.hpp.
#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/app_options.hpp"
#include "fastcgi/balancer_policy.hpp"
#include "fastcgi/member_state.hpp"

using namespace fastcgi;

namespace {

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

std::optional<ConfigError> ext(std::vector<std::string_view> args, AppConfig& app) {
    return parse_external_server(std::span<const std::string_view>(args.data(), args.size()), app);
}

/// How often each member is chosen over `picks` consecutive tickets.
std::vector<int> spread(const std::vector<MemberView>& m, BalanceMethod method, int picks) {
    std::vector<int> n(m.size(), 0);
    for (int t = 0; t < picks; ++t) {
        const auto i = choose_member(m, method, static_cast<std::uint64_t>(t));
        if (i) ++n[*i];
    }
    return n;
}

// ---------------------------------------------------------------- choose_member

TEST(ChooseMember, RoundRobinTakesTurns) {
    const std::vector<MemberView> m(3);
    EXPECT_EQ(choose_member(m, BalanceMethod::RoundRobin, 0), 0u);
    EXPECT_EQ(choose_member(m, BalanceMethod::RoundRobin, 1), 1u);
    EXPECT_EQ(choose_member(m, BalanceMethod::RoundRobin, 2), 2u);
    EXPECT_EQ(choose_member(m, BalanceMethod::RoundRobin, 3), 0u);
    EXPECT_EQ(spread(m, BalanceMethod::RoundRobin, 300), (std::vector<int>{100, 100, 100}));
}

TEST(ChooseMember, RoundRobinFollowsWeights) {
    std::vector<MemberView> m(3);
    m[1].weight = 2;
    m[2].weight = 5;
    EXPECT_EQ(spread(m, BalanceMethod::RoundRobin, 800), (std::vector<int>{100, 200, 500}));
}

TEST(ChooseMember, RoundRobinSharesASkippedMembersTurnsAmongTheOthers) {
    std::vector<MemberView> m(3);
    m[1].usable = false;
    EXPECT_EQ(spread(m, BalanceMethod::RoundRobin, 300), (std::vector<int>{150, 0, 150}));
}

TEST(ChooseMember, NothingWhenNoneIsUsable) {
    std::vector<MemberView> m(2);
    m[0].usable = m[1].usable = false;
    EXPECT_FALSE(choose_member(m, BalanceMethod::RoundRobin, 7));
    EXPECT_FALSE(choose_member(m, BalanceMethod::LeastBusy, 7));
    EXPECT_FALSE(choose_member(std::span<const MemberView>{}, BalanceMethod::RoundRobin, 0));
    EXPECT_FALSE(choose_member(std::span<const MemberView>{}, BalanceMethod::LeastBusy, 0));
}

TEST(ChooseMember, LeastBusyTakesTheFewestInFlight) {
    std::vector<MemberView> m(3);
    m[0].in_flight = 4;
    m[1].in_flight = 1;
    m[2].in_flight = 3;
    for (std::uint64_t t = 0; t < 6; ++t) EXPECT_EQ(choose_member(m, BalanceMethod::LeastBusy, t), 1u);
    m[1].usable = false;
    EXPECT_EQ(choose_member(m, BalanceMethod::LeastBusy, 0), 2u);
}

TEST(ChooseMember, LeastBusyRotatesTies) {
    const std::vector<MemberView> m(3);
    EXPECT_EQ(spread(m, BalanceMethod::LeastBusy, 300), (std::vector<int>{100, 100, 100}));
}

TEST(ChooseMember, LeastBusyCountsPerWeight) {
    std::vector<MemberView> m(2);
    m[1].weight = 3;
    // Idle: the heavier one first.
    EXPECT_EQ(choose_member(m, BalanceMethod::LeastBusy, 0), 1u);
    EXPECT_EQ(choose_member(m, BalanceMethod::LeastBusy, 1), 1u);
    // 1 in flight on a, 2 on b (weight 3): (1+1)/1 = 2 > (2+1)/3 = 1: b.
    m[0].in_flight = 1;
    m[1].in_flight = 2;
    EXPECT_EQ(choose_member(m, BalanceMethod::LeastBusy, 0), 1u);
    // 6 on b: (6+1)/3 > (1+1)/1: a.
    m[1].in_flight = 6;
    EXPECT_EQ(choose_member(m, BalanceMethod::LeastBusy, 0), 0u);
}

TEST(ChooseMember, LeastBusyFillsInProportionToWeights) {
    // Simulate requests that never end: in-flight counts grow with picks.
    std::vector<MemberView> m(3);
    m[2].weight = 2;
    for (int t = 0; t < 400; ++t) {
        const auto i = choose_member(m, BalanceMethod::LeastBusy, static_cast<std::uint64_t>(t));
        ASSERT_TRUE(i);
        ++m[*i].in_flight;
    }
    EXPECT_EQ(m[0].in_flight, 100);
    EXPECT_EQ(m[1].in_flight, 100);
    EXPECT_EQ(m[2].in_flight, 200);
}

// ---------------------------------------------------------------- back-off

TEST(DownInterval, DoublesFromOneSecondUpToTheCap) {
    using std::chrono::seconds;
    EXPECT_EQ(down_interval(0), seconds{1});
    EXPECT_EQ(down_interval(1), seconds{1});
    EXPECT_EQ(down_interval(2), seconds{2});
    EXPECT_EQ(down_interval(3), seconds{4});
    EXPECT_EQ(down_interval(4), seconds{8});
    EXPECT_EQ(down_interval(5), seconds{16});
    EXPECT_EQ(down_interval(6), seconds{30});
    EXPECT_EQ(down_interval(7), seconds{30});
    EXPECT_EQ(down_interval(4000000000u), seconds{30});
}

// ---------------------------------------------------------------- health hysteresis

TEST(HealthTracker, FallFailuresInARowGoDown) {
    HealthTracker h;
    EXPECT_FALSE(h.record(ProbeResult::Failed, 3, 2));
    EXPECT_FALSE(h.record(ProbeResult::Failed, 3, 2));
    EXPECT_EQ(h.state, Health::Unknown);
    EXPECT_TRUE(h.record(ProbeResult::Failed, 3, 2));
    EXPECT_EQ(h.state, Health::Down);
    EXPECT_FALSE(h.record(ProbeResult::Failed, 3, 2)) << "one change, one log line";
}

TEST(HealthTracker, ASuccessBreaksARunOfFailures) {
    HealthTracker h;
    h.record(ProbeResult::Ok, 3, 1);
    ASSERT_EQ(h.state, Health::Up);
    h.record(ProbeResult::Failed, 3, 1);
    h.record(ProbeResult::Failed, 3, 1);
    h.record(ProbeResult::Ok, 3, 1);
    h.record(ProbeResult::Failed, 3, 1);
    h.record(ProbeResult::Failed, 3, 1);
    EXPECT_EQ(h.state, Health::Up);
}

TEST(HealthTracker, RiseSuccessesInARowComeBack) {
    HealthTracker h;
    for (int i = 0; i < 3; ++i) h.record(ProbeResult::Failed, 3, 2);
    ASSERT_EQ(h.state, Health::Down);
    EXPECT_FALSE(h.record(ProbeResult::Ok, 3, 2));
    EXPECT_FALSE(h.record(ProbeResult::Failed, 3, 2));
    EXPECT_FALSE(h.record(ProbeResult::Ok, 3, 2));
    EXPECT_EQ(h.state, Health::Down);
    EXPECT_TRUE(h.record(ProbeResult::Ok, 3, 2));
    EXPECT_EQ(h.state, Health::Up);
}

TEST(HealthTracker, UnknownCountsNeitherWay) {
    HealthTracker h;
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(h.record(ProbeResult::Unknown, 1, 1));
    EXPECT_EQ(h.state, Health::Unknown);
    // A timeout neither breaks a run of failures nor brings a member back.
    h.record(ProbeResult::Failed, 2, 2);
    h.record(ProbeResult::Unknown, 2, 2);
    EXPECT_TRUE(h.record(ProbeResult::Failed, 2, 2));
    for (int i = 0; i < 10; ++i) h.record(ProbeResult::Unknown, 2, 2);
    EXPECT_EQ(h.state, Health::Down);
}

TEST(HealthTracker, SilenceIsNeverDown) {
    // A busy libfcgi app never answers GET_VALUES: not dead, and not "up".
    HealthTracker h;
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(h.record(ProbeResult::Silent, 1, 1));
    EXPECT_EQ(h.state, Health::Unknown);
    h.record(ProbeResult::Ok, 3, 1);
    ASSERT_EQ(h.state, Health::Up);
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(h.record(ProbeResult::Silent, 1, 1));
    EXPECT_EQ(h.state, Health::Up) << "an Up member that goes silent (busy) stays up";
    // Silence breaks a run of failures.
    h.record(ProbeResult::Failed, 2, 2);
    h.record(ProbeResult::Silent, 2, 2);
    EXPECT_FALSE(h.record(ProbeResult::Failed, 2, 2));
    EXPECT_EQ(h.state, Health::Up);
}

TEST(HealthTracker, ASilentMemberThatWasDownIsTriedAgain) {
    HealthTracker h;
    h.record(ProbeResult::Failed, 1, 2);
    ASSERT_EQ(h.state, Health::Down);
    EXPECT_FALSE(h.record(ProbeResult::Silent, 1, 2));
    EXPECT_TRUE(h.record(ProbeResult::Silent, 1, 2));
    EXPECT_EQ(h.state, Health::Unknown) << "it accepts connections again: usable, with no verdict";
    // Answers in a row make it Up; a failure takes it down again.
    h.record(ProbeResult::Ok, 1, 2);
    EXPECT_TRUE(h.record(ProbeResult::Ok, 1, 2));
    EXPECT_EQ(h.state, Health::Up);
    EXPECT_TRUE(h.record(ProbeResult::Failed, 1, 2));
    EXPECT_EQ(h.state, Health::Down);
}

// ---------------------------------------------------------------- member state

TEST(MemberState, UsableUnlessDownByProbesOrBackOff) {
    MemberState s;
    EXPECT_TRUE(s.usable(1000));
    s.down_until = 2000;
    EXPECT_FALSE(s.usable(1000));
    EXPECT_TRUE(s.usable(2000));
    s.down_until = 0;
    s.health = static_cast<int>(Health::Down);
    EXPECT_FALSE(s.usable(1000));
    s.health = static_cast<int>(Health::Up);
    EXPECT_TRUE(s.usable(1000));
}

TEST(MemberState, SnapshotAndItsStateWord) {
    MemberState s;
    EXPECT_STREQ(snapshot(s).state(0), "up");
    s.checks_unknown = 2;
    EXPECT_STREQ(snapshot(s).state(0), "unknown") << "probed, no verdict yet";
    s.health = static_cast<int>(Health::Up);
    s.in_flight = 3;
    s.requests = 10;
    s.checks_ok = 4;
    MemberSnapshot m = snapshot(s);
    EXPECT_STREQ(m.state(0), "up");
    EXPECT_EQ(m.in_flight, 3);
    EXPECT_EQ(m.requests, 10u);
    EXPECT_EQ(m.checks_ok, 4u);
    EXPECT_EQ(m.checks_unknown, 2u);
    s.down_until = 500;
    s.failures = 2;
    m = snapshot(s);
    EXPECT_STREQ(m.state(100), "down");
    EXPECT_STREQ(m.state(500), "up");
    EXPECT_EQ(m.failures, 2u);
}

// ---------------------------------------------------------------- options

TEST(MemberOptions, OneAddressIsTheOriginalForm) {
    AppConfig app;
    ASSERT_FALSE(ext({"-host", "127.0.0.1:9000"}, app));
    EXPECT_FALSE(app.balanced());
    ASSERT_EQ(app.members.size(), 1u);
    EXPECT_EQ(app.host, "127.0.0.1");
    EXPECT_EQ(app.port, 9000);
    EXPECT_EQ(app.health.kind, HealthCheckConfig::Kind::None);
}

TEST(MemberOptions, SeveralHostsWithWeights) {
    AppConfig app;
    ASSERT_FALSE(ext({"-host", "10.0.0.1:9000", "-host", "[::1]:9001", "-weight", "3", "-host", "b.example:9002",
                      "-idle-timeout", "5"},
                     app));
    ASSERT_TRUE(app.balanced());
    ASSERT_EQ(app.members.size(), 3u);
    EXPECT_EQ(app.members[0].host, "10.0.0.1");
    EXPECT_EQ(app.members[0].weight, 1u);
    EXPECT_EQ(app.members[1].host, "::1");
    EXPECT_EQ(app.members[1].port, 9001);
    EXPECT_EQ(app.members[1].weight, 3u);
    EXPECT_EQ(app.members[2].host, "b.example");
    EXPECT_EQ(app.host, "10.0.0.1") << "the first member stands for the app where one address is shown";
    EXPECT_EQ(app.balance, BalanceMethod::RoundRobin);
    EXPECT_EQ(app.idle_timeout, 5u);
}

TEST(MemberOptions, SeveralSocketsAndMixedWithBalance) {
    AppConfig socks;
    ASSERT_FALSE(ext({"-socket", "a.sock", "-socket", "/run/b.sock"}, socks));
    ASSERT_EQ(socks.members.size(), 2u);
    EXPECT_EQ(socks.socket_path, "a.sock");
    EXPECT_EQ(socks.members[1].socket_path, "/run/b.sock");
    AppConfig mixed;
    ASSERT_FALSE(ext({"-host", "127.0.0.1:1", "-socket", "s", "-Balance", "LEAST-BUSY"}, mixed));
    EXPECT_EQ(mixed.balance, BalanceMethod::LeastBusy);
    EXPECT_EQ(mixed.members.size(), 2u);
    EXPECT_TRUE(mixed.uses_tcp()) << "the first member is TCP";
}

TEST(MemberOptions, HealthCheckOptionsAndDefaults) {
    AppConfig d;
    ASSERT_FALSE(ext({"-host", "h:1", "-host", "h:2", "-health-check", "connect"}, d));
    EXPECT_EQ(d.health.kind, HealthCheckConfig::Kind::Connect);
    EXPECT_EQ(d.health.interval, 5u);
    EXPECT_EQ(d.health.timeout_ms, 1000u);
    EXPECT_EQ(d.health.fall, 3u);
    EXPECT_EQ(d.health.rise, 2u);
    AppConfig app;
    ASSERT_FALSE(ext({"-host", "h:1", "-host", "h:2", "-health-check", "Get-Values", "-health-interval", "2",
                      "-health-timeout", "300", "-health-fall", "4", "-health-rise", "1"},
                     app));
    EXPECT_EQ(app.health.kind, HealthCheckConfig::Kind::GetValues);
    EXPECT_EQ(app.health.interval, 2u);
    EXPECT_EQ(app.health.timeout_ms, 300u);
    EXPECT_EQ(app.health.fall, 4u);
    EXPECT_EQ(app.health.rise, 1u);
}

struct ErrCase {
    std::vector<std::string_view> args;
    const char* option;
    const char* msg;
};

class MemberOptionErrors : public ::testing::TestWithParam<ErrCase> {};

TEST_P(MemberOptionErrors, Refused) {
    const ErrCase& c = GetParam();
    AppConfig app;
    const auto e = ext(c.args, app);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->option, c.option) << e->message;
    EXPECT_TRUE(contains(e->message, c.msg)) << e->message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MemberOptionErrors,
    ::testing::Values(
        ErrCase{{"-host", "h:1", "-socket", "s"}, "-host", "mutually exclusive"},
        ErrCase{{"-weight", "2", "-host", "h:1", "-host", "h:2"}, "-weight", "must follow"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-weight", "0"}, "-weight", "between 1 and 100"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-weight", "101"}, "-weight", "between 1 and 100"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-weight"}, "-weight", "missing value"},
        ErrCase{{"-host", "h:1", "-host", "h:1"}, "-host", "given twice"},
        ErrCase{{"-socket", "s", "-socket", "s"}, "-socket", "given twice"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-balance", "random"}, "-balance", "round-robin or least-busy"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-balance"}, "-balance", "missing value"},
        ErrCase{{"-host", "h:1", "-balance", "least-busy"}, "-balance", "more than one -host or -socket"},
        ErrCase{{"-host", "h:1", "-weight", "2"}, "-weight", "more than one -host or -socket"},
        ErrCase{{"-socket", "s", "-health-check", "connect"}, "-health-check", "more than one"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-health-check", "ping"}, "-health-check", "connect or get-values"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-health-interval", "0"}, "-health-interval", "between 1 and 3600"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-health-timeout", "5"}, "-health-timeout", "between 10 and 60000"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-health-fall", "0"}, "-health-fall", "between 1 and 100"},
        ErrCase{{"-host", "h:1", "-host", "h:2", "-health-rise", "x"}, "-health-rise", "\"x\""},
        ErrCase{{"-host", "h:1", "-host", "h"}, "-host", "missing port"}));

TEST(MemberOptions, AtMostMaxMembers) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i <= kMaxMembers; ++i) names.push_back("h:" + std::to_string(i + 1));
    std::vector<std::string_view> args;
    for (std::size_t i = 0; i < kMaxMembers; ++i) {
        args.push_back("-host");
        args.push_back(names[i]);
    }
    AppConfig ok;
    ASSERT_FALSE(ext(args, ok));
    EXPECT_EQ(ok.members.size(), kMaxMembers);
    args.push_back("-host");
    args.push_back(names[kMaxMembers]);
    AppConfig bad;
    const auto e = ext(args, bad);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->option, "-host");
    EXPECT_TRUE(contains(e->message, "more than 32")) << e->message;
}

}  // namespace
