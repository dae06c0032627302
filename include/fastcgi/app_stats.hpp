// Per-application counters as they lie in shared memory, written by every
// httpd child (requests, errors, service times) and by the process manager
// (processes, restarts, spawn failures), and read by the status handler.
//
// Layout: a StatsTable header followed by `fixed` slots (one per
// FastCgiServer / FastCgiExternalServer, numbered in post_config) and
// `dynamic` slots claimed at run time by whoever first sees a dynamic app
// (a child's request or the PM), keyed by the app's socket address. Every
// field a request touches is a relaxed std::atomic: no lock anywhere.
// Claiming a dynamic slot is a compare-and-swap on its `claim` word; the
// fields that name the app are written before `claim` becomes Ready
// (release) and never change afterwards.
//
// The memory is provided by the caller (an anonymous apr_shm segment made
// in post_config by the glue; a plain buffer in the unit tests), must be
// zero-filled or freshly constructed with StatsTable::create(), and must
// hold StatsTable::bytes_for(fixed, dynamic) bytes. Pure C++: no APR.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fastcgi/app_config.hpp"

namespace fastcgi::stats {

/// Why an exchange with an application failed (the Failure causes of the
/// glue's outcome.hpp, as the status page names them).
enum class Cause : unsigned {
    Unreachable,        ///< connect refused, no listener, socket missing
    ConnectTimeout,     ///< -appConnTimeout expired
    IdleTimeout,        ///< -idle-timeout expired
    Protocol,           ///< malformed records, wrong id, bad END_REQUEST
    BadHeaders,         ///< invalid CGI header block
    IncompleteHeaders,  ///< the app ended before its headers did
    EarlyClose,         ///< the app closed before FCGI_END_REQUEST
    ClientBody,         ///< reading the client's request body failed
    ClientAborted,      ///< the client went away
    Overloaded,         ///< refused at the app's cap: queue full or queue timeout (503)
    Count
};
inline constexpr std::size_t kCauses = static_cast<std::size_t>(Cause::Count);

constexpr std::string_view cause_name(Cause c) noexcept {
    switch (c) {
    case Cause::Unreachable: return "unreachable";
    case Cause::ConnectTimeout: return "connect_timeout";
    case Cause::IdleTimeout: return "idle_timeout";
    case Cause::Protocol: return "protocol";
    case Cause::BadHeaders: return "bad_headers";
    case Cause::IncompleteHeaders: return "incomplete_headers";
    case Cause::EarlyClose: return "early_close";
    case Cause::ClientBody: return "client_body";
    case Cause::ClientAborted: return "client_aborted";
    case Cause::Overloaded: return "overloaded";
    case Cause::Count: break;
    }
    return "unknown";
}

/// A balancer member's state (today every app has one member: its address).
enum class MemberState : std::uint32_t { Up, Down, Disabled, Unknown };

constexpr std::string_view member_state_name(MemberState s) noexcept {
    switch (s) {
    case MemberState::Up: return "up";
    case MemberState::Down: return "down";
    case MemberState::Disabled: return "disabled";
    case MemberState::Unknown: return "unknown";
    }
    return "unknown";
}

constexpr std::string_view kind_name(AppKind k) noexcept {
    switch (k) {
    case AppKind::External: return "external";
    case AppKind::Static: return "static";
    case AppKind::Dynamic: return "dynamic";
    }
    return "unknown";
}

/// Upper bounds of the service-time buckets in microseconds; a last,
/// unbounded bucket (+Inf) follows.
inline constexpr std::array<std::uint64_t, 16> kBucketBoundsUs = {
    500,    1000,    2500,    5000,    10000,   25000,    50000,    100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000};
inline constexpr std::size_t kBuckets = kBucketBoundsUs.size() + 1;

/// A copy of a histogram: counts per bucket (not cumulative).
struct HistogramSnapshot {
    std::array<std::uint64_t, kBuckets> counts{};
    std::uint64_t sum_us = 0;

    std::uint64_t count() const noexcept {
        std::uint64_t n = 0;
        for (std::uint64_t c : counts) n += c;
        return n;
    }

    /// The q-quantile (0 < q < 1) in microseconds, interpolated linearly
    /// inside its bucket as Prometheus' histogram_quantile() does; a value
    /// in the +Inf bucket is reported as the last finite bound. 0 when empty.
    double quantile(double q) const noexcept {
        const std::uint64_t n = count();
        if (n == 0) return 0;
        const double rank = q * static_cast<double>(n);
        double below = 0;
        for (std::size_t i = 0; i < kBuckets; ++i) {
            const double here = static_cast<double>(counts[i]);
            if (below + here >= rank && here > 0) {
                if (i == kBuckets - 1) return static_cast<double>(kBucketBoundsUs.back());
                const double lo = i == 0 ? 0 : static_cast<double>(kBucketBoundsUs[i - 1]);
                const double hi = static_cast<double>(kBucketBoundsUs[i]);
                return lo + (hi - lo) * (rank - below) / here;
            }
            below += here;
        }
        return static_cast<double>(kBucketBoundsUs.back());
    }
};

/// Service times of one application: a bucket count and a sum, each a
/// relaxed atomic, so recording is two fetch_adds.
struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets> counts{};
    std::atomic<std::uint64_t> sum_us{0};

    static std::size_t bucket_of(std::uint64_t us) noexcept {
        const auto it = std::lower_bound(kBucketBoundsUs.begin(), kBucketBoundsUs.end(), us);
        return static_cast<std::size_t>(it - kBucketBoundsUs.begin());
    }
    void record(std::uint64_t us) noexcept {
        counts[bucket_of(us)].fetch_add(1, std::memory_order_relaxed);
        sum_us.fetch_add(us, std::memory_order_relaxed);
    }
    HistogramSnapshot snapshot() const noexcept {
        HistogramSnapshot s;
        for (std::size_t i = 0; i < kBuckets; ++i) s.counts[i] = counts[i].load(std::memory_order_relaxed);
        s.sum_us = sum_us.load(std::memory_order_relaxed);
        return s;
    }
};

inline constexpr std::size_t kNameMax = 512;     ///< filename, truncated beyond
inline constexpr std::size_t kAddressMax = 160;  ///< "unix:" + sun_path, or host:port
inline constexpr std::size_t kIdentityMax = 64;  ///< "user group" of a dynamic app
inline constexpr std::size_t kMaxMembers = 16;

/// How a dynamic app's suexec identity is shown: "user group", or empty
/// when it runs without one ("-" "-").
inline std::string identity_of(std::string_view user, std::string_view group) {
    if (user == "-" && group == "-") return {};
    return std::string(user) + " " + std::string(group);
}

/// Copies `s` into the fixed buffer `dst` (NUL-terminated, truncated).
template <std::size_t N>
void copy_text(char (&dst)[N], std::string_view s) noexcept {
    const std::size_t n = std::min(s.size(), N - 1);
    std::memcpy(dst, s.data(), n);
    dst[n] = '\0';
}

struct MemberSlot {
    char address[kAddressMax] = {};
    std::atomic<std::uint32_t> state{static_cast<std::uint32_t>(MemberState::Up)};
};

/// One application's counters.
struct AppSlot {
    enum : std::uint32_t { Free = 0, Claiming = 1, Ready = 2 };
    std::atomic<std::uint32_t> claim{Free};
    AppKind kind = AppKind::External;
    char name[kNameMax] = {};
    char address[kAddressMax] = {};
    char identity[kIdentityMax] = {};
    std::uint32_t member_count = 0;
    MemberSlot members[kMaxMembers];
    // Written by httpd children.
    std::atomic<std::uint64_t> served{0};     ///< exchanges that ended well
    std::atomic<std::int64_t> in_flight{0};   ///< exchanges running now
    std::atomic<std::int64_t> queued{0};      ///< waiting for a free process (issue 11's queue)
    std::array<std::atomic<std::uint64_t>, kCauses> errors{};
    Histogram service;
    // Written by the process manager.
    std::atomic<std::uint32_t> managed{0};    ///< 1 once the PM published its processes
    std::atomic<std::uint32_t> starting{0};   ///< scheduled or spawned, exec not yet confirmed
    std::atomic<std::uint32_t> running{0};    ///< processes up
    std::atomic<std::uint64_t> restarts{0};   ///< spawns of a slot that had run before
    std::atomic<std::uint64_t> spawn_failures{0};
    /// 1 while a rolling reload moves the app's requests off its old
    /// instances: httpd children then neither keep nor reuse connections
    /// to it, since a kept connection would hold an old instance.
    std::atomic<std::uint32_t> moving{0};

    /// Sets what names the app; before it is published (claim Ready).
    void describe(AppKind k, std::string_view filename, std::string_view where, std::string_view who) noexcept {
        kind = k;
        copy_text(name, filename);
        copy_text(address, where);
        copy_text(identity, who);
        member_count = 1;
        copy_text(members[0].address, where);
    }
    /// The addresses the app is served from (a balancer's members), each
    /// up; before it is published. More than kMaxMembers are not shown.
    void set_members(const std::vector<std::string>& addresses) noexcept {
        member_count = static_cast<std::uint32_t>(std::min(addresses.size(), kMaxMembers));
        for (std::uint32_t i = 0; i < member_count; ++i) {
            copy_text(members[i].address, addresses[i]);
            members[i].state.store(static_cast<std::uint32_t>(MemberState::Up), std::memory_order_relaxed);
        }
    }
};

/// A plain copy of one slot for rendering (status_render.hpp).
struct AppSnapshot {
    AppKind kind = AppKind::External;
    std::string name, address, identity;
    bool managed = false;  ///< processes known (static and dynamic apps)
    std::uint32_t starting = 0, idle = 0, busy = 0;
    std::uint64_t served = 0;
    std::int64_t in_flight = 0, queued = 0;
    std::array<std::uint64_t, kCauses> errors{};
    std::uint64_t restarts = 0, spawn_failures = 0;
    HistogramSnapshot service;
    struct Member {
        std::string address;
        MemberState state = MemberState::Up;
    };
    std::vector<Member> members;

    std::uint64_t error_total() const noexcept {
        std::uint64_t n = 0;
        for (std::uint64_t e : errors) n += e;
        return n;
    }
};

inline AppSnapshot snapshot_of(const AppSlot& s) {
    constexpr auto r = std::memory_order_relaxed;
    AppSnapshot a;
    a.kind = s.kind;
    a.name = s.name;
    a.address = s.address;
    a.identity = s.identity;
    a.managed = s.managed.load(r) != 0;
    a.served = s.served.load(r);
    a.in_flight = std::max<std::int64_t>(0, s.in_flight.load(r));
    a.queued = std::max<std::int64_t>(0, s.queued.load(r));
    for (std::size_t i = 0; i < kCauses; ++i) a.errors[i] = s.errors[i].load(r);
    a.restarts = s.restarts.load(r);
    a.spawn_failures = s.spawn_failures.load(r);
    a.service = s.service.snapshot();
    if (a.managed) {
        // The PM knows how many processes run, not which of them serve
        // a request: each exchange in flight holds one process (every
        // supported app serves one connection per process at a time).
        const std::uint32_t running = s.running.load(r);
        a.starting = s.starting.load(r);
        a.busy = static_cast<std::uint32_t>(std::min<std::int64_t>(a.in_flight, running));
        a.idle = running - a.busy;
    }
    for (std::uint32_t i = 0; i < std::min<std::uint32_t>(s.member_count, kMaxMembers); ++i)
        a.members.push_back({s.members[i].address, static_cast<MemberState>(s.members[i].state.load(r))});
    return a;
}

/// The header of the shared region and the access to its slots.
class StatsTable {
public:
    static constexpr std::uint32_t kMagic = 0x46435354;  // "FCST"

    static std::size_t bytes_for(std::size_t fixed, std::size_t dynamic) noexcept {
        return sizeof(StatsTable) + (fixed + dynamic) * sizeof(AppSlot);
    }
    /// Constructs a table in `mem` (bytes_for(fixed, dynamic) bytes,
    /// suitably aligned).
    static StatsTable* create(void* mem, std::size_t fixed, std::size_t dynamic) {
        auto* t = new (mem) StatsTable(fixed, dynamic);
        for (std::size_t i = 0; i < fixed + dynamic; ++i) new (&t->slots()[i]) AppSlot();
        return t;
    }

    std::size_t fixed_count() const noexcept { return fixed_; }
    std::size_t dynamic_count() const noexcept { return dynamic_; }
    std::size_t size() const noexcept { return fixed_ + dynamic_; }
    AppSlot& slot(std::size_t i) noexcept { return slots()[i]; }
    const AppSlot& slot(std::size_t i) const noexcept { return slots()[i]; }

    /// Fixed slot `i`, described and published (post_config, one thread);
    /// its members are `members`, or its one address `where` when empty.
    AppSlot* publish_fixed(std::size_t i, AppKind k, std::string_view filename, std::string_view where,
                           const std::vector<std::string>& members = {}) noexcept {
        if (i >= fixed_) return nullptr;
        AppSlot& s = slot(i);
        s.describe(k, filename, where, "");
        if (!members.empty()) s.set_members(members);
        s.claim.store(AppSlot::Ready, std::memory_order_release);
        return &s;
    }

    /// The dynamic slot whose address is `where`, claimed and described
    /// now if nobody has yet; nullptr when every dynamic slot is taken
    /// (the app is then not counted). Lock-free; any thread or process.
    AppSlot* dynamic_slot(std::string_view where, std::string_view filename, std::string_view who) noexcept {
        if (dynamic_ == 0) return nullptr;
        const std::size_t start = static_cast<std::size_t>(hash(where) % dynamic_);
        for (std::size_t k = 0; k < dynamic_; ++k) {
            AppSlot& s = slot(fixed_ + (start + k) % dynamic_);
            std::uint32_t c = s.claim.load(std::memory_order_acquire);
            if (c == AppSlot::Free &&
                s.claim.compare_exchange_strong(c, AppSlot::Claiming, std::memory_order_acq_rel)) {
                s.describe(AppKind::Dynamic, filename, where, who);
                s.claim.store(AppSlot::Ready, std::memory_order_release);
                return &s;
            }
            // Another process is writing this slot's names: a few stores.
            for (int spins = 0; c == AppSlot::Claiming && spins < 10000; ++spins) {
                std::this_thread::yield();
                c = s.claim.load(std::memory_order_acquire);
            }
            if (c == AppSlot::Ready && std::string_view(s.address) == where.substr(0, kAddressMax - 1)) return &s;
        }
        return nullptr;
    }

    /// Snapshots of every published slot: fixed ones in definition order,
    /// then dynamic ones by name.
    std::vector<AppSnapshot> snapshot() const {
        std::vector<AppSnapshot> out, dyn;
        for (std::size_t i = 0; i < size(); ++i) {
            const AppSlot& s = slot(i);
            if (s.claim.load(std::memory_order_acquire) != AppSlot::Ready) continue;
            (i < fixed_ ? out : dyn).push_back(snapshot_of(s));
        }
        std::sort(dyn.begin(), dyn.end(), [](const AppSnapshot& a, const AppSnapshot& b) {
            return a.name != b.name ? a.name < b.name : a.identity < b.identity;
        });
        out.insert(out.end(), dyn.begin(), dyn.end());
        return out;
    }

private:
    StatsTable(std::size_t fixed, std::size_t dynamic) noexcept : fixed_(fixed), dynamic_(dynamic) {}
    AppSlot* slots() noexcept { return reinterpret_cast<AppSlot*>(this + 1); }
    const AppSlot* slots() const noexcept { return reinterpret_cast<const AppSlot*>(this + 1); }
    static std::uint64_t hash(std::string_view s) noexcept {  // FNV-1a
        std::uint64_t h = 1469598103934665603ULL;
        for (unsigned char c : s.substr(0, kAddressMax - 1)) h = (h ^ c) * 1099511628211ULL;
        return h;
    }

    std::uint32_t magic_ = kMagic;
    std::uint32_t pad_ = 0;
    std::size_t fixed_, dynamic_;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared counters need lock-free atomics");
static_assert(sizeof(StatsTable) % alignof(AppSlot) == 0, "slots follow the header aligned");

}  // namespace fastcgi::stats
