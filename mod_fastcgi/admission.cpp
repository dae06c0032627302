// See admission.hpp.
#include "admission.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "futex.hpp"
#include "shared_segment.hpp"

namespace fastcgi::httpd {

namespace {

/// How long a queued request sleeps at most before it looks again (for a
/// free slot, its deadline, and whether its client is still there).
constexpr auto kWaitSlice = std::chrono::milliseconds(50);
/// Dynamic classes with their own counters; more share only the total.
constexpr std::size_t kClassSlots = 512;
constexpr std::size_t kClassNameSize = 256;
/// At most one warning per application and interval; the rest at debug.
constexpr apr_interval_time_t kWarnInterval = apr_time_from_sec(1);

struct ClassSlot {
    std::atomic<std::uint64_t> key{0};  ///< 0: free
    std::atomic<int> named{0};          ///< `name` is written
    char name[kClassNameSize] = {};
    AdmissionCounters counters;
};

struct Shared {
    AdmissionCounters dynamic_total;
    ClassSlot classes[kClassSlots];
    std::atomic<int> classes_full_warned{0};
    // followed by one AdmissionCounters per defined app
};

Shared* g_shared = nullptr;
AdmissionCounters* g_apps = nullptr;
std::size_t g_app_count = 0;

std::uint64_t class_key(const std::string& socket_path) noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : socket_path) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

/// The counters of a dynamic class, claimed on first use; nullptr when the
/// table is full.
AdmissionCounters* class_counters(const App& app) noexcept {
    const std::uint64_t key = class_key(app.socket_path);
    for (std::size_t i = 0; i < kClassSlots; ++i) {
        ClassSlot& slot = g_shared->classes[(key + i) % kClassSlots];
        std::uint64_t k = slot.key.load();
        if (k == 0 && slot.key.compare_exchange_strong(k, key)) {
            const std::string& name = app.config.filename;
            std::memcpy(slot.name, name.data(), std::min(name.size(), kClassNameSize - 1));
            slot.named = 1;
            return &slot.counters;
        }
        if (k == key) return &slot.counters;
    }
    return nullptr;
}

/// The client closed its connection: a queued request gives up its place.
/// A peek that finds data (a pipelined request, a body) proves nothing and
/// is left alone.
bool client_gone(request_rec* r) noexcept {
    if (r->connection->aborted) return true;
    apr_socket_t* sock = ap_get_conn_socket(r->connection);
    apr_os_sock_t fd = -1;
    if (!sock || apr_os_sock_get(&fd, sock) != APR_SUCCESS || fd < 0) return false;
    char b;
    return ::recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

std::string depth_text(unsigned depth) {
    return depth == AdmissionLimits::kUnlimited ? std::string("unlimited") : std::to_string(depth);
}

/// One line per refusal: at warn at most once per kWarnInterval per
/// application (with how many were refused since the previous warning),
/// the others at debug, so that an overload does not flood the log.
void log_refusal(request_rec* r, const App& app, AdmissionCounters& c, const AdmissionLimits& l, Admission why,
                 bool total) {
    const apr_time_t now = apr_time_now();
    std::int64_t last = c.last_warned.load();
    const bool warn = now - last >= kWarnInterval && c.last_warned.compare_exchange_strong(last, now);
    const std::uint64_t refused = c.refused.load();
    std::uint64_t since = 1;
    if (warn) since = refused - c.refused_at_warn.exchange(refused);
    const DynamicConfig& dyn = AppRegistry::current().dynamic;
    const std::string what =
        total ? "all dynamic applications together are at -maxProcesses " + std::to_string(dyn.max_processes)
        : app.config.kind == AppKind::Dynamic && !dyn.admission.max_in_flight_set
            ? "at -maxClassProcesses " + std::to_string(l.max_in_flight)
            : "at -max-in-flight " + std::to_string(l.max_in_flight);
    ap_log_rerror(APLOG_MARK, warn ? APLOG_WARNING : APLOG_DEBUG, 0, r,
                  "FastCGI: server \"%s\" overloaded, 503 with Retry-After: %u: %s (%s; %d in flight, %d queued, "
                  "-queue-depth %s, -queue-timeout %u s); %" APR_UINT64_T_FMT
                  " refused since the previous warning, this one included; likely fix: add processes, or raise "
                  "-max-in-flight if the application can serve more at once",
                  app.config.filename.c_str(), l.retry_after(), to_string(why), what.c_str(), c.in_flight.load(),
                  c.queued.load(), depth_text(l.queue_depth).c_str(), l.queue_timeout,
                  static_cast<apr_uint64_t>(since));
}

}  // namespace

AdmissionLimits dynamic_class_limits(const DynamicConfig& dyn) {
    AdmissionLimits l = dyn.admission;
    if (!l.max_in_flight_set) l.max_in_flight = dyn.max_class_processes;
    return l;
}

int create_admission(apr_pool_t* pconf, server_rec* s) {
    g_shared = nullptr;
    g_apps = nullptr;
    auto& apps = AppRegistry::current().apps();
    for (std::size_t i = 0; i < apps.size(); ++i) apps[i]->admission_slot = static_cast<int>(i);
    const apr_size_t size = sizeof(Shared) + sizeof(AdmissionCounters) * apps.size();
    void* base = create_shared_segment(pconf, s, size, "for -max-in-flight", []() noexcept {
        g_shared = nullptr;
        g_apps = nullptr;
        g_app_count = 0;
    });
    if (!base) return HTTP_INTERNAL_SERVER_ERROR;
    g_shared = new (base) Shared();
    static_assert(sizeof(Shared) % alignof(AdmissionCounters) == 0);
    g_apps = reinterpret_cast<AdmissionCounters*>(static_cast<char*>(base) + sizeof(Shared));
    for (std::size_t i = 0; i < apps.size(); ++i) new (&g_apps[i]) AdmissionCounters();
    g_app_count = apps.size();
    return OK;
}

Admission AdmissionTicket::enter(request_rec* r, const App& app) {
    if (!g_shared) return Admission::Admitted;
    const DynamicConfig& dyn = AppRegistry::current().dynamic;
    Held want;
    Held want_total;
    if (app.config.kind == AppKind::Dynamic) {
        want.counters = class_counters(app);
        want.limits = app.config.admission;
        if (!want.counters && !g_shared->classes_full_warned.exchange(1))
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "FastCGI: more than %zu dynamic applications: \"%s\" and later ones are capped only by "
                          "-maxProcesses",
                          kClassSlots, app.config.filename.c_str());
        // One request per instance (the default cap): all of them together
        // are bounded by the instances the PM may run (but see below).
        if (!dyn.admission.max_in_flight_set) {
            want_total.counters = &g_shared->dynamic_total;
            want_total.limits = dyn.admission;
            want_total.limits.max_in_flight = dyn.max_processes;
        }
    } else if (app.admission_slot >= 0 && static_cast<std::size_t>(app.admission_slot) < g_app_count) {
        want.counters = &g_apps[app.admission_slot];
        want.limits = app.config.admission;
    }

    using Clock = AdmissionGate::Clock;
    auto now = [] { return Clock::now(); };
    auto wait = [r](std::atomic<std::uint32_t>& word, std::uint32_t seen, Clock::time_point until) {
        const auto left = until - Clock::now();
        if (left > Clock::duration::zero())
            futex_wait(word, seen, std::min<std::chrono::nanoseconds>(left, kWaitSlice));
        return !client_gone(r);
    };
    const auto deadline = now() + std::chrono::seconds(want.limits.queue_timeout);

    for (Held* h : {&want, &want_total}) {
        if (!h->counters) continue;
        AdmissionGate gate(*h->counters, h->limits);
        // The only request of its dynamic app in flight passes the total:
        // the PM then hears of every app at once and gives each an instance
        // within -maxProcesses, as the original does. Holding it back while
        // another app's requests fill the total would let that app take
        // every instance and starve this one until the next kill pass.
        if (h == &want_total && app_.counters && app_.counters->in_flight.load() == 1) {
            gate.admit_anyway();
            total_ = *h;
            continue;
        }
        const Admission a = gate.enter(wait, now, deadline);
        if (a == Admission::Admitted) {
            (h == &want ? app_ : total_) = *h;
            continue;
        }
        release(app_);
        if (a != Admission::Abandoned) {
            apr_table_setn(r->err_headers_out, "Retry-After", apr_psprintf(r->pool, "%u", h->limits.retry_after()));
            log_refusal(r, app, *h->counters, h->limits, a, h == &want_total);
        }
        return a;
    }
    return Admission::Admitted;
}

void AdmissionTicket::release(Held& h) noexcept {
    if (!h.counters) return;
    AdmissionGate gate(*h.counters, h.limits);
    if (gate.release()) futex_wake_one(h.counters->wake);
    h.counters = nullptr;
}

AdmissionTicket::~AdmissionTicket() {
    release(total_);
    release(app_);
}

std::vector<AppLoad> admission_loads() {
    std::vector<AppLoad> out;
    if (!g_shared) return out;
    const auto& apps = AppRegistry::current().apps();
    for (const App* app : apps) {
        if (app->admission_slot < 0 || static_cast<std::size_t>(app->admission_slot) >= g_app_count) continue;
        out.push_back({app->config.filename, false, app->config.admission.max_in_flight,
                       snapshot(g_apps[app->admission_slot])});
    }
    const DynamicConfig& dyn = AppRegistry::current().dynamic;
    const unsigned class_cap = dynamic_class_limits(dyn).max_in_flight;
    for (const ClassSlot& slot : g_shared->classes) {
        if (!slot.named.load()) continue;
        out.push_back({std::string(slot.name, strnlen(slot.name, kClassNameSize)), true, class_cap,
                       snapshot(slot.counters)});
    }
    out.push_back({"(all dynamic applications)", true,
                   dyn.admission.max_in_flight_set ? AdmissionLimits::kUnlimited : dyn.max_processes,
                   snapshot(g_shared->dynamic_total)});
    return out;
}

}  // namespace fastcgi::httpd
