// nvpair.hpp: the 1/4-byte length rule, append_pair/decode_pair/for_each_pair
// and PairPacker (records of bounded size, pairs straddling records).
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/nvpair.hpp"
#include "fastcgi/record.hpp"
#include "test_util.hpp"

using namespace fastcgi;
using fcgitest::as_bytes;
using fcgitest::bytes;
using fcgitest::Exact;
using fcgitest::hex;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(NvPair, LengthSize) {
    EXPECT_EQ(length_size(0), 1u);
    EXPECT_EQ(length_size(1), 1u);
    EXPECT_EQ(length_size(127), 1u);
    EXPECT_EQ(length_size(128), 4u);
    EXPECT_EQ(length_size(65535), 4u);
    EXPECT_EQ(length_size(65536), 4u);
    EXPECT_EQ(length_size(0x7fffffff), 4u);
    EXPECT_EQ(length_size(std::size_t{0x80000000}), 4u);
    EXPECT_EQ(encoded_pair_size("", ""), 2u);
    EXPECT_EQ(encoded_pair_size("abc", std::string(128, 'v')), 1u + 4u + 3u + 128u);
}

TEST(NvPair, LengthEncodingGolden) {
    const std::pair<std::size_t, const char*> cases[] = {
        {0, "00"},           {1, "01"},           {127, "7F"},          {128, "80 00 00 80"},
        {300, "80 00 01 2C"}, {65535, "80 00 FF FF"}, {65536, "80 01 00 00"}, {0x7fffffff, "FF FF FF FF"},
    };
    for (const auto& [n, h] : cases) {
        std::string out;
        append_length(out, n);
        EXPECT_EQ(hex(out), h) << n;
    }
}

TEST(NvPair, Value300Golden) {
    std::string out;
    ASSERT_EQ(append_pair(out, "N", std::string(300, 'v')), Errc::ok);
    EXPECT_EQ(hex(out.substr(0, 6)), "01 80 00 01 2C 4E");
    EXPECT_EQ(out.size(), 1u + 4u + 1u + 300u);
}

TEST(NvPair, RoundTripAtLengthBoundaries) {
    const std::size_t lens[] = {0, 1, 127, 128, 65535, 65536};
    for (std::size_t nl : lens) {
        for (std::size_t vl : lens) {
            std::string name(nl, 'n'), value(vl, 'v');
            if (nl) name.back() = 'N';
            if (vl) value.front() = 'V';
            std::string out = "prefix";
            ASSERT_EQ(append_pair(out, name, value), Errc::ok);
            ASSERT_EQ(out.size(), 6 + encoded_pair_size(name, value)) << nl << "/" << vl;
            EXPECT_EQ(out.substr(0, 6), "prefix");
            Exact in(out.substr(6));
            std::size_t used = 0;
            std::string_view n, v;
            ASSERT_EQ(decode_pair(in.span(), used, n, v), Errc::ok) << nl << "/" << vl;
            EXPECT_EQ(used, in.span().size());
            EXPECT_EQ(n, name);
            EXPECT_EQ(v, value);
            // Views point into the input, no copies.
            EXPECT_GE(n.data(), in.view().data());
            EXPECT_LE(v.data() + v.size(), in.view().data() + in.view().size());
        }
    }
}

TEST(NvPair, DecodeStopsAtPairEnd) {
    std::string wire;
    append_pair(wire, "A", "1");
    append_pair(wire, "BB", "22");
    Exact in(wire);
    std::size_t used = 0;
    std::string_view n, v;
    ASSERT_EQ(decode_pair(in.span(), used, n, v), Errc::ok);
    EXPECT_EQ(used, 4u);
    EXPECT_EQ(n, "A");
    EXPECT_EQ(v, "1");
}

TEST(NvPair, EncodeRefusesLengthAbove31Bits) {
    // A genuine 2^31-byte range that costs nothing and faults if read.
    fcgitest::Reserved big(std::size_t{1} << 31);
    if (!big.ok()) GTEST_SKIP() << "cannot reserve 2 GiB of address space";
    std::string out = "keep";
    EXPECT_EQ(append_pair(out, big.view(), "v"), Errc::pair_too_long);
    EXPECT_EQ(append_pair(out, "n", big.view()), Errc::pair_too_long);
    EXPECT_EQ(out, "keep") << "nothing may be appended on error";

    std::string packed;
    {
        PairPacker pk(packed, 1);
        EXPECT_EQ(pk.add("n", big.view()), Errc::pair_too_long);
        EXPECT_EQ(pk.add("ok", "1"), Errc::ok);
        pk.finish();
    }
    const auto r = fcgitest::decode_all(packed);
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].content, bytes({2, 1}) + "ok1");
}

TEST(NvPair, MaxLengthHeaderWithShortBufferIsOverrun) {
    // name length 2^31-1 (allowed by default), nothing behind it.
    for (const std::string& wire : {bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x00}) + "abc",
                                    bytes({0x00, 0xFF, 0xFF, 0xFF, 0xFF}) + "abc",
                                    bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) + "abc"}) {
        Exact in(wire);
        std::size_t used = 77;
        std::string_view n, v;
        EXPECT_EQ(decode_pair(in.span(), used, n, v), Errc::pair_overrun) << hex(wire);
    }
}

TEST(NvPair, HighBitLengthsAreMaskedTo31Bits) {
    // 0x80 00 00 03: the top bit only selects the 4-byte form.
    const std::string wire = bytes({0x80, 0x00, 0x00, 0x03, 0x01}) + "abcX";
    Exact in(wire);
    std::size_t used = 0;
    std::string_view n, v;
    ASSERT_EQ(decode_pair(in.span(), used, n, v), Errc::ok);
    EXPECT_EQ(n, "abc");
    EXPECT_EQ(v, "X");
    EXPECT_EQ(used, wire.size());
}

TEST(NvPair, TruncatedLengths) {
    const std::string cases[] = {
        "",                                 // nothing
        bytes({0x80}),                      // 4-byte name length cut after 1
        bytes({0x80, 0x00, 0x01}),          // ... after 3
        bytes({0x05}),                      // name length only
        bytes({0x01, 0x80, 0x00}),          // 4-byte value length cut
        bytes({0x80, 0x00, 0x00, 0x80, 0x81, 0x00, 0x00}),
    };
    for (const auto& c : cases) {
        Exact in(c);
        std::size_t used = 0;
        std::string_view n, v;
        EXPECT_EQ(decode_pair(in.span(), used, n, v), Errc::truncated) << hex(c);
    }
}

TEST(NvPair, Overrun) {
    const std::string cases[] = {
        bytes({0x05, 0x00}) + "abcd",            // name 1 short
        bytes({0x01, 0x01}) + "a",               // value missing
        bytes({0x01, 0x03}) + "abc",             // value 1 short
        bytes({0x80, 0x00, 0x01, 0x00, 0x00}) + std::string(255, 'x'),
        bytes({0x00, 0x80, 0x01, 0x00, 0x00}) + std::string(65535, 'x'),
    };
    for (const auto& c : cases) {
        Exact in(c);
        std::size_t used = 0;
        std::string_view n, v;
        EXPECT_EQ(decode_pair(in.span(), used, n, v), Errc::pair_overrun) << hex(c.substr(0, 8));
    }
}

TEST(NvPair, MaxLengthBound) {
    std::string wire;
    append_pair(wire, "NAME5", "VAL");
    std::size_t used = 0;
    std::string_view n, v;
    Exact in(wire);
    EXPECT_EQ(decode_pair(in.span(), used, n, v, 5), Errc::ok);
    EXPECT_EQ(decode_pair(in.span(), used, n, v, 4), Errc::pair_too_long) << "name over bound";
    std::string w2;
    append_pair(w2, "N", std::string(200, 'v'));
    Exact in2(w2);
    EXPECT_EQ(decode_pair(in2.span(), used, n, v, 199), Errc::pair_too_long) << "value over bound";
    EXPECT_EQ(decode_pair(in2.span(), used, n, v, 200), Errc::ok);
    // The bound is checked on the length, before the overrun check.
    const std::string claim = bytes({0x80, 0x10, 0x00, 0x00, 0x00});
    Exact in3(claim);
    EXPECT_EQ(decode_pair(in3.span(), used, n, v, 1024), Errc::pair_too_long);
}

TEST(NvPair, ForEachPair) {
    Pairs in = {{"A", "1"}, {"", ""}, {"EMPTY", ""}, {std::string(128, 'k'), std::string(1000, 'w')}};
    std::string wire;
    for (const auto& [n, v] : in) append_pair(wire, n, v);
    Exact buf(wire);
    Pairs got;
    EXPECT_EQ(for_each_pair(buf.span(), [&](std::string_view n, std::string_view v) { got.emplace_back(n, v); }),
              Errc::ok);
    EXPECT_EQ(got, in);

    int calls = 0;
    EXPECT_EQ(for_each_pair({}, [&](auto, auto) { ++calls; }), Errc::ok);
    EXPECT_EQ(calls, 0);
}

TEST(NvPair, ForEachPairStopsAtFirstError) {
    std::string wire;
    append_pair(wire, "A", "1");
    append_pair(wire, "B", "2");
    const std::string trailing[] = {bytes({0x80, 0x00}), bytes({0x02, 0x02}) + "ab"};
    const Errc expect[] = {Errc::truncated, Errc::pair_overrun};
    for (int i = 0; i < 2; ++i) {
        Exact buf(wire + trailing[i]);
        Pairs got;
        EXPECT_EQ(for_each_pair(buf.span(), [&](std::string_view n, std::string_view v) { got.emplace_back(n, v); }),
                  expect[i]);
        EXPECT_EQ(got, (Pairs{{"A", "1"}, {"B", "2"}}));
    }
    std::string w2;
    append_pair(w2, "SHORT", "x");
    append_pair(w2, "LONGER_NAME", "x");
    append_pair(w2, "AFTER", "x");
    Exact buf(w2);
    Pairs got;
    EXPECT_EQ(for_each_pair(
                  buf.span(), [&](std::string_view n, std::string_view v) { got.emplace_back(n, v); }, 8),
              Errc::pair_too_long);
    EXPECT_EQ(got, (Pairs{{"SHORT", "x"}}));
}

// ---------------------------------------------------------------- PairPacker

struct Unpacked {
    Pairs pairs;
    std::vector<std::size_t> record_sizes;  // content lengths, in order
    bool terminated = false;
    Errc pair_error = Errc::ok;
};

Unpacked unpack(const std::string& wire, RecordType type, std::uint16_t id, std::size_t max_record) {
    Unpacked u;
    // Walk the raw headers: no padding, right type and id, bounded size.
    for (std::size_t pos = 0; pos < wire.size();) {
        EXPECT_LE(pos + 8, wire.size());
        const RecordHeader h = decode_header(reinterpret_cast<const std::uint8_t*>(wire.data() + pos));
        EXPECT_EQ(h.version, 1);
        EXPECT_EQ(h.type, type);
        EXPECT_EQ(h.request_id, id);
        EXPECT_EQ(h.padding_length, 0) << "PairPacker never pads";
        EXPECT_LE(h.content_length, max_record);
        u.record_sizes.push_back(h.content_length);
        pos += 8 + h.content_length;
    }
    const auto r = fcgitest::decode_all(wire);
    EXPECT_EQ(r.final, Errc::need_more);
    EXPECT_EQ(r.consumed, wire.size());
    std::string payload;
    for (std::size_t i = 0; i < r.records.size(); ++i) {
        const auto& rec = r.records[i];
        EXPECT_EQ(rec.type, type);
        if (rec.empty_record) {
            EXPECT_EQ(i + 1, r.records.size()) << "empty record before the end";
            u.terminated = true;
        }
        payload += rec.content;
    }
    Exact buf(payload);
    u.pair_error =
        for_each_pair(buf.span(), [&](std::string_view n, std::string_view v) { u.pairs.emplace_back(n, v); });
    return u;
}

Pairs sample_pairs() {
    Pairs p = {
        {"SERVER_PORT", "80"},
        {"EMPTY", ""},
        {"", "empty-name"},
        {std::string(127, 'a'), std::string(128, 'b')},
        {"REQUEST_URI", "/index.php?x=" + std::string(60, 'q')},
        {std::string(300, 'N'), "v"},
        {"HTTP_COOKIE", std::string(5000, 'c')},
    };
    for (int i = 0; i < 40; ++i) p.emplace_back("P" + std::to_string(i), std::string(i * 3, char('A' + i % 26)));
    return p;
}

class PairPackerSizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(PairPackerSizes, RoundTripThroughRecordDecoder) {
    const std::size_t max_record = GetParam();
    const Pairs in = sample_pairs();
    std::string wire;
    PairPacker pk(wire, 0x0101, RecordType::Params, max_record);
    std::string encoded;
    for (const auto& [n, v] : in) {
        ASSERT_EQ(pk.add(n, v), Errc::ok);
        append_pair(encoded, n, v);
    }
    pk.finish();
    const Unpacked u = unpack(wire, RecordType::Params, 0x0101, max_record);
    EXPECT_TRUE(u.terminated);
    EXPECT_EQ(u.pair_error, Errc::ok);
    EXPECT_EQ(u.pairs, in);
    ASSERT_FALSE(u.record_sizes.empty());
    EXPECT_EQ(u.record_sizes.back(), 0u);
    std::size_t total = 0;
    for (std::size_t i = 0; i + 1 < u.record_sizes.size(); ++i) {
        EXPECT_GT(u.record_sizes[i], 0u) << "only the terminator may be empty";
        total += u.record_sizes[i];
    }
    EXPECT_EQ(total, encoded.size());
    const std::size_t min_records = (encoded.size() + max_record - 1) / max_record;
    EXPECT_GE(u.record_sizes.size() - 1, min_records);
    if (max_record == 64) {
        // Some pair must straddle a record boundary.
        bool straddle = false;
        std::size_t pos = 0, boundary = 0;
        std::vector<std::size_t> pair_ends;
        for (const auto& [n, v] : in) pair_ends.push_back(pos += encoded_pair_size(n, v));
        for (std::size_t i = 0; i + 1 < u.record_sizes.size(); ++i) {
            boundary += u.record_sizes[i];
            if (std::find(pair_ends.begin(), pair_ends.end(), boundary) == pair_ends.end()) straddle = true;
        }
        EXPECT_TRUE(straddle);
    }
}

INSTANTIATE_TEST_SUITE_P(MaxRecord, PairPackerSizes, ::testing::Values(65535, 64, 1, 7, 128, 1000));

TEST(PairPacker, SingleHugeValueSplits) {
    const std::string big(200 * 1024, 'x');
    std::string wire;
    PairPacker pk(wire, 1);
    ASSERT_EQ(pk.add("HTTP_X_BIG", big), Errc::ok);
    pk.finish();
    const Unpacked u = unpack(wire, RecordType::Params, 1, 65535);
    ASSERT_EQ(u.pairs.size(), 1u);
    EXPECT_EQ(u.pairs[0].first, "HTTP_X_BIG");
    EXPECT_EQ(u.pairs[0].second, big);
    EXPECT_TRUE(u.terminated);
    // 204800 + 1 + 4 + 10 = 204815 bytes -> at least 4 data records.
    EXPECT_GE(u.record_sizes.size(), 5u);
}

TEST(PairPacker, ZeroOrOversizedMaxRecordMeansMaxContent) {
    for (std::size_t m : {std::size_t{0}, std::size_t{100000}}) {
        std::string wire;
        PairPacker pk(wire, 1, RecordType::Params, m);
        ASSERT_EQ(pk.add("V", std::string(70000, 'v')), Errc::ok);
        pk.finish();
        const Unpacked u = unpack(wire, RecordType::Params, 1, 65535);
        ASSERT_EQ(u.pairs.size(), 1u) << m;
        EXPECT_EQ(u.pairs[0].second.size(), 70000u);
    }
}

TEST(PairPacker, NoPairsGivesOnlyTerminator) {
    std::string wire;
    PairPacker pk(wire, 5);
    pk.finish();
    EXPECT_EQ(hex(wire), "01 04 00 05 00 00 00 00");
}

TEST(PairPacker, GetValuesHasNoTerminator) {
    std::string wire;
    PairPacker pk(wire, kNullRequestId, RecordType::GetValues);
    ASSERT_EQ(pk.add("FCGI_MAX_CONNS", ""), Errc::ok);
    ASSERT_EQ(pk.add("FCGI_MAX_REQS", ""), Errc::ok);
    ASSERT_EQ(pk.add("FCGI_MPXS_CONNS", ""), Errc::ok);
    pk.finish();
    const Unpacked u = unpack(wire, RecordType::GetValues, 0, 65535);
    EXPECT_FALSE(u.terminated);
    EXPECT_EQ(u.record_sizes.size(), 1u);
    EXPECT_EQ(u.pairs, (Pairs{{"FCGI_MAX_CONNS", ""}, {"FCGI_MAX_REQS", ""}, {"FCGI_MPXS_CONNS", ""}}));
}

TEST(PairPacker, EncodesInPlaceAfterWhatOutAlreadyHolds) {
    std::string wire = "prefix..";
    PairPacker pk(wire, 1, RecordType::Params, 64);
    ASSERT_EQ(pk.add("A", "1"), Errc::ok);
    std::string pair;
    append_pair(pair, "A", "1");
    EXPECT_EQ(wire.size(), 8 + 8 + pair.size()) << "the pair follows the open record's header, no copy elsewhere";
    EXPECT_EQ(wire.substr(16), pair);
    ASSERT_EQ(pk.add("B", std::string(100, 'b')), Errc::ok);
    const RecordHeader h = decode_header(reinterpret_cast<const std::uint8_t*>(wire.data() + 8));
    EXPECT_EQ(h.content_length, 64) << "a record that filled is closed at max_record";
    pk.finish();
    EXPECT_EQ(wire.substr(0, 8), "prefix..");
    const Unpacked u = unpack(wire.substr(8), RecordType::Params, 1, 64);
    EXPECT_TRUE(u.terminated);
    EXPECT_EQ(u.pairs, (Pairs{{"A", "1"}, {"B", std::string(100, 'b')}}));
}

TEST(PairPacker, GetValuesWithoutPairsWritesNothing) {
    std::string wire = "x";
    PairPacker pk(wire, kNullRequestId, RecordType::GetValues);
    pk.finish();
    EXPECT_EQ(wire, "x");
}

}  // namespace
