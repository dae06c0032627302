// The decisions of balancing over the members (addresses) of one external
// application: which member a request tries next, how long a member that
// refused a connection is skipped, and when health probes turn a member
// down or up. Pure and clock-free: callers pass what they see (weights,
// requests in flight, who is skipped, the time) and keep the state;
// mod_fastcgi/balancer.cpp keeps it in shared memory for every httpd child,
// fcgi_pm/health_checker.cpp runs the probes in the process manager.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace fastcgi {

enum class BalanceMethod { RoundRobin, LeastBusy };

/// What a pick sees of one member.
struct MemberView {
    unsigned weight = 1;  ///< >= 1
    int in_flight = 0;    ///< requests on it now, across all httpd children
    bool usable = true;   ///< not marked down, and not already tried by this request
};

/// The member a request tries, or nothing when no member is usable.
///
/// Round robin: `ticket` (a counter shared by all children, one step per
/// pick) walks a cycle in which each usable member has `weight` places, so
/// over many requests member i gets weight_i / sum(weights) of them, and a
/// member that is skipped gives its share to all the others alike.
/// Least busy: fewest requests in flight per unit of weight, counting the
/// one about to be sent ((in_flight + 1) / weight), so that idle members
/// are filled heaviest first; ties rotate with `ticket`.
inline std::optional<std::size_t> choose_member(std::span<const MemberView> members, BalanceMethod method,
                                                std::uint64_t ticket) noexcept {
    const std::size_t n = members.size();
    if (method == BalanceMethod::LeastBusy) {
        std::optional<std::size_t> best;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = static_cast<std::size_t>((ticket + k) % (n ? n : 1));
            const MemberView& m = members[i];
            if (!m.usable) continue;
            if (!best) {
                best = i;
                continue;
            }
            const MemberView& b = members[*best];
            // (m.in_flight + 1) / m.weight < (b.in_flight + 1) / b.weight, without division
            const auto lhs = static_cast<std::int64_t>(m.in_flight + 1) * b.weight;
            const auto rhs = static_cast<std::int64_t>(b.in_flight + 1) * m.weight;
            if (lhs < rhs) best = i;
        }
        return best;
    }
    std::uint64_t total = 0;
    for (const MemberView& m : members)
        if (m.usable) total += m.weight;
    if (total == 0) return std::nullopt;
    std::uint64_t place = ticket % total;
    for (std::size_t i = 0; i < n; ++i) {
        if (!members[i].usable) continue;
        if (place < members[i].weight) return i;
        place -= members[i].weight;
    }
    return std::nullopt;  // not reached
}

/// How long a member is skipped after its `failures`-th connect failure in
/// a row: 1 s, 2 s, 4 s ... at most kMaxDownInterval. Short at first,
/// because one refused connect may be an application restarting.
inline constexpr std::chrono::seconds kMaxDownInterval{30};

inline constexpr std::chrono::seconds down_interval(unsigned failures) noexcept {
    if (failures <= 1) return std::chrono::seconds{1};
    if (failures > 6) return kMaxDownInterval;  // 2^5 = 32 > 30 already
    const std::chrono::seconds s{1LL << (failures - 1)};
    return s < kMaxDownInterval ? s : kMaxDownInterval;
}

/// What one health probe found.
///  Ok:      connected (and, for a GET_VALUES probe, got an answer);
///  Failed:  refused, no such socket, unreachable;
///  Silent:  a GET_VALUES probe connected but got no answer, or the app
///           closed (libfcgi never answers GET_VALUES, php-cgi closes after
///           it): the member accepts connections, whether it is well or
///           busy is not known;
///  Unknown: the connect timed out (a full listen queue does that too) or
///           the probe could not run: counts neither way.
enum class ProbeResult { Ok, Failed, Silent, Unknown };

/// Health as the probes see it. Unknown until a verdict; a member is
/// usable unless Down.
enum class Health : int { Unknown = 0, Up = 1, Down = 2 };

/// Hysteresis: `fall` failures in a row turn a member Down; `rise`
/// answers in a row make it Up. A busy member is not a dead one: Silent
/// and Unknown results never turn it down; `rise` Silent (or Ok) results
/// in a row take a Down member back to Unknown (usable again), so that an
/// app that never answers GET_VALUES is not kept out for ever.
struct HealthTracker {
    Health state = Health::Unknown;
    unsigned oks = 0;    ///< answers (Ok) in a row
    unsigned alive = 0;  ///< probes that connected (Ok or Silent) in a row
    unsigned fails = 0;  ///< failures in a row

    /// Records a probe; true when `state` changed.
    bool record(ProbeResult r, unsigned fall, unsigned rise) noexcept {
        const Health before = state;
        switch (r) {
        case ProbeResult::Ok:
            ++oks;
            ++alive;
            fails = 0;
            if (state != Health::Up && oks >= rise) state = Health::Up;
            break;
        case ProbeResult::Silent:
            oks = 0;
            ++alive;
            fails = 0;
            if (state == Health::Down && alive >= rise) state = Health::Unknown;
            break;
        case ProbeResult::Failed:
            ++fails;
            oks = alive = 0;
            if (state != Health::Down && fails >= fall) state = Health::Down;
            break;
        case ProbeResult::Unknown:
            break;
        }
        return state != before;
    }
};

/// Defaults of the health-check options (docs/directives/FastCgiExternalServer.md).
struct HealthDefaults {
    static constexpr unsigned interval = 5;        ///< seconds between probes of a member
    static constexpr unsigned timeout_ms = 1000;   ///< connect (and answer) timeout of a probe
    static constexpr unsigned fall = 3;            ///< failures in a row to go down
    static constexpr unsigned rise = 2;            ///< successes in a row to come back
};

}  // namespace fastcgi
