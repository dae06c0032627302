// The pure checks on what an application hands back to httpd: the path of
// an `X-Sendfile` header against the allowed roots (-sendfile-root), and
// the URI of an `X-Accel-Redirect` header. Lexical only: the glue
// (mod_fastcgi/file_handoff.cpp) resolves symlinks with realpath() and asks
// real_path_allowed() about the result, then checks the file itself.
#pragma once

#include <string_view>
#include <vector>

#include "fastcgi/app_config.hpp"

namespace fastcgi {

enum class HandoffRefusal {
    None,
    NotAbsolute,   ///< X-Sendfile not starting with '/'; X-Accel-Redirect not "/..." (or "//...")
    DotSegment,    ///< a ".." segment (also "%2e%2e" in a URI)
    OutsideRoots,  ///< under none of the allowed roots
};

constexpr std::string_view to_string(HandoffRefusal r) noexcept {
    switch (r) {
    case HandoffRefusal::None: return "allowed";
    case HandoffRefusal::NotAbsolute: return "not an absolute path";
    case HandoffRefusal::DotSegment: return "contains a \"..\" segment";
    case HandoffRefusal::OutsideRoots: return "outside the allowed roots (-sendfile-root, FastCgiSendfileRoot)";
    }
    return "refused";
}

/// Whether `path` is `dir` itself or below it ("/srv/a" is not below "/srv/ab").
constexpr bool is_under(std::string_view path, std::string_view dir) noexcept {
    if (dir == "/") return !path.empty() && path.front() == '/';
    if (!path.starts_with(dir)) return false;
    return path.size() == dir.size() || path[dir.size()] == '/';
}

namespace detail {
constexpr bool is_dot_dot(std::string_view seg) noexcept {
    if (seg == "..") return true;
    // "%2e" (either case) stands for '.' once httpd decodes a URI
    auto dot = [&](std::size_t& i) {
        if (i < seg.size() && seg[i] == '.') return ++i, true;
        if (i + 2 < seg.size() && seg[i] == '%' && seg[i + 1] == '2' && (seg[i + 2] == 'e' || seg[i + 2] == 'E'))
            return i += 3, true;
        return false;
    };
    std::size_t i = 0;
    return dot(i) && dot(i) && i == seg.size();
}
}  // namespace detail

/// Whether any '/'-separated segment of `path` is "..".
constexpr bool has_dot_dot_segment(std::string_view path, bool percent_encoded = false) noexcept {
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view seg = path.substr(start, end - start);
        if (percent_encoded ? detail::is_dot_dot(seg) : seg == "..") return true;
        start = end + 1;
    }
    return false;
}

struct SendfileVerdict {
    HandoffRefusal refusal = HandoffRefusal::None;
    const SendfileRoot* root = nullptr;  ///< the root `path` is lexically under
};

/// The lexical check of an X-Sendfile value: absolute, no "..", below one of
/// `roots` as configured or as resolved (the first that matches).
inline SendfileVerdict check_sendfile_path(std::string_view path, const std::vector<SendfileRoot>& roots) noexcept {
    if (path.empty() || path.front() != '/') return {HandoffRefusal::NotAbsolute, nullptr};
    if (has_dot_dot_segment(path)) return {HandoffRefusal::DotSegment, nullptr};
    for (const SendfileRoot& root : roots)
        if (is_under(path, root.path) || (!root.real.empty() && is_under(path, root.real)))
            return {HandoffRefusal::None, &root};
    return {HandoffRefusal::OutsideRoots, nullptr};
}

/// After symlinks were resolved: `real` must be below the resolved form of
/// one of `roots`, unless the root the request named (`named`) lets its
/// symlinks lead anywhere.
inline bool real_path_allowed(std::string_view real, const std::vector<SendfileRoot>& roots,
                              const SendfileRoot* named) noexcept {
    for (const SendfileRoot& root : roots)
        if (is_under(real, root.real.empty() ? root.path : root.real)) return true;
    return named && named->follow_symlinks;
}

/// The check of an X-Accel-Redirect value: a local URI "/path[?query]"
/// (not "//host"), without ".." in its path, encoded or not.
constexpr HandoffRefusal check_accel_uri(std::string_view uri) noexcept {
    if (uri.empty() || uri.front() != '/' || uri.starts_with("//")) return HandoffRefusal::NotAbsolute;
    const std::string_view path = uri.substr(0, uri.find('?'));
    if (has_dot_dot_segment(path, true)) return HandoffRefusal::DotSegment;
    return HandoffRefusal::None;
}

}  // namespace fastcgi
