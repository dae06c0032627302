// get_values.hpp: the FCGI_GET_VALUES question and the reading of answers
// (what real apps send: php-cgi's numbers, Go's multiplexing flag, junk).
#include <string>

#include <gtest/gtest.h>

#include "fastcgi/get_values.hpp"
#include "fastcgi/record.hpp"

using namespace fastcgi;

namespace {

Bytes as_bytes(const std::string& s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

std::string pairs(std::initializer_list<std::pair<std::string_view, std::string_view>> ps) {
    std::string out;
    for (const auto& [n, v] : ps) append_pair(out, n, v);
    return out;
}

TEST(GetValues, QuestionIsOneManagementRecordWithTheThreeNames) {
    std::string out;
    append_get_values(out);
    ASSERT_GE(out.size(), kHeaderSize);
    const RecordHeader h = decode_header(reinterpret_cast<const std::uint8_t*>(out.data()));
    EXPECT_EQ(h.type, RecordType::GetValues);
    EXPECT_EQ(h.request_id, kNullRequestId);
    ASSERT_EQ(out.size(), kHeaderSize + h.content_length + h.padding_length);
    std::string names;
    EXPECT_EQ(for_each_pair(as_bytes(out).subspan(kHeaderSize, h.content_length),
                            [&](std::string_view n, std::string_view v) {
                                EXPECT_TRUE(v.empty());
                                names += std::string(n) + " ";
                            }),
              Errc::ok);
    EXPECT_EQ(names, "FCGI_MAX_CONNS FCGI_MAX_REQS FCGI_MPXS_CONNS ");
}

TEST(GetValues, PhpAnswer) {
    AppLimits l;
    const std::string body = pairs({{"FCGI_MAX_CONNS", "2"}, {"FCGI_MAX_REQS", "2"}, {"FCGI_MPXS_CONNS", "0"}});
    ASSERT_EQ(parse_get_values_result(as_bytes(body), l), Errc::ok);
    EXPECT_EQ(l.max_conns, 2u);
    EXPECT_EQ(l.max_reqs, 2u);
    EXPECT_EQ(l.mpxs_conns, false);
    EXPECT_EQ(l.connections(), 2u);
}

TEST(GetValues, TheSmallerOfConnsAndReqsBounds) {
    AppLimits l;
    ASSERT_EQ(parse_get_values_result(as_bytes(pairs({{"FCGI_MAX_CONNS", "50"}, {"FCGI_MAX_REQS", "8"}})), l),
              Errc::ok);
    EXPECT_EQ(l.connections(), 8u);
    AppLimits only_reqs;
    ASSERT_EQ(parse_get_values_result(as_bytes(pairs({{"FCGI_MAX_REQS", "3"}})), only_reqs), Errc::ok);
    EXPECT_EQ(only_reqs.connections(), 3u);
}

TEST(GetValues, GoAnswerHasOnlyMultiplexing) {
    AppLimits l;
    ASSERT_EQ(parse_get_values_result(as_bytes(pairs({{"FCGI_MPXS_CONNS", "1"}})), l), Errc::ok);
    EXPECT_FALSE(l.connections());
    EXPECT_EQ(l.mpxs_conns, true);
}

TEST(GetValues, BadValuesAndUnknownNamesAreIgnored) {
    AppLimits l;
    const std::string body = pairs({{"FCGI_MAX_CONNS", "lots"}, {"FCGI_MAX_REQS", "0"}, {"FCGI_MPXS_CONNS", "7"},
                                    {"X_OTHER", "1"}, {"FCGI_MAX_CONNS", "-3"}, {"FCGI_MAX_REQS", "4x"}});
    ASSERT_EQ(parse_get_values_result(as_bytes(body), l), Errc::ok);
    EXPECT_FALSE(l.max_conns);
    EXPECT_FALSE(l.max_reqs);
    EXPECT_FALSE(l.mpxs_conns);
    EXPECT_FALSE(l.connections());
}

TEST(GetValues, MalformedEncodingIsAnError) {
    AppLimits l;
    std::string body = pairs({{"FCGI_MAX_CONNS", "2"}});
    body.resize(body.size() - 1);  // the value claims one byte more than there is
    EXPECT_NE(parse_get_values_result(as_bytes(body), l), Errc::ok);
}

TEST(GetValues, EmptyAnswerSaysNothing) {
    AppLimits l;
    EXPECT_EQ(parse_get_values_result(Bytes{}, l), Errc::ok);
    EXPECT_FALSE(l.connections());
}

}  // namespace
