// See balancer.hpp.
#include "balancer.hpp"

#include <array>
#include <atomic>
#include <cstring>
#include <new>
#include <string>

#include "shared_segment.hpp"

#include "fastcgi/app_options.hpp"
#include "fastcgi/balancer_policy.hpp"

namespace fastcgi::httpd {

namespace {

/// The segment: the apps' round-robin counters, then the members' states.
std::atomic<std::uint64_t>* g_tickets = nullptr;
MemberState* g_members = nullptr;
int g_ticket_count = 0;
int g_member_count = 0;

std::string seconds_text(apr_interval_time_t t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(t) / APR_USEC_PER_SEC);
    return buf;
}

}  // namespace

int Balancer::create(apr_pool_t* pconf, server_rec* s) {
    g_tickets = nullptr;
    g_members = nullptr;
    g_ticket_count = g_member_count = 0;
    for (App* app : AppRegistry::current().apps()) {
        if (app->members.empty()) continue;
        app->balancer_slot = g_ticket_count++;
        for (App* m : app->members) m->member_slot = g_member_count++;
    }
    if (g_ticket_count == 0) return OK;
    static_assert(alignof(MemberState) <= sizeof(std::atomic<std::uint64_t>) * 2);
    // Counters first, rounded up so that the states are aligned.
    const apr_size_t tickets = (sizeof(std::atomic<std::uint64_t>) * g_ticket_count + 63) / 64 * 64;
    const apr_size_t size = tickets + sizeof(MemberState) * static_cast<apr_size_t>(g_member_count);
    auto* base = static_cast<char*>(create_shared_segment(pconf, s, size, "for balancing", []() noexcept {
        g_tickets = nullptr;
        g_members = nullptr;
    }));
    if (!base) return HTTP_INTERNAL_SERVER_ERROR;
    g_tickets = reinterpret_cast<std::atomic<std::uint64_t>*>(base);
    for (int i = 0; i < g_ticket_count; ++i) new (&g_tickets[i]) std::atomic<std::uint64_t>(0);
    g_members = reinterpret_cast<MemberState*>(base + tickets);
    for (int i = 0; i < g_member_count; ++i) new (&g_members[i]) MemberState();
    return OK;
}

MemberState* Balancer::state_of(const App& member) noexcept {
    if (!g_members || member.member_slot < 0 || member.member_slot >= g_member_count) return nullptr;
    return &g_members[member.member_slot];
}

const App* Balancer::pick(const App& app, std::uint64_t tried, std::size_t& index) noexcept {
    const std::size_t n = app.members.size();
    if (!g_tickets || app.balancer_slot < 0 || n == 0 || n > kMaxMembers) return nullptr;
    std::array<MemberView, kMaxMembers> views{};
    const apr_time_t now = apr_time_now();
    for (std::size_t i = 0; i < n; ++i) {
        const App& m = *app.members[i];
        const MemberState* st = state_of(m);
        views[i].weight = m.weight;
        views[i].in_flight = st ? st->in_flight.load(std::memory_order_relaxed) : 0;
        views[i].usable = !(tried & (std::uint64_t{1} << i)) && (!st || st->usable(now));
    }
    const std::uint64_t ticket = g_tickets[app.balancer_slot].fetch_add(1, std::memory_order_relaxed);
    const auto chosen = choose_member(std::span<const MemberView>(views.data(), n), app.config.balance, ticket);
    if (!chosen) return nullptr;
    index = *chosen;
    return app.members[*chosen];
}

void Balancer::connected(request_rec* r, const App& app, const App& member) noexcept {
    MemberState* st = state_of(member);
    if (!st || st->failures.load(std::memory_order_relaxed) == 0) return;
    const unsigned had = st->failures.exchange(0);
    if (had == 0) return;  // another child saw it first
    st->down_until = 0;
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  "FastCGI: server \"%s\": member %s is up again (connected after %u failed connect%s)",
                  app.config.filename.c_str(), member.where.c_str(), had, had == 1 ? "" : "s");
}

void Balancer::failed(request_rec* r, const App& app, const App& member, apr_status_t rv) noexcept {
    MemberState* st = state_of(member);
    if (!st) return;
    const apr_time_t now = apr_time_now();
    std::int64_t until = st->down_until.load();
    if (until > now) return;  // marked down already by another request
    const unsigned failures = st->failures.load() + 1;
    const apr_interval_time_t interval = apr_time_from_sec(down_interval(failures).count());
    // Only the request that moves down_until logs: one line per change
    // however many requests found the member gone at the same moment.
    if (!st->down_until.compare_exchange_strong(until, now + interval)) return;
    st->failures = failures;
    char buf[120];
    const char* why = APR_STATUS_IS_TIMEUP(rv) ? "connect() timed out" : apr_strerror(rv, buf, sizeof buf);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  "FastCGI: server \"%s\": member %s is down (%s; %u failed connect%s in a row), skipped for %s; "
                  "requests go to the other members",
                  app.config.filename.c_str(), member.where.c_str(), why, failures, failures == 1 ? "" : "s",
                  seconds_text(interval).c_str());
}

apr_interval_time_t Balancer::next_try_in(const App& app) noexcept {
    const apr_time_t now = apr_time_now();
    apr_interval_time_t soonest = -1;
    for (const App* m : app.members) {
        const MemberState* st = state_of(*m);
        if (!st) continue;
        const std::int64_t until = st->down_until.load();
        if (until > now && (soonest < 0 || until - now < soonest)) soonest = until - now;
    }
    return soonest;
}

std::vector<Balancer::MemberStatus> Balancer::status(const App& app) {
    std::vector<MemberStatus> out;
    const apr_time_t now = apr_time_now();
    for (const App* m : app.members) {
        const MemberState* st = state_of(*m);
        MemberStatus ms{m, st ? snapshot(*st) : MemberSnapshot{}, "up"};
        ms.word = ms.state.state(now);
        out.push_back(ms);
    }
    return out;
}

std::vector<pm::HealthTarget> Balancer::health_targets() {
    std::vector<pm::HealthTarget> out;
    for (const App* app : AppRegistry::current().apps()) {
        if (app->members.empty() || app->config.health.kind == HealthCheckConfig::Kind::None) continue;
        for (const App* m : app->members) {
            MemberState* st = state_of(*m);
            if (!st || !m->addr || static_cast<std::size_t>(m->addr->salen) > sizeof(sockaddr_storage)) continue;
            pm::HealthTarget t;
            t.app = app->config.filename;
            t.where = m->where;
            std::memcpy(&t.addr, &m->addr->sa, m->addr->salen);
            t.addr_len = static_cast<socklen_t>(m->addr->salen);
            t.check = app->config.health;
            t.state = st;
            out.push_back(std::move(t));
        }
    }
    return out;
}

void MemberLease::start(const App& member) noexcept {
    end();
    state_ = Balancer::state_of(member);
    if (!state_) return;
    ++state_->in_flight;
    ++state_->requests;
}

void MemberLease::end() noexcept {
    if (state_) --state_->in_flight;
    state_ = nullptr;
}

}  // namespace fastcgi::httpd
