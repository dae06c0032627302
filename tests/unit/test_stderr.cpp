// line_splitter.hpp and stderr_policy.hpp: stderr lines reassembled across
// any split of the stream, pieces that fit a log line once escaped, level
// rules (first match wins), the per-request cap.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/line_splitter.hpp"
#include "fastcgi/stderr_policy.hpp"

using namespace fastcgi;

namespace {

struct Piece {
    std::string text;
    bool continued;
    bool operator==(const Piece&) const = default;
};

std::vector<Piece> split(LineSplitter& s, const std::vector<std::string>& chunks) {
    std::vector<Piece> out;
    for (const auto& c : chunks)
        s.feed(c, [&](std::string_view l) { out.push_back({std::string(l), s.continues_line()}); });
    s.finish([&](std::string_view l) { out.push_back({std::string(l), s.continues_line()}); });
    return out;
}

TEST(LineSplitter, LinesEndAtCrOrLfAndRunsGiveNoEmptyLines) {
    LineSplitter s;
    EXPECT_EQ(split(s, {"one\ntwo\r\n\n\rthree\n"}),
              (std::vector<Piece>{{"one", false}, {"two", false}, {"three", false}}));
}

TEST(LineSplitter, EverySplitOfTheStreamGivesTheSameLines) {
    const std::string stream = "alpha\nbe\x01ta\r\ngamma-without-end";
    LineSplitter whole_s(8);
    const auto whole = split(whole_s, {stream});
    for (std::size_t i = 0; i <= stream.size(); ++i) {
        for (std::size_t j = i; j <= stream.size(); ++j) {
            LineSplitter s(8);
            EXPECT_EQ(split(s, {stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)}), whole)
                    << "split at " << i << "," << j;
        }
    }
    LineSplitter bytewise(8);
    std::vector<std::string> one_by_one;
    for (const char c : stream) one_by_one.emplace_back(1, c);
    EXPECT_EQ(split(bytewise, one_by_one), whole);
}

TEST(LineSplitter, LongLineIsCutByLogWidthAndPiecesSayTheyContinue) {
    LineSplitter s(10);
    EXPECT_EQ(split(s, {std::string(25, 'a') + "\nnext\n"}),
              (std::vector<Piece>{{std::string(10, 'a'), false},
                                  {std::string(10, 'a'), true},
                                  {std::string(5, 'a'), true},
                                  {"next", false}}));
}

TEST(LineSplitter, WidthCountsHowHttpdWillEscapeEachByte) {
    EXPECT_EQ(log_width('a'), 1u);
    EXPECT_EQ(log_width('\\'), 2u);
    EXPECT_EQ(log_width(0), 5u);     // \x00, then httpd doubles the backslash
    EXPECT_EQ(log_width(0x1b), 5u);
    EXPECT_EQ(log_width(0x7f), 5u);
    EXPECT_EQ(log_width(0xc3), 4u);  // httpd writes \xc3
    // 10 columns: two NULs (10) fill a piece; "ab" + a NUL (7) + a backslash (9)
    LineSplitter s(10);
    EXPECT_EQ(split(s, {std::string("\0\0\0", 3) + "\nab" + std::string(1, '\0') + "\\\\x\n"}),
              (std::vector<Piece>{{std::string("\0\0", 2), false},
                                  {std::string("\0", 1), true},
                                  {std::string("ab\0\\", 4), false},
                                  {"\\x", true}}));
}

TEST(LineSplitter, NoPieceWiderThanTheLimit) {
    std::string stream;
    for (int i = 0; i < 5000; ++i) stream.push_back(static_cast<char>(i * 37 % 256));
    LineSplitter s(100);
    for (const auto& p : split(s, {stream})) {
        std::size_t w = 0;
        for (const char c : p.text) w += log_width(static_cast<unsigned char>(c));
        EXPECT_LE(w, 100u);
        EXPECT_FALSE(p.text.empty());
    }
}

TEST(EscapeControl, ControlBytesBecomeHex) {
    EXPECT_EQ(escape_control(std::string("a\0b\x1b[31m\x7f", 9)), "a\\x00b\\x1b[31m\\x7f");
    std::string out = "kept:";
    escape_control_into("x\ty", out);
    EXPECT_EQ(out, "kept:x\\x09y");
}

TEST(StderrLevel, ParseLevelNames) {
    EXPECT_EQ(parse_log_level("emerg"), 0);
    EXPECT_EQ(parse_log_level("error"), 3);
    EXPECT_EQ(parse_log_level("WARN"), 4);
    EXPECT_EQ(parse_log_level("Notice"), 5);
    EXPECT_EQ(parse_log_level("debug"), 7);
    EXPECT_EQ(parse_log_level("warning"), std::nullopt);
    EXPECT_EQ(parse_log_level("trace1"), std::nullopt);
    EXPECT_EQ(parse_log_level(""), std::nullopt);
}

TEST(StderrLevel, FirstMatchingRuleWinsElseFallback) {
    const std::vector<StderrRule> rules = {
            {"PHP Warning:", false, 4},
            {"^PHP (Notice|Deprecated):", true, 5},
            {"PHP Notice:", false, 6},
    };
    std::vector<std::size_t> asked;
    auto regex = [&](std::size_t i, std::string_view line) {
        asked.push_back(i);
        return line.starts_with("PHP Notice:") || line.starts_with("PHP Deprecated:");
    };
    EXPECT_EQ(stderr_level(rules, "PHP Warning:  x", 3, regex), 4);
    EXPECT_TRUE(asked.empty());  // a literal rule matched first: no regex run
    EXPECT_EQ(stderr_level(rules, "PHP Notice:  y", 3, regex), 5);
    EXPECT_EQ(stderr_level(rules, "PHP Deprecated: z", 3, regex), 5);
    EXPECT_EQ(stderr_level(rules, "PHP Warnin", 3, regex), 3);      // shorter than the prefix
    EXPECT_EQ(stderr_level(rules, " PHP Warning:", 3, regex), 3);   // a prefix is anchored
    EXPECT_EQ(stderr_level(rules, "php warning:", 3, regex), 3);    // and exact
    EXPECT_EQ(stderr_level({}, "anything", 4, regex), 4);
}

TEST(StderrCap, LinesWithinTheLimitThenOnlyCounted) {
    StderrCap cap(250);
    EXPECT_TRUE(cap.admit(100));
    EXPECT_TRUE(cap.admit(100));
    EXPECT_FALSE(cap.admit(100));  // 300 > 250
    EXPECT_FALSE(cap.admit(10));   // would fit, but the log shows no holes
    EXPECT_TRUE(cap.capped());
    EXPECT_EQ(cap.logged_bytes(), 200u);
    EXPECT_EQ(cap.suppressed_bytes(), 110u);
    EXPECT_EQ(cap.suppressed_lines(), 2u);
}

TEST(StderrCap, PiecesOfOneLongLineCountAsOneLine) {
    StderrCap cap(10);
    EXPECT_TRUE(cap.admit(10));
    EXPECT_FALSE(cap.admit(8, false));  // continuation of the first line: still one line suppressed
    EXPECT_FALSE(cap.admit(8, false));
    EXPECT_FALSE(cap.admit(3, true));
    EXPECT_EQ(cap.suppressed_lines(), 2u);
    EXPECT_EQ(cap.suppressed_bytes(), 19u);
}

TEST(StderrCap, ZeroMeansNoLimit) {
    StderrCap cap(0);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(cap.admit(1 << 20));
    EXPECT_FALSE(cap.capped());
}

}  // namespace
