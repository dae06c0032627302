// record.hpp / protocol.hpp: golden bytes of the encoders, the incremental
// RecordDecoder (round trips, every split point, malformed input, no
// overread).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/nvpair.hpp"
#include "fastcgi/protocol.hpp"
#include "fastcgi/record.hpp"
#include "test_util.hpp"

using namespace fastcgi;
using fcgitest::as_bytes;
using fcgitest::bytes;
using fcgitest::DecodedRecord;
using fcgitest::hex;

namespace {

std::string s8(const std::array<std::uint8_t, kHeaderSize>& h) { return std::string(h.begin(), h.end()); }

// ---------------------------------------------------------------- protocol

TEST(Protocol, WireConstants) {
    EXPECT_EQ(kVersion, 1);
    EXPECT_EQ(kHeaderSize, 8u);
    EXPECT_EQ(kMaxContent, 65535u);
    EXPECT_EQ(kMaxPadding, 255u);
    EXPECT_EQ(kMaxPairLength, 2147483647u);
    EXPECT_EQ(int(RecordType::BeginRequest), 1);
    EXPECT_EQ(int(RecordType::AbortRequest), 2);
    EXPECT_EQ(int(RecordType::EndRequest), 3);
    EXPECT_EQ(int(RecordType::Params), 4);
    EXPECT_EQ(int(RecordType::Stdin), 5);
    EXPECT_EQ(int(RecordType::Stdout), 6);
    EXPECT_EQ(int(RecordType::Stderr), 7);
    EXPECT_EQ(int(RecordType::Data), 8);
    EXPECT_EQ(int(RecordType::GetValues), 9);
    EXPECT_EQ(int(RecordType::GetValuesResult), 10);
    EXPECT_EQ(int(RecordType::UnknownType), 11);
    EXPECT_EQ(kMaxType, 11);
    EXPECT_EQ(int(Role::Responder), 1);
    EXPECT_EQ(int(Role::Authorizer), 2);
    EXPECT_EQ(int(Role::Filter), 3);
    EXPECT_EQ(int(ProtocolStatus::RequestComplete), 0);
    EXPECT_EQ(int(ProtocolStatus::CantMpxConn), 1);
    EXPECT_EQ(int(ProtocolStatus::Overloaded), 2);
    EXPECT_EQ(int(ProtocolStatus::UnknownRole), 3);
    EXPECT_EQ(kKeepConn, 1);
}

TEST(Protocol, StreamAndManagementClassification) {
    for (int t = 1; t <= kMaxType; ++t) {
        const auto rt = static_cast<RecordType>(t);
        const bool stream = t == 4 || t == 5 || t == 6 || t == 7 || t == 8;
        const bool mgmt = t == 9 || t == 10 || t == 11;
        EXPECT_EQ(is_stream(rt), stream) << t;
        EXPECT_EQ(is_management(rt), mgmt) << t;
    }
}

TEST(Protocol, Names) {
    EXPECT_EQ(to_string(RecordType::BeginRequest), "FCGI_BEGIN_REQUEST");
    EXPECT_EQ(to_string(RecordType::Params), "FCGI_PARAMS");
    EXPECT_EQ(to_string(RecordType::GetValuesResult), "FCGI_GET_VALUES_RESULT");
    EXPECT_EQ(to_string(RecordType::UnknownType), "FCGI_UNKNOWN_TYPE");
    EXPECT_EQ(to_string(static_cast<RecordType>(42)), "unknown record type");
    EXPECT_EQ(to_string(ProtocolStatus::Overloaded), "FCGI_OVERLOADED");
    EXPECT_EQ(to_string(static_cast<ProtocolStatus>(9)), "unknown protocol status");
    // Every error has its own message.
    std::vector<std::string_view> seen;
    for (int e = int(Errc::ok); e <= int(Errc::bad_status); ++e) {
        const auto m = to_string(static_cast<Errc>(e));
        EXPECT_NE(m, "unknown error") << e;
        for (auto s : seen) EXPECT_NE(s, m) << e;
        seen.push_back(m);
    }
}

// ---------------------------------------------------------------- encoders

TEST(RecordEncode, HeaderGoldenAndRoundTrip) {
    const auto h = make_header(RecordType::Stdout, 0x1234, 0xABCD, 7);
    EXPECT_EQ(hex(s8(h)), "01 06 12 34 AB CD 07 00");
    const RecordHeader d = decode_header(h.data());
    EXPECT_EQ(d.version, 1);
    EXPECT_EQ(d.type, RecordType::Stdout);
    EXPECT_EQ(d.request_id, 0x1234);
    EXPECT_EQ(d.content_length, 0xABCD);
    EXPECT_EQ(d.padding_length, 7);

    std::uint8_t raw[8];
    encode_header({1, RecordType::Params, 0xFFFF, 0xFFFF, 0xFF}, raw);
    EXPECT_EQ(hex(std::string(raw, raw + 8)), "01 04 FF FF FF FF FF 00");
    // decode_header does not validate.
    const std::uint8_t bad[8] = {2, 42, 0, 0, 0, 8, 0, 9};
    const RecordHeader b = decode_header(bad);
    EXPECT_EQ(b.version, 2);
    EXPECT_EQ(int(b.type), 42);
    EXPECT_EQ(b.content_length, 8);
}

TEST(RecordEncode, BeginRequestGolden) {
    std::string out;
    append_begin_request(out, 1, Role::Responder);
    EXPECT_EQ(hex(out), "01 01 00 01 00 08 00 00 00 01 00 00 00 00 00 00");
    out.clear();
    append_begin_request(out, 0x0102, Role::Filter, kKeepConn);
    EXPECT_EQ(hex(out), "01 01 01 02 00 08 00 00 00 03 01 00 00 00 00 00");
    const BeginRequestBody b = parse_begin_request(as_bytes(out).subspan(8));
    EXPECT_EQ(b.role, Role::Filter);
    EXPECT_EQ(b.flags, kKeepConn);
}

TEST(RecordEncode, ParamsServerPortGolden) {
    std::string out;
    PairPacker pk(out, 1);
    ASSERT_EQ(pk.add("SERVER_PORT", "80"), Errc::ok);
    pk.finish();
    const std::string expect = bytes({1, 4, 0, 1, 0, 0x0F, 0, 0, 0x0B, 0x02}) + "SERVER_PORT" + "80" +
                               bytes({1, 4, 0, 1, 0, 0, 0, 0});
    EXPECT_EQ(hex(out), hex(expect));
}

TEST(RecordEncode, EmptyStdinGolden) {
    std::string out;
    append_record(out, RecordType::Stdin, 1, {});
    EXPECT_EQ(hex(out), "01 05 00 01 00 00 00 00");
    out.clear();
    append_record(out, RecordType::Stdin, 1, {}, /*pad=*/true);
    EXPECT_EQ(hex(out), "01 05 00 01 00 00 00 00") << "an empty record needs no padding";
}

TEST(RecordEncode, EndRequestGolden) {
    std::string out;
    append_end_request(out, 1, {0, static_cast<std::uint8_t>(ProtocolStatus::RequestComplete)});
    EXPECT_EQ(hex(out), "01 03 00 01 00 08 00 00 00 00 00 00 00 00 00 00");
    out.clear();
    append_end_request(out, 7, {0x01020304u, static_cast<std::uint8_t>(ProtocolStatus::Overloaded)});
    EXPECT_EQ(hex(out), "01 03 00 07 00 08 00 00 01 02 03 04 02 00 00 00");
    const EndRequestBody e = parse_end_request(as_bytes(out).subspan(8));
    EXPECT_EQ(e.app_status, 0x01020304u);
    EXPECT_EQ(e.protocol_status, 2);
    const std::string hi = bytes({0xFF, 0xFE, 0xFD, 0xFC, 3, 0, 0, 0});
    const EndRequestBody h = parse_end_request(as_bytes(hi));
    EXPECT_EQ(h.app_status, 0xFFFEFDFCu);
    EXPECT_EQ(h.protocol_status, 3);
}

TEST(RecordEncode, UnknownTypeGolden) {
    std::string out;
    append_unknown_type(out, 42);
    EXPECT_EQ(hex(out), "01 0B 00 00 00 08 00 00 2A 00 00 00 00 00 00 00");
}

TEST(RecordEncode, PaddingToMultipleOfEight) {
    for (std::size_t len : {0u, 1u, 5u, 7u, 8u, 9u, 15u, 16u, 65535u}) {
        std::string content(len, 'x');
        std::string out;
        append_record(out, RecordType::Stdout, 1, as_bytes(content), true);
        const std::size_t pad = (8 - len % 8) % 8;
        ASSERT_EQ(out.size(), 8 + len + pad) << len;
        EXPECT_EQ((len + pad) % 8, 0u);
        const RecordHeader h = decode_header(reinterpret_cast<const std::uint8_t*>(out.data()));
        EXPECT_EQ(h.content_length, len);
        EXPECT_EQ(h.padding_length, pad);
        EXPECT_EQ(out.substr(8, len), content);
        EXPECT_EQ(out.substr(8 + len), std::string(pad, '\0'));

        std::string plain;
        append_record(plain, RecordType::Stdout, 1, as_bytes(content));
        EXPECT_EQ(plain.size(), 8 + len);
        EXPECT_EQ(plain[6], 0);
    }
}

TEST(RecordEncode, AppendStreamSplits150000) {
    std::string content(150000, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + i / 256);
    std::string out;
    append_stream(out, RecordType::Stdin, 3, as_bytes(content));
    ASSERT_EQ(out.size(), 150000u + 3 * 8);
    std::vector<std::size_t> lens;
    std::string joined;
    std::size_t pos = 0;
    while (pos < out.size()) {
        const RecordHeader h = decode_header(reinterpret_cast<const std::uint8_t*>(out.data() + pos));
        EXPECT_EQ(h.type, RecordType::Stdin);
        EXPECT_EQ(h.request_id, 3);
        EXPECT_EQ(h.padding_length, 0);
        lens.push_back(h.content_length);
        joined.append(out, pos + 8, h.content_length);
        pos += 8 + h.content_length;
    }
    EXPECT_EQ(lens, (std::vector<std::size_t>{65535, 65535, 18930}));
    EXPECT_EQ(joined, content);
}

TEST(RecordEncode, AppendStreamMaxRecord) {
    const std::string c = "0123456789";
    std::string out;
    append_stream(out, RecordType::Stdout, 1, as_bytes(c), 4);
    EXPECT_EQ(out, bytes({1, 6, 0, 1, 0, 4, 0, 0}) + "0123" + bytes({1, 6, 0, 1, 0, 4, 0, 0}) + "4567" +
                       bytes({1, 6, 0, 1, 0, 2, 0, 0}) + "89");
    out.clear();
    append_stream(out, RecordType::Stdout, 1, {});
    EXPECT_TRUE(out.empty()) << "append_stream must not write the terminator";
    // 0 and too large mean kMaxContent.
    const std::string big(70000, 'b');
    for (std::size_t m : {std::size_t{0}, std::size_t{70000}, std::size_t{1} << 40}) {
        out.clear();
        append_stream(out, RecordType::Stdout, 1, as_bytes(big), m);
        ASSERT_EQ(out.size(), 70000u + 16) << m;
        EXPECT_EQ(hex(out.substr(0, 8)), "01 06 00 01 FF FF 00 00") << m;
    }
}

// ---------------------------------------------------------------- decoder

TEST(RecordDecoder, RoundTripEveryTypeWithAndWithoutPadding) {
    const std::string body8 = bytes({0, 1, 1, 0, 0, 0, 0, 0});
    for (int t = 1; t <= kMaxType; ++t) {
        const auto rt = static_cast<RecordType>(t);
        const bool fixed8 = rt == RecordType::BeginRequest || rt == RecordType::EndRequest ||
                            rt == RecordType::UnknownType;
        std::vector<std::string> contents;
        if (fixed8) {
            contents = {body8};
        } else {
            contents = {"", "a", "hello world", std::string(300, 'z'), std::string(kMaxContent, 'm')};
        }
        for (const auto& c : contents) {
            for (bool pad : {false, true}) {
                std::string wire;
                append_record(wire, rt, 0x0203, as_bytes(c), pad);
                const auto r = fcgitest::decode_all(wire);
                ASSERT_EQ(r.final, Errc::need_more) << t;
                EXPECT_EQ(r.consumed, wire.size()) << "padding must be consumed";
                ASSERT_EQ(r.records.size(), 1u) << t;
                EXPECT_EQ(r.records[0], (DecodedRecord{rt, 0x0203, c, c.empty()})) << t << " pad " << pad;
            }
        }
    }
}

TEST(RecordDecoder, ExplicitPaddingIsSkipped) {
    // STDOUT "abc" with 255 bytes of non-zero padding, then an empty STDOUT
    // with 4 bytes of padding, then END_REQUEST.
    std::string wire = s8(make_header(RecordType::Stdout, 1, 3, 255)) + "abc" + std::string(255, '\xAA');
    wire += s8(make_header(RecordType::Stdout, 1, 0, 4)) + std::string(4, '\xBB');
    append_end_request(wire, 1, {5, 0});
    for (std::size_t chunk : {wire.size(), std::size_t{1}, std::size_t{7}}) {
        std::vector<std::string> chunks;
        for (std::size_t i = 0; i < wire.size(); i += chunk) chunks.push_back(wire.substr(i, chunk));
        const auto r = fcgitest::decode_chunks(chunks);
        ASSERT_EQ(r.records.size(), 3u) << chunk;
        EXPECT_EQ(r.records[0], (DecodedRecord{RecordType::Stdout, 1, "abc", false}));
        EXPECT_EQ(r.records[1], (DecodedRecord{RecordType::Stdout, 1, "", true}));
        EXPECT_EQ(r.records[2].type, RecordType::EndRequest);
        EXPECT_EQ(parse_end_request(as_bytes(r.records[2].content)).app_status, 5u);
        EXPECT_EQ(r.stream_data.at(int(RecordType::Stdout)), "abc");
        EXPECT_EQ(r.final, Errc::need_more);
        EXPECT_EQ(r.consumed, wire.size());
    }
}

TEST(RecordDecoder, RequestIdsAreNotJudged) {
    std::string wire;
    append_record(wire, RecordType::Stdout, 0, as_bytes("x"));
    append_record(wire, RecordType::Stdout, 65535, as_bytes("y"));
    append_unknown_type(wire, 77);
    const auto r = fcgitest::decode_all(wire);
    ASSERT_EQ(r.records.size(), 3u);
    EXPECT_EQ(r.records[0].request_id, 0);
    EXPECT_EQ(r.records[1].request_id, 65535);
    EXPECT_EQ(r.records[2].request_id, kNullRequestId);
    EXPECT_EQ(r.records[2].content[0], 77);
}

struct Stream {
    std::string wire;
    std::vector<DecodedRecord> expect;
    std::map<int, std::string> data;
};

// A realistic response plus management records, built together with the
// records the decoder must report.
Stream build_stream() {
    Stream s;
    append_begin_request(s.wire, 1, Role::Responder, kKeepConn);
    s.expect.push_back({RecordType::BeginRequest, 1, bytes({0, 1, 1, 0, 0, 0, 0, 0}), false});

    std::string pairs;
    for (int i = 0; i < 6; ++i) {
        const std::string n = "NAME_" + std::to_string(i), v(20 + 30 * i, char('a' + i));
        EXPECT_EQ(append_pair(pairs, n, v), Errc::ok);
    }
    // PARAMS records of 64 bytes (pairs straddle them), odd ones padded.
    for (std::size_t i = 0, k = 0; i < pairs.size(); i += 64, ++k) {
        const std::string part = pairs.substr(i, 64);
        append_record(s.wire, RecordType::Params, 1, as_bytes(part), k % 2 == 1 || part.size() < 64);
        s.expect.push_back({RecordType::Params, 1, part, false});
    }
    append_record(s.wire, RecordType::Params, 1, {});
    s.expect.push_back({RecordType::Params, 1, "", true});
    s.data[int(RecordType::Params)] = pairs;

    append_record(s.wire, RecordType::Stdin, 1, {});
    s.expect.push_back({RecordType::Stdin, 1, "", true});
    s.data[int(RecordType::Stdin)] = "";

    const std::string out1 = "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhel";
    const std::string out2 = "lo, world";
    append_record(s.wire, RecordType::Stdout, 1, as_bytes(out1), true);
    s.wire += s8(make_header(RecordType::Stdout, 1, out2.size(), 13)) + out2 + std::string(13, '\x55');
    s.wire += s8(make_header(RecordType::Stdout, 1, 0, 3)) + "pad";
    s.expect.push_back({RecordType::Stdout, 1, out1, false});
    s.expect.push_back({RecordType::Stdout, 1, out2, false});
    s.expect.push_back({RecordType::Stdout, 1, "", true});
    s.data[int(RecordType::Stdout)] = out1 + out2;

    append_record(s.wire, RecordType::Stderr, 1, as_bytes("warning: x\n"), true);
    append_record(s.wire, RecordType::Stderr, 1, {});
    s.expect.push_back({RecordType::Stderr, 1, "warning: x\n", false});
    s.expect.push_back({RecordType::Stderr, 1, "", true});
    s.data[int(RecordType::Stderr)] = "warning: x\n";

    std::string gv;
    append_pair(gv, "FCGI_MPXS_CONNS", "0");
    append_record(s.wire, RecordType::GetValuesResult, 0, as_bytes(gv), true);
    s.expect.push_back({RecordType::GetValuesResult, 0, gv, false});

    append_unknown_type(s.wire, 99);
    s.expect.push_back({RecordType::UnknownType, 0, bytes({99, 0, 0, 0, 0, 0, 0, 0}), false});

    append_end_request(s.wire, 1, {0, 0});
    s.expect.push_back({RecordType::EndRequest, 1, std::string(8, '\0'), false});
    return s;
}

void expect_same(const fcgitest::DecodeResult& r, const Stream& s, const std::string& what) {
    EXPECT_EQ(r.final, Errc::need_more) << what;
    EXPECT_EQ(r.consumed, s.wire.size()) << what;
    ASSERT_EQ(r.records.size(), s.expect.size()) << what;
    for (std::size_t i = 0; i < s.expect.size(); ++i) EXPECT_EQ(r.records[i], s.expect[i]) << what << " #" << i;
    EXPECT_EQ(r.stream_data, s.data) << what;
}

TEST(RecordDecoder, OneShotMatchesExpected) {
    const Stream s = build_stream();
    const auto r = fcgitest::decode_all(s.wire);
    expect_same(r, s, "one shot");
    // One fragment per record when nothing is split.
    EXPECT_EQ(r.fragments, s.expect.size());
}

TEST(RecordDecoder, ByteByByte) {
    const Stream s = build_stream();
    std::vector<std::string> chunks;
    for (char c : s.wire) chunks.emplace_back(1, c);
    expect_same(fcgitest::decode_chunks(chunks), s, "byte by byte");
}

TEST(RecordDecoder, EveryTwoWaySplit) {
    const Stream s = build_stream();
    for (std::size_t i = 0; i <= s.wire.size(); ++i) {
        const auto r = fcgitest::decode_chunks({s.wire.substr(0, i), s.wire.substr(i)});
        expect_same(r, s, "split at " + std::to_string(i));
        if (::testing::Test::HasFailure()) break;
    }
}

TEST(RecordDecoder, EveryThreeWaySplitOfShortStream) {
    std::string wire;
    append_record(wire, RecordType::Stdout, 1, as_bytes("abcde"), true);
    append_begin_request(wire, 2, Role::Authorizer);
    append_record(wire, RecordType::Stdout, 1, {});
    const auto ref = fcgitest::decode_all(wire);
    ASSERT_EQ(ref.records.size(), 3u);
    for (std::size_t i = 0; i <= wire.size(); ++i)
        for (std::size_t j = i; j <= wire.size(); ++j) {
            const auto r = fcgitest::decode_chunks({wire.substr(0, i), wire.substr(i, j - i), wire.substr(j)});
            ASSERT_EQ(r.records, ref.records) << i << "," << j;
            ASSERT_EQ(r.stream_data, ref.stream_data) << i << "," << j;
        }
}

TEST(RecordDecoder, AtBoundary) {
    RecordDecoder d;
    EXPECT_TRUE(d.at_boundary());
    std::string wire;
    append_record(wire, RecordType::Stdout, 1, as_bytes("abc"), true);  // 8 + 3 + 5
    std::size_t used = 0;
    Fragment f;
    EXPECT_EQ(d.next(as_bytes(wire).first(3), used, f), Errc::need_more);
    EXPECT_EQ(used, 3u);
    EXPECT_FALSE(d.at_boundary());
    EXPECT_EQ(d.next(as_bytes(wire).subspan(3, 7), used, f), Errc::ok);  // header rest + "ab"
    EXPECT_EQ(used, 7u);
    EXPECT_EQ(std::string(f.data.begin(), f.data.end()), "ab");
    EXPECT_FALSE(f.last);
    EXPECT_FALSE(d.at_boundary());
    EXPECT_EQ(d.next(as_bytes(wire).subspan(10, 3), used, f), Errc::ok);  // "c" + 2 padding not yet
    EXPECT_EQ(std::string(f.data.begin(), f.data.end()), "c");
    EXPECT_TRUE(f.last);
    EXPECT_EQ(used, 1u) << "a fragment is returned as soon as it is complete";
    EXPECT_FALSE(d.at_boundary()) << "padding still to skip";
    EXPECT_EQ(d.next(as_bytes(wire).subspan(11), used, f), Errc::need_more);
    EXPECT_EQ(used, 5u);
    EXPECT_TRUE(d.at_boundary());
    EXPECT_EQ(d.error(), Errc::ok);
}

TEST(RecordDecoder, TruncatedInputNeedsMore) {
    std::string wire;
    append_end_request(wire, 1, {3, 0});
    for (std::size_t cut = 0; cut < wire.size(); ++cut) {
        RecordDecoder d;
        fcgitest::Exact part(wire.substr(0, cut));
        std::size_t used = 999;
        Fragment f;
        ASSERT_EQ(d.next(part.span(), used, f), Errc::need_more) << cut;
        EXPECT_EQ(used, cut);
        fcgitest::Exact rest(wire.substr(cut));
        ASSERT_EQ(d.next(rest.span(), used, f), Errc::ok) << cut;
        EXPECT_EQ(used, wire.size() - cut);
        EXPECT_EQ(f.type, RecordType::EndRequest);
        EXPECT_EQ(parse_end_request(f.data).app_status, 3u);
    }
    // An empty span on a fresh decoder.
    RecordDecoder d;
    std::size_t used = 7;
    Fragment f;
    EXPECT_EQ(d.next({}, used, f), Errc::need_more);
    EXPECT_EQ(used, 0u);
}

TEST(RecordDecoder, DiscreteBodyAcrossCallsIsDeliveredWhole) {
    std::string wire;
    append_begin_request(wire, 9, Role::Filter, 0);
    RecordDecoder d;
    std::size_t used = 0;
    Fragment f;
    for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
        fcgitest::Exact b(wire.substr(i, 1));
        ASSERT_EQ(d.next(b.span(), used, f), Errc::need_more) << i;
    }
    fcgitest::Exact b(wire.substr(wire.size() - 1));
    ASSERT_EQ(d.next(b.span(), used, f), Errc::ok);
    ASSERT_EQ(f.data.size(), 8u);
    EXPECT_TRUE(f.last);
    EXPECT_EQ(f.request_id, 9);
    EXPECT_EQ(parse_begin_request(f.data).role, Role::Filter);
}

// ---------------------------------------------------------------- malformed

Errc decode_error(const std::string& wire, std::size_t* consumed_total = nullptr) {
    const auto r = fcgitest::decode_all(wire);
    if (consumed_total) *consumed_total = r.consumed;
    return r.final;
}

TEST(RecordDecoder, BadVersion) {
    for (int v : {0, 2, 255}) {
        std::string wire = s8(make_header(RecordType::Stdout, 1, 0));
        wire[0] = static_cast<char>(v);
        EXPECT_EQ(decode_error(wire), Errc::bad_version) << v;
    }
}

TEST(RecordDecoder, UnknownType) {
    for (int t : {0, 12, 42, 255}) {
        std::string wire = s8(make_header(RecordType::Stdout, 1, 0));
        wire[1] = static_cast<char>(t);
        EXPECT_EQ(decode_error(wire), Errc::unknown_type) << t;
    }
}

TEST(RecordDecoder, DiscreteRecordsMustBeEightBytes) {
    for (auto t : {RecordType::BeginRequest, RecordType::EndRequest, RecordType::UnknownType}) {
        for (std::size_t len : {0u, 1u, 7u, 9u, 16u, 65535u}) {
            std::string wire = s8(make_header(t, 1, len)) + std::string(len, '\0');
            EXPECT_EQ(decode_error(wire), Errc::bad_length) << to_string(t) << " len " << len;
        }
    }
}

TEST(RecordDecoder, ErrorAfterGoodRecordsAndSticky) {
    std::string wire;
    append_record(wire, RecordType::Stdout, 1, as_bytes("ok"));
    std::string bad = s8(make_header(RecordType::EndRequest, 1, 7)) + std::string(7, '\0');
    std::string good;
    append_end_request(good, 1, {0, 0});

    RecordDecoder d;
    fcgitest::Exact in(wire + bad + good);
    std::size_t used = 0;
    Fragment f;
    ASSERT_EQ(d.next(in.span(), used, f), Errc::ok);
    EXPECT_EQ(std::string(f.data.begin(), f.data.end()), "ok");
    const std::size_t off = used;
    EXPECT_EQ(d.next(in.span().subspan(off), used, f), Errc::bad_length);
    EXPECT_EQ(d.error(), Errc::bad_length);
    // Stuck: a good record afterwards still yields the error, consuming nothing.
    fcgitest::Exact g(good);
    for (int i = 0; i < 3; ++i) {
        used = 99;
        EXPECT_EQ(d.next(g.span(), used, f), Errc::bad_length);
        EXPECT_EQ(used, 0u);
    }
    used = 99;
    EXPECT_EQ(d.next({}, used, f), Errc::bad_length);
    EXPECT_EQ(used, 0u);
}

TEST(RecordDecoder, ErrorSurvivesEverySplit) {
    std::string wire;
    append_record(wire, RecordType::Stdout, 1, as_bytes("data"), true);
    std::string bad = s8(make_header(RecordType::Stdout, 1, 0));
    bad[0] = 2;
    wire += bad;
    for (std::size_t i = 0; i <= wire.size(); ++i) {
        const auto r = fcgitest::decode_chunks({wire.substr(0, i), wire.substr(i)});
        EXPECT_EQ(r.final, Errc::bad_version) << i;
        ASSERT_EQ(r.records.size(), 1u) << i;
        EXPECT_EQ(r.records[0].content, "data");
    }
}

TEST(RecordDecoder, LargestRecordAndStdoutSlices) {
    std::string content(kMaxContent, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i % 251);
    std::string wire = s8(make_header(RecordType::Stdout, 1, kMaxContent, 255)) + content + std::string(255, 'p');
    std::vector<std::string> chunks;
    for (std::size_t i = 0; i < wire.size(); i += 4093) chunks.push_back(wire.substr(i, 4093));
    const auto r = fcgitest::decode_chunks(chunks);
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].content, content);
    EXPECT_EQ(r.consumed, wire.size());
    EXPECT_GT(r.fragments, 10u) << "stream data must be handed out as it arrives";
}

}  // namespace
