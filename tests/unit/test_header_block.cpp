// header_block.hpp: HeaderBlockParser (line ends, folding, limits, bad
// characters, every split point) and parse_status.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/header_block.hpp"
#include "test_util.hpp"

using namespace fastcgi;
using fcgitest::Exact;

namespace {

using Hs = std::vector<std::pair<std::string, std::string>>;

struct Parsed {
    Errc e = Errc::need_more;
    std::size_t consumed = 0;  ///< bytes of the input that belong to the block
    std::size_t seen = 0;      ///< bytes_seen() at the end
    Hs headers;
    bool done = false;
};

// Feeds `chunks` in order, each from an exactly sized heap buffer.
Parsed feed_chunks(const std::vector<std::string>& chunks, HeaderLimits lim = {}) {
    HeaderBlockParser p(lim);
    Parsed r;
    for (const auto& c : chunks) {
        Exact buf(c);
        std::size_t used = 12345;
        r.e = p.feed(buf.view(), used);
        EXPECT_LE(used, c.size());
        r.consumed += used;
        if (r.e == Errc::need_more) {
            EXPECT_EQ(used, c.size()) << "need_more must consume everything";
            continue;
        }
        break;
    }
    r.seen = p.bytes_seen();
    r.done = p.done();
    for (const auto& h : p.headers()) r.headers.emplace_back(h.name, h.value);
    return r;
}

Parsed parse(const std::string& s, HeaderLimits lim = {}) { return feed_chunks({s}, lim); }

Parsed parse_bytewise(const std::string& s, HeaderLimits lim = {}) {
    std::vector<std::string> chunks;
    for (char c : s) chunks.emplace_back(1, c);
    return feed_chunks(chunks, lim);
}

// One-shot, byte by byte and every two-way split give the same result.
void expect_split_invariant(const std::string& s, HeaderLimits lim = {}) {
    const Parsed ref = parse(s, lim);
    const auto same = [&](const Parsed& r, const std::string& what) {
        EXPECT_EQ(r.e, ref.e) << what;
        EXPECT_EQ(r.headers, ref.headers) << what;
        EXPECT_EQ(r.done, ref.done) << what;
        if (ref.e == Errc::ok || ref.e == Errc::need_more) {
            EXPECT_EQ(r.consumed, ref.consumed) << what;
            EXPECT_EQ(r.seen, ref.seen) << what;
        }
    };
    same(parse_bytewise(s, lim), "byte by byte");
    for (std::size_t i = 0; i <= s.size(); ++i) {
        same(feed_chunks({s.substr(0, i), s.substr(i)}, lim), "split at " + std::to_string(i));
        if (::testing::Test::HasFailure()) return;
    }
}

TEST(HeaderBlock, LfOnly) {
    const std::string block = "Status: 200 OK\nContent-Type: text/html\n\n";
    const auto r = parse(block + "<html>");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.consumed, block.size()) << "body bytes must not be consumed";
    EXPECT_EQ(r.seen, block.size());
    EXPECT_EQ(r.headers, (Hs{{"Status", "200 OK"}, {"Content-Type", "text/html"}}));
}

TEST(HeaderBlock, CrLf) {
    const std::string block = "Status: 404 Not Found\r\nX-A: 1\r\n\r\n";
    const auto r = parse(block + "\r\nbody\n\n");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.consumed, block.size());
    EXPECT_EQ(r.seen, block.size());
    EXPECT_EQ(r.headers, (Hs{{"Status", "404 Not Found"}, {"X-A", "1"}}));
}

TEST(HeaderBlock, MixedLineEnds) {
    const std::string block = "A: 1\r\nB: 2\nC: 3\r\n\n";
    const auto r = parse(block + "BODY");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.consumed, block.size());
    EXPECT_EQ(r.headers, (Hs{{"A", "1"}, {"B", "2"}, {"C", "3"}}));
    const std::string block2 = "A: 1\n\r\n";
    const auto r2 = parse(block2 + "x");
    ASSERT_EQ(r2.e, Errc::ok);
    EXPECT_EQ(r2.consumed, block2.size());
}

TEST(HeaderBlock, EmptyBlock) {
    for (const std::string b : {"\n", "\r\n"}) {
        const auto r = parse(b + "body: not a header\n\n");
        ASSERT_EQ(r.e, Errc::ok);
        EXPECT_EQ(r.consumed, b.size());
        EXPECT_TRUE(r.headers.empty());
    }
}

TEST(HeaderBlock, NeedMoreUntilBlankLine) {
    const auto r = parse("A: 1\r\nB: 2\r\n");
    EXPECT_EQ(r.e, Errc::need_more);
    EXPECT_FALSE(r.done);
    EXPECT_EQ(r.consumed, 12u);
    EXPECT_EQ(r.seen, 12u);
    EXPECT_EQ(r.headers, (Hs{{"A", "1"}, {"B", "2"}}));
    const auto r2 = parse("");
    EXPECT_EQ(r2.e, Errc::need_more);
    EXPECT_EQ(r2.seen, 0u);
}

TEST(HeaderBlock, BytesSeenCountsAcrossFeeds) {
    HeaderBlockParser p;
    std::size_t used = 0;
    EXPECT_EQ(p.feed("Content-Ty", used), Errc::need_more);
    EXPECT_EQ(p.bytes_seen(), 10u);
    EXPECT_EQ(p.feed("pe: a\r\n", used), Errc::need_more);
    EXPECT_EQ(p.bytes_seen(), 17u);
    EXPECT_EQ(p.feed("\r\nbody", used), Errc::ok);
    EXPECT_EQ(used, 2u);
    EXPECT_EQ(p.bytes_seen(), 19u);
    // After the end, nothing more is consumed.
    EXPECT_EQ(p.feed("X: y\n\n", used), Errc::ok);
    EXPECT_EQ(used, 0u);
    EXPECT_EQ(p.bytes_seen(), 19u);
    ASSERT_EQ(p.headers().size(), 1u);
    EXPECT_EQ(p.headers()[0].name, "Content-Type");
    EXPECT_EQ(p.headers()[0].value, "a");
}

TEST(HeaderBlock, ValueTrimmingAndEmptyValue) {
    const auto r = parse("A:x\nB:   spaced out \t \nC:\nD: \t\nE:\ta:b:c\n\n");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.headers, (Hs{{"A", "x"}, {"B", "spaced out"}, {"C", ""}, {"D", ""}, {"E", "a:b:c"}}));
}

TEST(HeaderBlock, TokenCharsInNamesAndObsTextInValues) {
    const auto r = parse("X-My_Header.1!#$%&'*+^`|~: v\nLocation: /caf\xC3\xA9\tx\n\n");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.headers, (Hs{{"X-My_Header.1!#$%&'*+^`|~", "v"}, {"Location", "/caf\xC3\xA9\tx"}}));
}

TEST(HeaderBlock, Folding) {
    auto r = parse("X-Fold: a\r\n b\r\n\r\n");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.headers, (Hs{{"X-Fold", "a b"}}));
    r = parse("X-Fold: a\n\t  b  \n \t c\nNext: n\n\n");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.headers, (Hs{{"X-Fold", "a b c"}, {"Next", "n"}}));
    r = parse("X-Empty:\n more\n\n");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.headers, (Hs{{"X-Empty", "more"}}));
    r = parse("X-Blank: v\n   \n\n");  // a fold of only blanks adds nothing
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.headers, (Hs{{"X-Blank", "v"}}));
}

TEST(HeaderBlock, LeadingFoldIsMalformed) {
    EXPECT_EQ(parse(" b\n\n").e, Errc::header_malformed);
    EXPECT_EQ(parse("\tX: b\n\n").e, Errc::header_malformed);
}

TEST(HeaderBlock, RepeatedHeadersKeptInOrder) {
    const auto r = parse("Set-Cookie: a=1\r\nX: y\r\nSet-Cookie: b=2\r\n\r\n");
    ASSERT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.headers, (Hs{{"Set-Cookie", "a=1"}, {"X", "y"}, {"Set-Cookie", "b=2"}}));
}

TEST(HeaderBlock, BadCharacters) {
    const std::string cases[] = {
        "X: a\rb\r\n\r\n",          // CR inside a line
        "A: b\rC: d\n\n",           // bare CR used as a line end
        "A: b\r\r\n\r\n",           // only one CR before LF is dropped
        std::string("X: a\0b\n\n", 8),  // NUL
        "X: a\x7f\n\n",             // DEL
        "X: a\x01\n\n",
        "X: \x1b[31m\n\n",          // ESC
        "X: a\x0b\n\n",             // VT
        "X: a\x0c\n\n",             // FF
        "X\x01: a\n\n",             // in the name
        "X: a\n \x02\n\n",          // in a fold
        "\r\r\n",                   // a "blank" line with a stray CR
    };
    for (const auto& c : cases) {
        const auto r = parse(c);
        EXPECT_EQ(r.e, Errc::header_bad_char) << fcgitest::hex(c);
        EXPECT_FALSE(r.done);
    }
}

TEST(HeaderBlock, Malformed) {
    const std::string cases[] = {
        "NoColon\n\n",
        ": empty name\n\n",
        "Bad Name: x\n\n",
        "Name : x\n\n",        // blank before the colon
        "Na\"me: x\n\n",       // not a token char
        "N(a): x\n\n",
        "A: ok\nB\n\n",
    };
    for (const auto& c : cases) EXPECT_EQ(parse(c).e, Errc::header_malformed) << c;
}

TEST(HeaderBlock, ErrorIsSticky) {
    HeaderBlockParser p;
    std::size_t used = 0;
    EXPECT_EQ(p.feed("Bad Name: x\n", used), Errc::header_malformed);
    used = 99;
    EXPECT_EQ(p.feed("Good: y\n\n", used), Errc::header_malformed);
    EXPECT_EQ(used, 0u);
    EXPECT_FALSE(p.done());
}

TEST(HeaderBlock, SixteenKiBValue) {
    const std::string v(16 * 1024, 'v');
    const auto r = parse("X-Big: " + v + "\r\n\r\n");
    ASSERT_EQ(r.e, Errc::ok);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].second, v);
}

TEST(HeaderBlock, DefaultLimits) {
    const HeaderLimits d;
    EXPECT_EQ(d.max_line, 64u * 1024);
    EXPECT_EQ(d.max_block, 128u * 1024);
    EXPECT_EQ(d.max_count, 200u);
}

TEST(HeaderBlock, LineOverMaxLine) {
    HeaderLimits lim;
    lim.max_line = 32;
    const std::string ok_line = "X: " + std::string(29, 'a');  // 32 bytes
    auto r = parse(ok_line + "\n\n", lim);
    EXPECT_EQ(r.e, Errc::ok);
    r = parse(ok_line + "a\n\n", lim);
    EXPECT_EQ(r.e, Errc::header_too_large);
    // Detected before the line ends, whatever the split: memory stays bounded.
    r = parse_bytewise(ok_line + "a", lim);
    EXPECT_EQ(r.e, Errc::header_too_large);
    EXPECT_LE(r.seen, 33u);
    // Default limit: 64 KiB line.
    r = parse("X: " + std::string(64 * 1024, 'a') + "\n\n");
    EXPECT_EQ(r.e, Errc::header_too_large);
}

// HeaderLimits::max_line covers a header line with its folded continuations.
TEST(HeaderBlock, FoldedLineOverMaxLine) {
    HeaderLimits lim;
    lim.max_line = 32;
    const auto r = parse("X: " + std::string(20, 'a') + "\n " + std::string(20, 'b') + "\n\n", lim);
    EXPECT_EQ(r.e, Errc::header_too_large);
}

TEST(HeaderBlock, BlockOverMaxBlockIsRefused) {
    HeaderLimits lim;
    lim.max_block = 16;
    const std::string exact = "A: 1\nB: 2\nC: 3\n\n";  // 16 bytes
    ASSERT_EQ(exact.size(), 16u);
    auto r = parse(exact + "body", lim);
    EXPECT_EQ(r.e, Errc::ok);
    EXPECT_EQ(r.consumed, 16u);

    // One byte more than max_block, in every position.
    for (const std::string over : {"A: 1\nB: 2\nC: 33\n\n", "A: 1\nB: 2\nCC: 3\n\n", "AA: 1\nB: 2\nC: 3\n\n",
                                   "A: 1\nB: 2\nC: 3\r\n\n", "A: 1\nB: 2\nC: 3\n\r\n"}) {
        ASSERT_EQ(over.size(), 17u);
        r = parse(over + "body", lim);
        EXPECT_EQ(r.e, Errc::header_too_large) << "17-byte block accepted with max_block 16: " << over;
    }
}

TEST(HeaderBlock, BlockLimitHoldsAfterALineEndingExactlyAtTheLimit) {
    // A first line that fills max_block exactly; its LF goes past the limit.
    // Nothing after it may be accepted, however long.
    HeaderLimits lim;
    lim.max_block = 16;
    const std::string first = "X-Aaaa: 01234567";  // 16 bytes without LF
    ASSERT_EQ(first.size(), 16u);
    const std::string in = first + "\nX-B: " + std::string(1000, 'z') + "\n\nbody";
    const auto r = parse(in, lim);
    EXPECT_EQ(r.e, Errc::header_too_large);
    EXPECT_LE(r.seen, lim.max_block + 1) << "bytes_seen " << r.seen << " with max_block " << lim.max_block;
    // Same with the default limits: a 128 KiB block followed by more lines.
    std::string big;
    while (big.size() < 128 * 1024) big += "X-Pad: " + std::string(1000, 'p') + "\n";
    const auto r2 = parse(big + "\n");
    EXPECT_EQ(r2.e, Errc::header_too_large);
}

TEST(HeaderBlock, BlockOverMaxBlockManyLines) {
    HeaderLimits lim;
    lim.max_block = 1024;
    std::string in;
    for (int i = 0; i < 200; ++i) in += "X-" + std::to_string(i) + ": value\r\n";
    in += "\r\n";
    EXPECT_EQ(parse(in, lim).e, Errc::header_too_large);
    EXPECT_EQ(parse_bytewise(in, lim).e, Errc::header_too_large);
}

TEST(HeaderBlock, TooManyHeaders) {
    HeaderLimits lim;
    lim.max_count = 3;
    EXPECT_EQ(parse("A: 1\nB: 2\nC: 3\n\n", lim).e, Errc::ok);
    EXPECT_EQ(parse("A: 1\nB: 2\nC: 3\nD: 4\n\n", lim).e, Errc::too_many_headers);
    // Default: 200 ok, 201 too many.
    std::string in;
    for (int i = 0; i < 200; ++i) in += "H" + std::to_string(i) + ": v\n";
    EXPECT_EQ(parse(in + "\n").e, Errc::ok);
    EXPECT_EQ(parse(in + "H200: v\n\n").e, Errc::too_many_headers);
}

TEST(HeaderBlock, EverySplitPoint) {
    expect_split_invariant("Status: 302 Found\r\nLocation: /x\r\nX-Fold: a\r\n  b\r\nSet-Cookie: 1\n"
                           "Set-Cookie: 2\r\n\r\nbody\r\n\r\nmore");
    expect_split_invariant("A: 1\nB: 2\n\nBODY");
    expect_split_invariant("A: 1\r\nBad\x01: x\r\n\r\n");
    expect_split_invariant("A: 1\r\nno colon\r\n\r\n");
    expect_split_invariant("A: 1\r\nB: 2\r");
    HeaderLimits lim;
    lim.max_line = 20;
    lim.max_block = 40;
    lim.max_count = 3;
    expect_split_invariant("A: 1\nB: 123456789012345678\n\n", lim);
    expect_split_invariant("A: 1\nB: 2\nC: 3\nD: 4\n\n", lim);
    expect_split_invariant("A: 12345678901234\nB: 12345678901234\nC: 1\n\n", lim);
}

// ---------------------------------------------------------------- Status

TEST(ParseStatus, Valid) {
    struct Case {
        const char* in;
        int code;
        const char* reason;
    };
    const Case cases[] = {
        {"200", 200, ""},
        {"404 Not Found", 404, "Not Found"},
        {"299 Custom Thing", 299, "Custom Thing"},
        {"599", 599, ""},
        {"100", 100, ""},
        {"200 OK", 200, "OK"},
        {"200\tOK", 200, "OK"},
        {"302   Found", 302, "Found"},
        {"500 ", 500, ""},
    };
    for (const auto& c : cases) {
        int code = -1;
        std::string_view reason = "unset";
        ASSERT_EQ(parse_status(c.in, code, reason), Errc::ok) << c.in;
        EXPECT_EQ(code, c.code) << c.in;
        EXPECT_EQ(reason, c.reason) << c.in;
    }
}

TEST(ParseStatus, Invalid) {
    for (const char* in : {"99", "600", "1000", "abc", "", "20", "200OK", "-200", "099", "000", " 200", "2 00",
                           "+200", "20x", "999", "200-OK", "1e2"}) {
        int code = -1;
        std::string_view reason;
        EXPECT_EQ(parse_status(in, code, reason), Errc::bad_status) << '"' << in << '"';
    }
}

}  // namespace
