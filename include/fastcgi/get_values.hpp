// FCGI_GET_VALUES: what an application says it can serve at once. The
// module asks once per application (on a connection of its own: php-cgi and
// php-fpm close a connection after answering it) and bounds its reused
// connections by the answer.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "fastcgi/nvpair.hpp"
#include "fastcgi/protocol.hpp"
#include "fastcgi/record.hpp"

namespace fastcgi {

struct AppLimits {
    std::optional<unsigned> max_conns;  ///< FCGI_MAX_CONNS
    std::optional<unsigned> max_reqs;   ///< FCGI_MAX_REQS
    std::optional<bool> mpxs_conns;     ///< FCGI_MPXS_CONNS

    /// Connections the module may keep open at once: the smaller of
    /// MAX_CONNS and MAX_REQS (each connection carries one request at a
    /// time), or nothing when the application did not say.
    std::optional<unsigned> connections() const noexcept {
        if (max_conns && max_reqs) return *max_conns < *max_reqs ? *max_conns : *max_reqs;
        if (max_conns) return max_conns;
        return max_reqs;
    }
};

/// Appends an FCGI_GET_VALUES record asking for the three standard names.
inline void append_get_values(std::string& out) {
    std::string body;
    for (std::string_view name : {"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"})
        append_pair(body, name, {});
    append_record(out, RecordType::GetValues, kNullRequestId,
                  Bytes(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
}

/// Reads the content of an FCGI_GET_VALUES_RESULT record. Unknown names and
/// values that are not numbers are ignored (an application that answers
/// badly is treated as one that did not say); a malformed pair encoding is
/// an error.
inline Errc parse_get_values_result(Bytes content, AppLimits& out) {
    auto number = [](std::string_view v) -> std::optional<unsigned> {
        unsigned n = 0;
        const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
        if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) return std::nullopt;
        return n;
    };
    return for_each_pair(content, [&](std::string_view name, std::string_view value) {
        if (name == "FCGI_MAX_CONNS") {
            if (auto n = number(value); n && *n > 0) out.max_conns = n;
        } else if (name == "FCGI_MAX_REQS") {
            if (auto n = number(value); n && *n > 0) out.max_reqs = n;
        } else if (name == "FCGI_MPXS_CONNS") {
            if (auto n = number(value); n && *n <= 1) out.mpxs_conns = *n == 1;
        }
    });
}

}  // namespace fastcgi
