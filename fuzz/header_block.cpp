// libFuzzer target for HeaderBlockParser and parse_status.
//
// Input: byte 0 -> max_line, byte 1 -> max_block, byte 2 -> max_count
// (0 = the default limit, else small limits so that the limits are hit),
// byte 3 -> a split point; the rest is the start of an FCGI_STDOUT stream.
// The block is parsed in one piece, byte by byte and split in two; all three
// must agree, and the limits and character rules must hold on the result.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/header_block.hpp"
#include "fuzz_common.hpp"

using namespace fastcgi;

namespace {

struct Result {
    Errc e = Errc::need_more;
    std::size_t consumed = 0;
    std::size_t seen = 0;
    HeaderList headers;
};

Result run(const std::vector<std::string_view>& chunks, const HeaderLimits& lim) {
    HeaderBlockParser p(lim);
    Result r;
    for (const auto c : chunks) {
        // Each chunk in its own exactly sized buffer.
        const auto copy = fuzzutil::exact_copy(reinterpret_cast<const std::uint8_t*>(c.data()), c.size());
        const std::string_view in(reinterpret_cast<const char*>(copy.data()), copy.size());
        std::size_t used = 0;
        r.e = p.feed(in, used);
        FUZZ_CHECK(used <= in.size());
        r.consumed += used;
        // Memory stays bounded by the limits whatever the outcome.
        FUZZ_CHECK(p.bytes_seen() <= lim.max_block);
        FUZZ_CHECK(p.headers().size() <= lim.max_count);
        if (r.e != Errc::need_more) break;
        FUZZ_CHECK(used == in.size());
    }
    r.seen = p.bytes_seen();
    r.headers = p.headers();
    FUZZ_CHECK(p.done() == (r.e == Errc::ok));
    return r;
}

bool is_tchar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool same(const Result& a, const Result& b) {
    if (a.e != b.e || a.headers.size() != b.headers.size()) return false;
    for (std::size_t i = 0; i < a.headers.size(); ++i)
        if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
    if (a.e == Errc::ok || a.e == Errc::need_more) return a.consumed == b.consumed && a.seen == b.seen;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    HeaderLimits lim;
    if (data[0]) lim.max_line = data[0];
    if (data[1]) lim.max_block = std::size_t{data[1]} * 4;
    if (data[2]) lim.max_count = data[2] % 32;
    const std::string_view in(reinterpret_cast<const char*>(data + 4), size - 4);
    const std::size_t cut = in.empty() ? 0 : data[3] % (in.size() + 1);

    const Result whole = run({in}, lim);
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < in.size(); ++i) bytes.push_back(in.substr(i, 1));
    const Result bytewise = run(bytes, lim);
    const Result split = run({in.substr(0, cut), in.substr(cut)}, lim);
    FUZZ_CHECK(same(whole, bytewise));
    FUZZ_CHECK(same(whole, split));

    FUZZ_CHECK(whole.e == Errc::ok || whole.e == Errc::need_more || whole.e == Errc::header_too_large ||
               whole.e == Errc::too_many_headers || whole.e == Errc::header_bad_char ||
               whole.e == Errc::header_malformed);
    if (whole.e == Errc::need_more) FUZZ_CHECK(whole.consumed == in.size() && whole.seen == in.size());
    if (whole.e == Errc::ok) {
        FUZZ_CHECK(whole.consumed == whole.seen);
        FUZZ_CHECK(whole.consumed >= 1 && in[whole.consumed - 1] == '\n');
        // The block ends with an empty line ("\n\n", "\n\r\n", or is just one).
        const std::string_view block = in.substr(0, whole.consumed);
        FUZZ_CHECK(block == "\n" || block == "\r\n" || block.ends_with("\n\n") || block.ends_with("\n\r\n"));
    }
    for (const auto& h : whole.headers) {
        FUZZ_CHECK(!h.name.empty());
        for (char c : h.name) FUZZ_CHECK(is_tchar(c));
        for (char c : h.value) {
            const auto u = static_cast<unsigned char>(c);
            FUZZ_CHECK((u >= 0x20 && u != 0x7f) || c == '\t');
        }
        if (!h.value.empty()) {
            FUZZ_CHECK(h.value.front() != ' ' && h.value.front() != '\t');
            FUZZ_CHECK(h.value.back() != ' ' && h.value.back() != '\t');
        }
        int code = 0;
        std::string_view reason;
        if (parse_status(h.value, code, reason) == Errc::ok) {
            FUZZ_CHECK(code >= 100 && code <= 599);
            FUZZ_CHECK(std::string_view(h.value).substr(0, 3) == std::to_string(code));
        }
    }
    return 0;
}
