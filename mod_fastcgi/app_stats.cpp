// See app_stats.hpp.
#include "app_stats.hpp"

#include "shared_segment.hpp"

namespace fastcgi::httpd {

namespace {
// The parent's pointer is reset by the pconf cleanup; a child or the PM
// keeps the one it inherited (its mapping lives as long as it does).
stats::StatsTable* g_table = nullptr;
constexpr auto kRelaxed = std::memory_order_relaxed;

/// The addresses `app` is served from, in the order the balancer numbers
/// its members: a balanced app's members, or
/// the app's one address.
std::vector<std::string> members_of(const App& app) {
    if (app.members.empty()) return {app.where};
    std::vector<std::string> out;
    for (const App* m : app.members) out.push_back(m->where);
    return out;
}
}  // namespace

int AppStats::create(apr_pool_t* pconf, server_rec* s) {
    g_table = nullptr;
    std::vector<App*>& apps = AppRegistry::current().apps();
    const apr_size_t size = stats::StatsTable::bytes_for(apps.size(), kDynamicSlots);
    void* base = create_shared_segment(pconf, s, size, "for the status counters", []() noexcept { g_table = nullptr; });
    if (!base) return HTTP_INTERNAL_SERVER_ERROR;
    g_table = stats::StatsTable::create(base, apps.size(), kDynamicSlots);
    for (std::size_t i = 0; i < apps.size(); ++i) {
        App* app = apps[i];
        app->stats_slot = static_cast<int>(i);
        g_table->publish_fixed(i, app->config.kind, app->config.filename, app->where, members_of(*app));
    }
    return OK;
}

stats::StatsTable* AppStats::table() noexcept { return g_table; }

stats::AppSlot* AppStats::slot_of(const App& app) noexcept {
    if (!g_table) return nullptr;
    if (app.stats_slot >= 0) {
        const auto i = static_cast<std::size_t>(app.stats_slot);
        return i < g_table->fixed_count() ? &g_table->slot(i) : nullptr;
    }
    if (app.config.kind != AppKind::Dynamic) return nullptr;
    return g_table->dynamic_slot(app.where, app.config.filename, app.identity);
}

void AppStats::note_overloaded(const App& app) noexcept {
    if (stats::AppSlot* slot = slot_of(app))
        slot->errors[static_cast<std::size_t>(stats::Cause::Overloaded)].fetch_add(1, kRelaxed);
}

stats::Cause cause_of(Failure f) noexcept {
    using stats::Cause;
    switch (f) {
    case Failure::None:
    case Failure::ConnectFailed: return Cause::Unreachable;
    case Failure::ConnectTimeout: return Cause::ConnectTimeout;
    case Failure::IdleTimeout: return Cause::IdleTimeout;
    case Failure::ProtocolError: return Cause::Protocol;
    case Failure::BadHeaders: return Cause::BadHeaders;
    case Failure::IncompleteHeaders: return Cause::IncompleteHeaders;
    case Failure::AppClosedEarly:
    case Failure::StaleConnection: return Cause::EarlyClose;
    case Failure::ClientBodyError: return Cause::ClientBody;
    case Failure::ClientAborted: return Cause::ClientAborted;
    case Failure::Overloaded: return Cause::Overloaded;
    }
    return Cause::Protocol;
}

RequestStats::RequestStats(const App& app) noexcept : slot_(AppStats::slot_of(app)) {
    if (slot_) slot_->in_flight.fetch_add(1, kRelaxed);
}

RequestStats::~RequestStats() {
    if (slot_) slot_->in_flight.fetch_sub(1, kRelaxed);
}

void RequestStats::finish(const Outcome& outcome, apr_time_t connected_at) noexcept {
    if (!slot_) return;
    if (outcome.failure == Failure::None)
        slot_->served.fetch_add(1, kRelaxed);
    else
        slot_->errors[static_cast<std::size_t>(cause_of(outcome.failure))].fetch_add(1, kRelaxed);
    if (connected_at) {
        const apr_time_t took = apr_time_now() - connected_at;
        slot_->service.record(took > 0 ? static_cast<std::uint64_t>(took) : 0);
    }
    slot_->in_flight.fetch_sub(1, kRelaxed);
    slot_ = nullptr;
}

}  // namespace fastcgi::httpd
