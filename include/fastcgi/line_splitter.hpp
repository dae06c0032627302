// Splits a byte stream (an app's FCGI_STDERR) into lines for the error log:
// a line ends at CR or LF, runs of them yield no empty lines, other bytes
// (NUL included) are kept for the caller to escape. A line is reassembled
// across records (the splitter keeps the unfinished tail), and one that
// would not fit in a log line is emitted in pieces.
//
// Pieces are measured in log width, not in bytes: what a byte takes in
// httpd's error log once escape_control() and then httpd itself
// (ap_escape_errorlog_item) have escaped it. httpd cuts every log line at
// 8 KiB *including* its prefix, so a piece cut at 8191 app bytes lost its
// tail; a piece of at most `max_width` always fits whole.
// Lifetime: one per exchange; memory is bounded by max_width; not shared.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fastcgi {

/// The width of byte `c` in httpd's error log: a control byte is written
/// `\xHH` by escape_control() and httpd doubles that backslash (5); httpd
/// doubles a backslash (2) and writes a byte >= 0x80 as `\xHH` (4).
constexpr std::size_t log_width(unsigned char c) noexcept {
    if (c < 0x20 || c == 0x7f) return 5;
    if (c == '\\') return 2;
    if (c >= 0x80) return 4;
    return 1;
}

class LineSplitter {
public:
    /// `max_width` >= 5 (one byte of the widest kind always fits).
    explicit LineSplitter(std::size_t max_width = 8191) : max_width_(max_width < 5 ? 5 : max_width) {}

    void set_max_width(std::size_t w) noexcept { max_width_ = w < 5 ? 5 : w; }

    /// Calls `emit(std::string_view line)` for every complete line (or
    /// piece of a long one) in `data`; the view is valid during the call,
    /// and during it continues_line() says whether the piece is the
    /// continuation of a line whose first piece was emitted before.
    template <class Emit>
    void feed(std::string_view data, Emit&& emit) {
        for (const char c : data) {
            if (c == '\n' || c == '\r') {
                if (!line_.empty()) emit(std::string_view(line_));
                clear();
                continued_ = false;
                continue;
            }
            const std::size_t w = log_width(static_cast<unsigned char>(c));
            if (width_ + w > max_width_) {
                emit(std::string_view(line_));
                clear();
                continued_ = true;
            }
            line_.push_back(c);
            width_ += w;
        }
    }

    /// Emits a last line that had no terminator.
    template <class Emit>
    void finish(Emit&& emit) {
        if (!line_.empty()) emit(std::string_view(line_));
        clear();
        continued_ = false;
    }

    /// See feed().
    bool continues_line() const noexcept { return continued_; }

private:
    // clear() keeps the capacity: no allocation per line.
    void clear() noexcept {
        line_.clear();
        width_ = 0;
    }

    std::size_t max_width_;
    std::size_t width_ = 0;
    bool continued_ = false;
    std::string line_;
};

/// Appends `line` to `out` with control bytes (NUL included) written as
/// \xHH, so that an application cannot forge log lines or terminal
/// escapes. `out` keeps its capacity between calls: no allocation per line.
inline void escape_control_into(std::string_view line, std::string& out) {
    static const char hex[] = "0123456789abcdef";
    for (const char c : line) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            out += "\\x";
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 0xf]);
        } else {
            out.push_back(c);
        }
    }
}

/// escape_control_into() into a new string.
inline std::string escape_control(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    escape_control_into(line, out);
    return out;
}

}  // namespace fastcgi
