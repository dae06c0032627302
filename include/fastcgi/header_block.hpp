// The CGI header block at the start of FCGI_STDOUT: finds its end across any
// split of the stream, enforces limits, rejects control characters inside
// lines, unfolds obs-fold continuation lines, and yields name/value pairs.
// The meaning of the headers (Status, Location, ...) is httpd glue
// (mod_fastcgi/response_headers.cpp); Status syntax is checked here.
//
// Lifetime: one parser per response; it copies header bytes (bounded by
// HeaderLimits) and keeps nothing after it is destroyed. Its memory comes
// from a std::pmr resource: the glue passes one over the request's pool, so
// that parsing allocates nothing on the heap.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/result.hpp"

namespace fastcgi {

struct HeaderLimits {
    std::size_t max_line = 64 * 1024;    ///< one header line, folding included
    std::size_t max_block = 128 * 1024;  ///< the whole block
    std::size_t max_count = 200;         ///< header lines
};

struct Header {
    std::pmr::string name;
    std::pmr::string value;
};
using HeaderList = std::pmr::vector<Header>;

class HeaderBlockParser {
public:
    explicit HeaderBlockParser(HeaderLimits limits = {},
                               std::pmr::memory_resource* memory = std::pmr::get_default_resource())
        : limits_(limits), line_(memory), headers_(memory) {}
    explicit HeaderBlockParser(std::pmr::memory_resource* memory) : HeaderBlockParser(HeaderLimits{}, memory) {}

    /// Consumes bytes of the block from `in`. Returns Errc::ok when the blank
    /// line ending the block was consumed (`consumed` bytes of `in` belong to
    /// the block, the rest is body), Errc::need_more when all of `in` was
    /// consumed without reaching the end, or an error. A line ends at LF; one
    /// CR right before the LF is dropped; any other CR, a NUL or another
    /// control character except HT is Errc::header_bad_char.
    Errc feed(std::string_view in, std::size_t& consumed) {
        consumed = 0;
        if (error_ != Errc::ok) return error_;
        if (done_) return Errc::ok;
        while (consumed < in.size()) {
            const std::size_t room = limits_.max_block - total_;
            const std::size_t lf = in.find('\n', consumed);
            const std::size_t end = lf == std::string_view::npos ? in.size() : lf;
            const std::size_t n = end - consumed;
            const std::size_t need = n + (lf == std::string_view::npos ? 0 : 1);  // the LF counts too
            if (need > room || line_.size() + n > limits_.max_line) return fail(Errc::header_too_large);
            line_.append(in.substr(consumed, n));
            total_ += n;
            consumed = end;
            if (lf == std::string_view::npos) return Errc::need_more;
            ++consumed;  // the LF
            ++total_;
            if (!line_.empty() && line_.back() == '\r') line_.pop_back();
            if (const Errc e = take_line(); e != Errc::ok) return fail(e);
            if (done_) return Errc::ok;
        }
        return Errc::need_more;
    }

    bool done() const noexcept { return done_; }
    std::size_t bytes_seen() const noexcept { return total_; }
    const HeaderList& headers() const noexcept { return headers_; }

private:
    static bool is_tchar(char c) noexcept {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
        return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    }
    static std::string_view trim(std::string_view s) noexcept {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    }

    Errc take_line() {
        std::pmr::string line(line_.get_allocator());
        line.swap(line_);
        if (line.empty()) {
            done_ = true;
            return Errc::ok;
        }
        for (const char c : line) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f) return Errc::header_bad_char;
        }
        if (line.front() == ' ' || line.front() == '\t') {  // obs-fold
            if (headers_.empty()) return Errc::header_malformed;
            const std::string_view more = trim(line);
            if (!more.empty()) {
                std::pmr::string& v = headers_.back().value;
                if (headers_.back().name.size() + 2 + v.size() + 1 + more.size() > limits_.max_line)
                    return Errc::header_too_large;
                if (!v.empty()) v.push_back(' ');
                v.append(more);
            }
            return Errc::ok;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0) return Errc::header_malformed;
        const std::string_view name(line.data(), colon);
        for (const char c : name)
            if (!is_tchar(c)) return Errc::header_malformed;
        if (headers_.size() >= limits_.max_count) return Errc::too_many_headers;
        const auto memory = headers_.get_allocator();
        headers_.push_back({std::pmr::string(name, memory),
                            std::pmr::string(trim(std::string_view(line).substr(colon + 1)), memory)});
        return Errc::ok;
    }
    Errc fail(Errc e) noexcept {
        error_ = e;
        return e;
    }

    HeaderLimits limits_;
    std::pmr::string line_;
    std::size_t total_ = 0;
    HeaderList headers_;
    bool done_ = false;
    Errc error_ = Errc::ok;
};

/// Parses a CGI `Status:` value: three digits in 100..599, then nothing or
/// whitespace and a reason phrase. Sets `code` and `reason` (may be empty).
inline Errc parse_status(std::string_view v, int& code, std::string_view& reason) noexcept {
    if (v.size() < 3) return Errc::bad_status;
    for (int i = 0; i < 3; ++i)
        if (v[i] < '0' || v[i] > '9') return Errc::bad_status;
    const int c = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
    if (c < 100 || c > 599) return Errc::bad_status;
    std::string_view rest = v.substr(3);
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return Errc::bad_status;
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    code = c;
    reason = rest;
    return Errc::ok;
}

}  // namespace fastcgi
