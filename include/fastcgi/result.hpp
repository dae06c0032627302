// Typed errors of the pure core. The core never logs and never throws: it
// returns an Errc, and the httpd glue turns it into one status and one log
// line (see mod_fastcgi/status_map.hpp).
#pragma once

#include <string_view>

namespace fastcgi {

enum class Errc {
    ok = 0,
    need_more,           ///< not an error: feed more bytes
    bad_version,         ///< record version is not 1
    unknown_type,        ///< record type outside 1..11
    bad_length,          ///< a discrete record with the wrong body size
    unexpected_request_id,
    truncated,           ///< input ended inside a record or a pair
    pair_overrun,        ///< a pair claims more bytes than the input holds
    pair_too_long,       ///< a pair length beyond 2^31-1 or a configured bound
    header_too_large,    ///< CGI header block or line over its limit
    too_many_headers,
    header_bad_char,     ///< CR, NUL or other control byte inside a header line
    header_malformed,    ///< no colon, empty or invalid name
    bad_status,          ///< Status is not 3 digits in 100..599
};

constexpr std::string_view to_string(Errc e) noexcept {
    switch (e) {
    case Errc::ok: return "ok";
    case Errc::need_more: return "need more input";
    case Errc::bad_version: return "invalid record version";
    case Errc::unknown_type: return "invalid record type";
    case Errc::bad_length: return "invalid record length";
    case Errc::unexpected_request_id: return "record for an unexpected request id";
    case Errc::truncated: return "truncated input";
    case Errc::pair_overrun: return "name-value pair overruns its record";
    case Errc::pair_too_long: return "name-value pair too long";
    case Errc::header_too_large: return "response header too large";
    case Errc::too_many_headers: return "too many response headers";
    case Errc::header_bad_char: return "invalid character in response header";
    case Errc::header_malformed: return "malformed response header";
    case Errc::bad_status: return "invalid Status header";
    }
    return "unknown error";
}

}  // namespace fastcgi
