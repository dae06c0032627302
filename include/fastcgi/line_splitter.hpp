// Splits a byte stream (an app's FCGI_STDERR) into lines for the error log:
// a line ends at CR or LF, runs of them yield no empty lines, other bytes
// (NUL included) are kept for the caller to escape, and a line longer than
// max_line is emitted in pieces of max_line bytes.
#pragma once

// See also escape_control() below, for writing such a line to a log.

#include <cstddef>
#include <string>
#include <string_view>

namespace fastcgi {

class LineSplitter {
public:
    explicit LineSplitter(std::size_t max_line = 8191) : max_line_(max_line) {}

    /// Calls `emit(std::string_view line)` for every complete line in `data`.
    template <class Emit>
    void feed(std::string_view data, Emit&& emit) {
        for (const char c : data) {
            if (c == '\n' || c == '\r') {
                if (!line_.empty()) emit(std::string_view(line_));
                line_.clear();
                continue;
            }
            line_.push_back(c);
            if (line_.size() >= max_line_) {
                emit(std::string_view(line_));
                line_.clear();
            }
        }
    }

    /// Emits a last line that had no terminator.
    template <class Emit>
    void finish(Emit&& emit) {
        if (!line_.empty()) emit(std::string_view(line_));
        line_.clear();
    }

private:
    std::size_t max_line_;
    std::string line_;
};

/// `line` with control bytes (NUL included) written as \xHH, so that an
/// application cannot forge log lines or terminal escapes.
inline std::string escape_control(std::string_view line) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(line.size());
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
    return out;
}

}  // namespace fastcgi
