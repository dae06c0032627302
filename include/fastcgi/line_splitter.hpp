// Splits a byte stream (an app's FCGI_STDERR) into lines for the error log:
// a line ends at CR or LF, runs of them yield no empty lines, a NUL byte is
// shown as "\0" rather than cutting the line, and a line longer than
// max_line is emitted in pieces of max_line bytes.
#pragma once

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
            if (c == '\0')
                line_.append("\\0");
            else
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

}  // namespace fastcgi
