// What happens to each line an application writes to FCGI_STDERR: the log
// level it is logged at (FastCgiStderrLevel: the first rule whose literal
// prefix or regular expression matches the line wins, else the default
// level), and the per-request cap (FastCgiStderrLimit) after which lines
// are only counted. Pure: the regular expressions themselves live in the
// glue (httpd's PCRE); a rule here only says that it is one, and the
// caller's matcher answers for it.
// Lifetime: rules are configuration (read-only once parsed); a StderrCap is
// per exchange, not shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace fastcgi {

/// httpd's level names, in httpd's numbering (APLOG_EMERG 0 .. APLOG_DEBUG 7).
inline constexpr std::array<std::string_view, 8> kLogLevelNames = {"emerg", "alert", "crit",   "error",
                                                                   "warn",  "notice", "info", "debug"};
inline constexpr int kDefaultStderrLevel = 3;  ///< error, as the original

/// "warn" -> 4; case-insensitive; nullopt for anything else.
inline std::optional<int> parse_log_level(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kLogLevelNames.size(); ++i) {
        const std::string_view n = kLogLevelNames[i];
        if (n.size() != name.size()) continue;
        bool same = true;
        for (std::size_t k = 0; k < n.size() && same; ++k) {
            char c = name[k];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            same = c == n[k];
        }
        if (same) return static_cast<int>(i);
    }
    return std::nullopt;
}

struct StderrRule {
    std::string_view pattern;  ///< the literal prefix (or the regex's source, for messages)
    bool is_regex = false;
    int level = kDefaultStderrLevel;
};

/// The level of `line`: the first rule that matches it, else `fallback`.
/// A literal rule matches a line that starts with its pattern (exact bytes);
/// a regex rule asks `regex_matches(index_in_rules, line)`.
template <class RegexMatch>
int stderr_level(std::span<const StderrRule> rules, std::string_view line, int fallback,
                 RegexMatch&& regex_matches) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const StderrRule& r = rules[i];
        const bool hit = r.is_regex ? regex_matches(i, line) : line.substr(0, r.pattern.size()) == r.pattern;
        if (hit) return r.level;
    }
    return fallback;
}

/// The per-request cap: lines are logged while the bytes of the lines
/// logged so far stay within `limit` (0: no cap); from the first line that
/// does not fit on, every line is suppressed and only counted, so the log
/// never shows a request's stderr with holes in it.
class StderrCap {
public:
    explicit StderrCap(std::uint64_t limit = 0) noexcept : limit_(limit) {}

    /// Whether a line (or piece of one) of `bytes` bytes is to be logged;
    /// counts it either way. `new_line`: false for the continuation of a
    /// long line split into pieces (counted as one line).
    bool admit(std::size_t bytes, bool new_line = true) noexcept {
        if (!capped_ && (limit_ == 0 || logged_bytes_ + bytes <= limit_)) {
            logged_bytes_ += bytes;
            return true;
        }
        capped_ = true;
        suppressed_bytes_ += bytes;
        if (new_line || suppressed_lines_ == 0) ++suppressed_lines_;
        return false;
    }

    bool capped() const noexcept { return capped_; }
    std::uint64_t limit() const noexcept { return limit_; }
    std::uint64_t logged_bytes() const noexcept { return logged_bytes_; }
    std::uint64_t suppressed_bytes() const noexcept { return suppressed_bytes_; }
    std::uint64_t suppressed_lines() const noexcept { return suppressed_lines_; }

private:
    std::uint64_t limit_;
    std::uint64_t logged_bytes_ = 0;
    std::uint64_t suppressed_bytes_ = 0;
    std::uint64_t suppressed_lines_ = 0;
    bool capped_ = false;
};

}  // namespace fastcgi
