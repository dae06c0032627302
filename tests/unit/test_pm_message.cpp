// pm_message.hpp: the datagrams httpd children send to the process manager.
// Round trips, golden bytes, and strict decoding of malformed input (each
// input in an exactly sized heap buffer so that ASan catches over-reads).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/pm_message.hpp"
#include "test_util.hpp"

using namespace fastcgi;
using fcgitest::bytes;
using fcgitest::Exact;
using fcgitest::hex;

namespace {

std::optional<PmMessage> decode(const std::string& s) {
    Exact buf(s);
    return decode_pm_message(buf.span());
}

void expect_same(const PmMessage& a, const PmMessage& b) {
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.group, b.group);
    EXPECT_EQ(a.queue_us, b.queue_us);
    EXPECT_EQ(a.service_us, b.service_us);
}

PmMessage sample(PmMessageType t = PmMessageType::Done) {
    PmMessage m;
    m.type = t;
    m.path = "/var/www/app.fcgi";
    m.user = "-";
    m.group = "-";
    m.queue_us = 1500;
    m.service_us = 250000;
    return m;
}

/// The encoding of sample(): built by hand from the format comment.
std::string sample_bytes() {
    std::string s = "FCPM";
    s += bytes({1, 'C', 0, 17});
    s += "/var/www/app.fcgi";
    s += bytes({1, '-', 1, '-'});
    s += bytes({0, 0, 0, 0, 0, 0, 0x05, 0xDC});  // 1500
    s += bytes({0, 0, 0, 0, 0, 0x03, 0xD0, 0x90});  // 250000
    return s;
}

TEST(PmMessage, RoundTripEveryType) {
    for (PmMessageType t : {PmMessageType::Start, PmMessageType::Restart, PmMessageType::Waited, PmMessageType::Done}) {
        PmMessage m = sample(t);
        m.user = "www-data";
        m.group = "www";
        m.queue_us = 0x0102030405060708ull;
        m.service_us = ~0ull;
        const auto enc = encode_pm_message(m);
        ASSERT_TRUE(enc) << int(t);
        EXPECT_EQ(static_cast<unsigned char>((*enc)[5]), static_cast<unsigned char>(t));
        const auto dec = decode(*enc);
        ASSERT_TRUE(dec) << hex(*enc);
        expect_same(*dec, m);
    }
}

TEST(PmMessage, TypeCodes) {
    EXPECT_EQ(static_cast<char>(PmMessageType::Start), 'S');
    EXPECT_EQ(static_cast<char>(PmMessageType::Restart), 'R');
    EXPECT_EQ(static_cast<char>(PmMessageType::Waited), 'T');
    EXPECT_EQ(static_cast<char>(PmMessageType::Done), 'C');
}

TEST(PmMessage, RoundTripBounds) {
    PmMessage m;
    m.type = PmMessageType::Start;
    m.path = "/";  // shortest path, empty user and group
    auto enc = encode_pm_message(m);
    ASSERT_TRUE(enc);
    EXPECT_EQ(enc->size(), 4u + 1 + 1 + 2 + 1 + 1 + 1 + 16);
    auto dec = decode(*enc);
    ASSERT_TRUE(dec);
    expect_same(*dec, m);

    m.path = "/" + std::string(kPmMaxPath - 1, 'p');
    m.user = std::string(kPmMaxName, 'u');
    m.group = std::string(kPmMaxName, 'g');
    m.path[100] = '\xff';  // any byte but NUL
    enc = encode_pm_message(m);
    ASSERT_TRUE(enc);
    EXPECT_EQ(enc->size(), kPmMaxDatagram) << "the largest message fills kPmMaxDatagram";
    dec = decode(*enc);
    ASSERT_TRUE(dec);
    expect_same(*dec, m);
}

TEST(PmMessage, GoldenBytes) {
    const auto enc = encode_pm_message(sample());
    ASSERT_TRUE(enc);
    EXPECT_EQ(hex(*enc), hex(sample_bytes()));
    const auto dec = decode(sample_bytes());
    ASSERT_TRUE(dec);
    expect_same(*dec, sample());
}

TEST(PmMessage, EncodeRefusesFieldsOverTheirBounds) {
    PmMessage m = sample();
    m.path.clear();
    EXPECT_FALSE(encode_pm_message(m)) << "empty path";
    m.path = std::string(kPmMaxPath + 1, 'p');
    EXPECT_FALSE(encode_pm_message(m));
    m.path = std::string(kPmMaxPath, 'p');
    EXPECT_TRUE(encode_pm_message(m));
    m.user = std::string(kPmMaxName + 1, 'u');
    EXPECT_FALSE(encode_pm_message(m));
    m.user = "-";
    m.group = std::string(kPmMaxName + 1, 'g');
    EXPECT_FALSE(encode_pm_message(m));
}

TEST(PmMessage, DecodeRejectsBadMagic) {
    for (std::size_t i = 0; i < 4; ++i) {
        std::string s = sample_bytes();
        s[i] = static_cast<char>(s[i] ^ 0x20);  // "fCPM", ...
        EXPECT_FALSE(decode(s)) << hex(s);
    }
}

TEST(PmMessage, DecodeRejectsBadVersion) {
    for (int v : {0, 2, 0x31, 0xff}) {
        std::string s = sample_bytes();
        s[4] = static_cast<char>(v);
        EXPECT_FALSE(decode(s)) << v;
    }
}

TEST(PmMessage, DecodeRejectsUnknownType) {
    int accepted = 0;
    for (int t = 0; t < 256; ++t) {
        std::string s = sample_bytes();
        s[5] = static_cast<char>(t);
        const auto m = decode(s);
        if (t == 'S' || t == 'R' || t == 'T' || t == 'C') {
            ASSERT_TRUE(m) << t;
            EXPECT_EQ(static_cast<int>(m->type), t);
            ++accepted;
        } else {
            EXPECT_FALSE(m) << t;
        }
    }
    EXPECT_EQ(accepted, 4);
}

TEST(PmMessage, DecodeRejectsEmptyPath) {
    const std::string s = "FCPM" + bytes({1, 'S', 0, 0}) + bytes({0, 0}) + std::string(16, '\0');
    EXPECT_FALSE(decode(s));
}

TEST(PmMessage, DecodeRejectsPathOver4096) {
    auto with_path = [](std::size_t n) {
        return "FCPM" + bytes({1, 'S', int(n >> 8), int(n & 0xff)}) + std::string(n, 'p') + bytes({0, 0}) +
               std::string(16, '\0');
    };
    EXPECT_TRUE(decode(with_path(4096)));
    EXPECT_FALSE(decode(with_path(4097)));
    EXPECT_FALSE(decode(with_path(65535)));
}

TEST(PmMessage, DecodeRejectsUserOrGroupOver64) {
    auto with = [](std::size_t user, std::size_t group) {
        return "FCPM" + bytes({1, 'T', 0, 1, '/'}) + bytes({int(user)}) + std::string(user, 'u') +
               bytes({int(group)}) + std::string(group, 'g') + std::string(16, '\0');
    };
    EXPECT_TRUE(decode(with(64, 64)));
    EXPECT_FALSE(decode(with(65, 0)));
    EXPECT_FALSE(decode(with(0, 65)));
    EXPECT_FALSE(decode(with(255, 0)));
}

TEST(PmMessage, DecodeRejectsTruncationAtEveryByte) {
    PmMessage m = sample();
    m.user = "alice";
    m.group = "staff";
    const std::string full = *encode_pm_message(m);
    ASSERT_TRUE(decode(full));
    for (std::size_t n = 0; n < full.size(); ++n) EXPECT_FALSE(decode(full.substr(0, n))) << "length " << n;
    // Also with an empty span that has no buffer at all.
    EXPECT_FALSE(decode_pm_message(Bytes{}));
}

TEST(PmMessage, DecodeRejectsTrailingGarbage) {
    EXPECT_FALSE(decode(sample_bytes() + bytes({0})));
    EXPECT_FALSE(decode(sample_bytes() + "x"));
    EXPECT_FALSE(decode(sample_bytes() + sample_bytes()));
}

TEST(PmMessage, DecodeRejectsNul) {
    // In the path (first, middle, last byte), in the user and in the group.
    for (std::size_t at : {std::size_t{8}, std::size_t{12}, std::size_t{24}}) {
        std::string s = sample_bytes();
        s[at] = '\0';
        EXPECT_FALSE(decode(s)) << at;
    }
    std::string s = sample_bytes();
    s[26] = '\0';  // user "-"
    EXPECT_FALSE(decode(s));
    s = sample_bytes();
    s[28] = '\0';  // group "-"
    EXPECT_FALSE(decode(s));
}

TEST(PmMessage, DecodeRejectsLengthsThatOverrunTheDatagram) {
    // A length byte claiming more than is left is a truncation, not a read
    // past the end (ASan checks the latter).
    std::string s = sample_bytes();
    s[7] = 18;  // path one byte longer than sent: the rest no longer parses
    EXPECT_FALSE(decode(s));
    s = sample_bytes();
    s[25] = 64;  // user length 64 but the datagram has 20 bytes left
    EXPECT_FALSE(decode(s));
}

}  // namespace
