// Directive tokens -> AppConfig, for FastCgiExternalServer (and, as they are
// added, FastCgiServer and FastCgiConfig). Pure: no file-system access and no
// name resolution; the glue resolves paths and hosts and adds the directive
// name and file:line to every error.
//
// Rules kept from the original: option names are case-insensitive; each
// value is the next token. Deliberate fixes: negative numbers are refused
// (the original let them wrap), the bad value is the one quoted, and an
// empty -pass-header is refused.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fastcgi/app_config.hpp"

namespace fastcgi {

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// Parses an unsigned decimal in [min, max]; refuses signs, blanks and tails.
inline std::optional<ConfigError> parse_unsigned(std::string_view option, std::string_view v, unsigned min,
                                                 unsigned max, unsigned& out) {
    unsigned value = 0;
    const auto* end = v.data() + v.size();
    const auto r = std::from_chars(v.data(), end, value);
    if (v.empty() || r.ec == std::errc::invalid_argument || r.ptr != end)
        return ConfigError{std::string(option), "\"" + std::string(v) + "\" must be a non-negative integer"};
    if (r.ec == std::errc::result_out_of_range || value < min || value > max)
        return ConfigError{std::string(option), "\"" + std::string(v) + "\" must be between " +
                                                    std::to_string(min) + " and " + std::to_string(max)};
    out = value;
    return std::nullopt;
}

/// Splits "host:port", "[v6addr]:port" into host (brackets removed) and port.
inline std::optional<ConfigError> parse_host_port(std::string_view option, std::string_view v, std::string& host,
                                                  std::uint16_t& port) {
    std::string_view h, p;
    if (!v.empty() && v.front() == '[') {
        const auto close = v.find(']');
        if (close == std::string_view::npos || close == 1)
            return ConfigError{std::string(option), "invalid IPv6 address in \"" + std::string(v) + "\""};
        h = v.substr(1, close - 1);
        const auto rest = v.substr(close + 1);
        if (rest.empty() || rest.front() != ':' || rest.size() == 1)
            return ConfigError{std::string(option), "missing port specification in \"" + std::string(v) + "\""};
        p = rest.substr(1);
    } else {
        const auto colon = v.rfind(':');
        if (colon == std::string_view::npos || colon + 1 == v.size())
            return ConfigError{std::string(option), "missing port specification in \"" + std::string(v) + "\""};
        h = v.substr(0, colon);
        if (h.find(':') != std::string_view::npos)
            return ConfigError{std::string(option),
                               "an IPv6 address must be written in brackets: \"" + std::string(v) + "\""};
        p = v.substr(colon + 1);
    }
    if (h.empty()) return ConfigError{std::string(option), "missing host in \"" + std::string(v) + "\""};
    unsigned n = 0;
    if (auto e = parse_unsigned(option, p, 1, 65535, n)) {
        e->message = "port " + e->message;
        return e;
    }
    host = std::string(h);
    port = static_cast<std::uint16_t>(n);
    return std::nullopt;
}

/// Longest Unix socket path (sun_path holds 108 bytes with the NUL).
inline constexpr std::size_t kMaxSocketPath = 107;

/// Tokens after the filename of FastCgiExternalServer -> `app`.
inline std::optional<ConfigError> parse_external_server(std::span<const std::string_view> args, AppConfig& app) {
    app.kind = AppKind::External;
    auto value_of = [&](std::size_t& i, std::string_view opt, std::string_view& v) -> std::optional<ConfigError> {
        if (i + 1 >= args.size() || args[i + 1].empty())
            return ConfigError{std::string(opt), "missing value for " + std::string(opt)};
        v = args[++i];
        return std::nullopt;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view opt = args[i];
        std::string_view v;
        std::optional<ConfigError> err;
        if (iequals(opt, "-host")) {
            if (!(err = value_of(i, "-host", v))) err = parse_host_port("-host", v, app.host, app.port);
        } else if (iequals(opt, "-socket")) {
            if (!(err = value_of(i, "-socket", v))) {
                if (v.size() > kMaxSocketPath)
                    err = ConfigError{"-socket", "path \"" + std::string(v) + "\" is too long for a Unix socket"};
                else
                    app.socket_path = std::string(v);
            }
        } else if (iequals(opt, "-appConnTimeout")) {
            if (!(err = value_of(i, "-appConnTimeout", v)))
                err = parse_unsigned("-appConnTimeout", v, 0, 86400, app.app_conn_timeout);
        } else if (iequals(opt, "-idle-timeout")) {
            if (!(err = value_of(i, "-idle-timeout", v)))
                err = parse_unsigned("-idle-timeout", v, 1, 86400, app.idle_timeout);
        } else if (iequals(opt, "-flush")) {
            app.flush = true;
        } else if (iequals(opt, "-nph")) {
            app.nph = true;
        } else if (iequals(opt, "-pass-header")) {
            if (!(err = value_of(i, "-pass-header", v))) app.pass_headers.emplace_back(v);
        } else if (iequals(opt, "-user")) {
            if (!(err = value_of(i, "-user", v))) app.user = std::string(v);
        } else if (iequals(opt, "-group")) {
            if (!(err = value_of(i, "-group", v))) app.group = std::string(v);
        } else {
            err = ConfigError{std::string(opt), "invalid option: " + std::string(opt)};
        }
        if (err) return err;
    }
    if (app.host.empty() && app.socket_path.empty())
        return ConfigError{"", "-socket or -host option missing"};
    if (!app.host.empty() && !app.socket_path.empty())
        return ConfigError{"-host", "-host and -socket are mutually exclusive options"};
    return std::nullopt;
}

}  // namespace fastcgi
