// app_stats.hpp: the service-time histogram (buckets, quantiles as
// Prometheus' histogram_quantile() computes them), the shared table's
// fixed and dynamic slots (one slot per address, also when many threads
// claim it at once, none when full), and what a snapshot derives (busy and
// idle processes from in-flight exchanges and running processes).
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/app_stats.hpp"

using namespace fastcgi;
using namespace fastcgi::stats;

namespace {

/// A table in ordinary memory, as the glue makes one in shared memory.
struct Table {
    Table(std::size_t fixed, std::size_t dynamic)
        : mem(static_cast<char*>(std::aligned_alloc(64, round(StatsTable::bytes_for(fixed, dynamic))))),
          table(StatsTable::create(mem.get(), fixed, dynamic)) {}
    static std::size_t round(std::size_t n) { return (n + 63) / 64 * 64; }
    struct Free {
        void operator()(char* p) const { std::free(p); }
    };
    std::unique_ptr<char, Free> mem;
    StatsTable* table;
};

TEST(Histogram, BucketsIncludeTheirUpperBound) {
    EXPECT_EQ(Histogram::bucket_of(0), 0u);
    EXPECT_EQ(Histogram::bucket_of(500), 0u);
    EXPECT_EQ(Histogram::bucket_of(501), 1u);
    EXPECT_EQ(Histogram::bucket_of(1000), 1u);
    EXPECT_EQ(Histogram::bucket_of(60000000), kBuckets - 2);
    EXPECT_EQ(Histogram::bucket_of(60000001), kBuckets - 1);  // +Inf
}

TEST(Histogram, QuantilesInterpolateInsideTheirBucket) {
    Histogram h;
    EXPECT_EQ(h.snapshot().quantile(0.5), 0.0);  // empty
    for (int i = 0; i < 50; ++i) h.record(700);    // (500, 1000]
    for (int i = 0; i < 50; ++i) h.record(3000);   // (2500, 5000]
    const HistogramSnapshot s = h.snapshot();
    EXPECT_EQ(s.count(), 100u);
    EXPECT_EQ(s.sum_us, 50u * 700 + 50u * 3000);
    EXPECT_DOUBLE_EQ(s.quantile(0.5), 1000.0);
    EXPECT_DOUBLE_EQ(s.quantile(0.25), 750.0);
    EXPECT_DOUBLE_EQ(s.quantile(0.99), 2500.0 + 2500.0 * 49 / 50);
}

TEST(Histogram, ValuesBeyondTheLastBoundReportTheLastBound) {
    Histogram h;
    h.record(120000000);
    EXPECT_DOUBLE_EQ(h.snapshot().quantile(0.99), 60000000.0);
}

TEST(StatsTable, FixedSlotsKeepTheirNumberAndNames) {
    Table t(2, 4);
    EXPECT_EQ(t.table->fixed_count(), 2u);
    ASSERT_NE(t.table->publish_fixed(1, AppKind::Static, "/srv/app", "unix:/run/s.sock"), nullptr);
    EXPECT_EQ(t.table->publish_fixed(2, AppKind::Static, "/x", "y"), nullptr);  // out of range
    const auto apps = t.table->snapshot();
    ASSERT_EQ(apps.size(), 1u);  // slot 0 was never published
    EXPECT_EQ(apps[0].name, "/srv/app");
    EXPECT_EQ(apps[0].kind, AppKind::Static);
    ASSERT_EQ(apps[0].members.size(), 1u);
    EXPECT_EQ(apps[0].members[0].address, "unix:/run/s.sock");
    EXPECT_EQ(apps[0].members[0].state, MemberState::Up);
}

TEST(StatsTable, MembersOfABalancedAppAndTheirStates) {
    Table t(1, 0);
    AppSlot* s = t.table->publish_fixed(0, AppKind::External, "/lb.fcgi", "10.0.0.1:9000",
                                        {"10.0.0.1:9000", "10.0.0.2:9000", "unix:/run/c.sock"});
    ASSERT_NE(s, nullptr);
    s->members[1].state = static_cast<std::uint32_t>(MemberState::Down);
    const AppSnapshot a = snapshot_of(*s);
    ASSERT_EQ(a.members.size(), 3u);
    EXPECT_EQ(a.members[0].state, MemberState::Up);
    EXPECT_EQ(a.members[1].address, "10.0.0.2:9000");
    EXPECT_EQ(a.members[1].state, MemberState::Down);
    EXPECT_EQ(a.members[2].address, "unix:/run/c.sock");
    std::vector<std::string> many(kMaxMembers + 3, "h:1");
    s->set_members(many);
    EXPECT_EQ(snapshot_of(*s).members.size(), kMaxMembers);
}

TEST(StatsTable, OneDynamicSlotPerAddressAndNoneWhenFull) {
    Table t(0, 2);
    AppSlot* a = t.table->dynamic_slot("unix:/d/1", "/a.fcgi", "");
    AppSlot* b = t.table->dynamic_slot("unix:/d/2", "/b.fcgi", "www 33");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(a, b);
    EXPECT_EQ(t.table->dynamic_slot("unix:/d/1", "/a.fcgi", ""), a);
    EXPECT_EQ(t.table->dynamic_slot("unix:/d/3", "/c.fcgi", ""), nullptr);
    EXPECT_EQ(t.table->dynamic_slot("unix:/d/2", "/b.fcgi", "www 33"), b);  // still found when full
    const auto apps = t.table->snapshot();
    ASSERT_EQ(apps.size(), 2u);
    EXPECT_EQ(apps[0].name, "/a.fcgi");  // dynamic ones by name
    EXPECT_EQ(apps[1].identity, "www 33");
}

TEST(StatsTable, ThreadsClaimingOneAddressShareOneSlot) {
    Table t(0, 64);
    constexpr int kThreads = 8, kEach = 5000;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&t] {
            for (int n = 0; n < kEach; ++n) {
                AppSlot* s = t.table->dynamic_slot("unix:/d/same", "/same.fcgi", "");
                ASSERT_NE(s, nullptr);
                s->served.fetch_add(1, std::memory_order_relaxed);
            }
        });
    for (auto& th : threads) th.join();
    const auto apps = t.table->snapshot();
    ASSERT_EQ(apps.size(), 1u);
    EXPECT_EQ(apps[0].served, static_cast<std::uint64_t>(kThreads) * kEach);
}

TEST(Snapshot, BusyProcessesAreTheExchangesInFlightAtMostTheRunningOnes) {
    Table t(1, 0);
    AppSlot* s = t.table->publish_fixed(0, AppKind::Static, "/app", "unix:/s");
    AppSnapshot a = snapshot_of(*s);
    EXPECT_FALSE(a.managed);  // the PM has not published yet
    EXPECT_EQ(a.busy + a.idle + a.starting, 0u);
    s->managed = 1;
    s->running = 3;
    s->starting = 1;
    s->in_flight = 2;
    a = snapshot_of(*s);
    EXPECT_EQ(a.busy, 2u);
    EXPECT_EQ(a.idle, 1u);
    EXPECT_EQ(a.starting, 1u);
    s->in_flight = 7;  // more waiting in the listen queue than processes
    a = snapshot_of(*s);
    EXPECT_EQ(a.busy, 3u);
    EXPECT_EQ(a.idle, 0u);
    EXPECT_EQ(a.in_flight, 7);
}

TEST(Snapshot, IdentityOfADynamicApp) {
    EXPECT_EQ(identity_of("-", "-"), "");
    EXPECT_EQ(identity_of("alice", "100"), "alice 100");
}

}  // namespace
