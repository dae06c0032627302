// app_options.hpp / app_config.hpp: parse_unsigned, parse_host_port and
// parse_external_server (FastCgiExternalServer tokens -> AppConfig).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/app_config.hpp"
#include "fastcgi/app_options.hpp"

using namespace fastcgi;

namespace {

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

std::optional<ConfigError> ext(std::vector<std::string_view> args, AppConfig& app) {
    return parse_external_server(std::span<const std::string_view>(args.data(), args.size()), app);
}

// ---------------------------------------------------------------- parse_unsigned

TEST(ParseUnsigned, Accepts) {
    unsigned out = 7;
    EXPECT_FALSE(parse_unsigned("-x", "0", 0, 10, out));
    EXPECT_EQ(out, 0u);
    EXPECT_FALSE(parse_unsigned("-x", "10", 0, 10, out));
    EXPECT_EQ(out, 10u);
    EXPECT_FALSE(parse_unsigned("-x", "0086400", 1, 86400, out));
    EXPECT_EQ(out, 86400u);
    EXPECT_FALSE(parse_unsigned("-x", "4294967295", 0, 4294967295u, out));
    EXPECT_EQ(out, 4294967295u);
}

TEST(ParseUnsigned, RefusesSyntax) {
    for (std::string_view v : {"", "-1", "+1", " 1", "1 ", "1x", "x", "0x10", "1.5", "-0"}) {
        unsigned out = 7;
        const auto e = parse_unsigned("-opt", v, 0, 100, out);
        ASSERT_TRUE(e) << '"' << v << '"';
        EXPECT_EQ(e->option, "-opt");
        EXPECT_TRUE(contains(e->message, "non-negative integer")) << e->message;
        EXPECT_TRUE(contains(e->message, "\"" + std::string(v) + "\"")) << "the bad value is quoted";
        EXPECT_EQ(out, 7u) << "output untouched on error";
    }
}

TEST(ParseUnsigned, RefusesRange) {
    for (std::string_view v : {"0", "101", "4294967296", "99999999999999999999"}) {
        unsigned out = 7;
        const auto e = parse_unsigned("-opt", v, 1, 100, out);
        ASSERT_TRUE(e) << v;
        EXPECT_EQ(e->option, "-opt");
        EXPECT_TRUE(contains(e->message, "between 1 and 100")) << e->message;
        EXPECT_EQ(out, 7u);
    }
}

// ---------------------------------------------------------------- parse_host_port

TEST(ParseHostPort, Valid) {
    struct Case {
        const char* in;
        const char* host;
        unsigned port;
    };
    for (const Case& c : {Case{"127.0.0.1:9000", "127.0.0.1", 9000}, Case{"localhost:80", "localhost", 80},
                          Case{"[::1]:9000", "::1", 9000}, Case{"[fe80::1%eth0]:1", "fe80::1%eth0", 1},
                          Case{"app.example.org:65535", "app.example.org", 65535}}) {
        std::string host = "old";
        std::uint16_t port = 0;
        ASSERT_FALSE(parse_host_port("-host", c.in, host, port)) << c.in;
        EXPECT_EQ(host, c.host);
        EXPECT_EQ(port, c.port);
    }
}

TEST(ParseHostPort, Invalid) {
    struct Case {
        const char* in;
        const char* msg;
    };
    for (const Case& c : {Case{"localhost", "missing port"}, Case{"localhost:", "missing port"},
                          Case{"[::1]", "missing port"}, Case{"[::1]:", "missing port"},
                          Case{"[::1]9000", "missing port"}, Case{"[]:80", "IPv6"}, Case{"[::1:80", "IPv6"},
                          Case{"::1:9000", "brackets"}, Case{"fe80::1:80", "brackets"},
                          Case{":80", "missing host"}, Case{"h:0", "between 1 and 65535"},
                          Case{"h:65536", "between 1 and 65535"}, Case{"h:70000", "between 1 and 65535"},
                          Case{"h:abc", "non-negative"}, Case{"h:-1", "non-negative"},
                          Case{"h:80x", "non-negative"}, Case{"", "missing port"}}) {
        std::string host = "old";
        std::uint16_t port = 42;
        const auto e = parse_host_port("-host", c.in, host, port);
        ASSERT_TRUE(e) << c.in;
        EXPECT_EQ(e->option, "-host") << c.in;
        EXPECT_TRUE(contains(e->message, c.msg)) << c.in << ": " << e->message;
        EXPECT_EQ(host, "old") << c.in;
        EXPECT_EQ(port, 42) << c.in;
    }
}

TEST(ParseHostPort, PortErrorsMentionPort) {
    std::string host;
    std::uint16_t port = 0;
    const auto e = parse_host_port("-host", "h:0", host, port);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message.rfind("port ", 0), 0u) << e->message;
}

// ---------------------------------------------------------------- parse_external_server

TEST(ExternalServer, HostAndDefaults) {
    AppConfig app;
    app.kind = AppKind::Dynamic;
    ASSERT_FALSE(ext({"-host", "127.0.0.1:9000"}, app));
    EXPECT_EQ(app.kind, AppKind::External);
    EXPECT_EQ(app.host, "127.0.0.1");
    EXPECT_EQ(app.port, 9000);
    EXPECT_TRUE(app.uses_tcp());
    EXPECT_TRUE(app.socket_path.empty());
    EXPECT_EQ(app.idle_timeout, 30u);
    EXPECT_EQ(app.app_conn_timeout, 0u);
    EXPECT_EQ(Defaults::idle_timeout, 30u);
    EXPECT_EQ(Defaults::app_conn_timeout, 0u);
    EXPECT_FALSE(app.flush);
    EXPECT_FALSE(app.nph);
    EXPECT_TRUE(app.pass_headers.empty());
    EXPECT_TRUE(app.user.empty());
    EXPECT_TRUE(app.group.empty());
}

TEST(ExternalServer, Socket) {
    AppConfig app;
    ASSERT_FALSE(ext({"-socket", "/run/php/fpm.sock"}, app));
    EXPECT_EQ(app.socket_path, "/run/php/fpm.sock");
    EXPECT_FALSE(app.uses_tcp());
    EXPECT_TRUE(app.host.empty());
    AppConfig rel;
    ASSERT_FALSE(ext({"-socket", "relative.sock"}, rel));
    EXPECT_EQ(rel.socket_path, "relative.sock") << "kept as given; the glue resolves it";
}

TEST(ExternalServer, EveryOption) {
    AppConfig app;
    ASSERT_FALSE(ext({"-host", "[::1]:9001", "-appConnTimeout", "5", "-idle-timeout", "60", "-flush", "-nph",
                      "-pass-header", "Authorization", "-pass-header", "X-Forwarded-For", "-user", "www",
                      "-group", "web"},
                     app));
    EXPECT_EQ(app.host, "::1");
    EXPECT_EQ(app.port, 9001);
    EXPECT_EQ(app.app_conn_timeout, 5u);
    EXPECT_EQ(app.idle_timeout, 60u);
    EXPECT_TRUE(app.flush);
    EXPECT_TRUE(app.nph);
    EXPECT_EQ(app.pass_headers, (std::vector<std::string>{"Authorization", "X-Forwarded-For"}));
    EXPECT_EQ(app.user, "www");
    EXPECT_EQ(app.group, "web");
}

TEST(ExternalServer, OptionNamesAreCaseInsensitive) {
    AppConfig app;
    ASSERT_FALSE(ext({"-HOST", "name.example:80", "-APPCONNTIMEOUT", "3", "-Idle-Timeout", "9", "-FLUSH", "-NpH",
                      "-PASS-HEADER", "A", "-Pass-Header", "B", "-USER", "u", "-Group", "g"},
                     app));
    EXPECT_EQ(app.host, "name.example");
    EXPECT_EQ(app.port, 80);
    EXPECT_EQ(app.app_conn_timeout, 3u);
    EXPECT_EQ(app.idle_timeout, 9u);
    EXPECT_TRUE(app.flush);
    EXPECT_TRUE(app.nph);
    EXPECT_EQ(app.pass_headers, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(app.user, "u");
    EXPECT_EQ(app.group, "g");
    AppConfig s;
    ASSERT_FALSE(ext({"-SoCkEt", "/tmp/s", "-appconntimeout", "0"}, s));
    EXPECT_EQ(s.socket_path, "/tmp/s");
    EXPECT_TRUE(iequals("-Idle-Timeout", "-idle-timeout"));
    EXPECT_FALSE(iequals("-idle-timeout", "-idle-timeou"));
    EXPECT_FALSE(iequals("-idle_timeout", "-idle-timeout"));
}

TEST(ExternalServer, HostOrSocketMissing) {
    for (std::vector<std::string_view> args : {std::vector<std::string_view>{},
                                               std::vector<std::string_view>{"-flush"},
                                               std::vector<std::string_view>{"-idle-timeout", "5", "-nph"}}) {
        AppConfig app;
        const auto e = ext(args, app);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->option, "");
        EXPECT_EQ(e->message, "-socket or -host option missing");
    }
}

TEST(ExternalServer, HostAndSocketBoth) {
    AppConfig app;
    const auto e = ext({"-host", "h:1", "-socket", "/tmp/s"}, app);
    ASSERT_TRUE(e);
    EXPECT_TRUE(contains(e->message, "-host")) << e->message;
    EXPECT_TRUE(contains(e->message, "-socket")) << e->message;
    EXPECT_TRUE(contains(e->message, "exclusive")) << e->message;
}

struct ErrCase {
    std::vector<std::string_view> args;
    const char* option;
    const char* msg;
};

class ExternalServerErrors : public ::testing::TestWithParam<ErrCase> {};

TEST_P(ExternalServerErrors, Refused) {
    const ErrCase& c = GetParam();
    AppConfig app;
    const auto e = ext(c.args, app);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->option, c.option) << e->message;
    EXPECT_TRUE(contains(e->message, c.msg)) << e->message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ExternalServerErrors,
    ::testing::Values(
        ErrCase{{"-host", "localhost"}, "-host", "missing port"},
        ErrCase{{"-host", "localhost:0"}, "-host", "between 1 and 65535"},
        ErrCase{{"-host", "localhost:70000"}, "-host", "\"70000\""},
        ErrCase{{"-host", "localhost:abc"}, "-host", "\"abc\""},
        ErrCase{{"-host", "::1:9000"}, "-host", "brackets"},
        ErrCase{{"-host", "[::1]"}, "-host", "missing port"},
        ErrCase{{"-socket", "/tmp/s", "-idle-timeout", "0"}, "-idle-timeout", "between 1 and 86400"},
        ErrCase{{"-socket", "/tmp/s", "-idle-timeout", "86401"}, "-idle-timeout", "between 1 and 86400"},
        ErrCase{{"-socket", "/tmp/s", "-appConnTimeout", "-1"}, "-appConnTimeout", "non-negative"},
        ErrCase{{"-socket", "/tmp/s", "-appConnTimeout", "x"}, "-appConnTimeout", "\"x\""},
        ErrCase{{"-socket", "/tmp/s", "-bogus"}, "-bogus", "-bogus"},
        ErrCase{{"-socket", "/tmp/s", "-Priority", "3"}, "-Priority", "invalid option"},
        ErrCase{{"/tmp/s"}, "/tmp/s", "invalid option"},
        ErrCase{{"-socket"}, "-socket", "missing value"},
        ErrCase{{"-host"}, "-host", "missing value"},
        ErrCase{{"-socket", "/tmp/s", "-idle-timeout"}, "-idle-timeout", "missing value"},
        ErrCase{{"-socket", "/tmp/s", "-appConnTimeout"}, "-appConnTimeout", "missing value"},
        ErrCase{{"-socket", "/tmp/s", "-pass-header"}, "-pass-header", "missing value"},
        ErrCase{{"-socket", "/tmp/s", "-pass-header", ""}, "-pass-header", "missing value"},
        ErrCase{{"-socket", "/tmp/s", "-user"}, "-user", "missing value"},
        ErrCase{{"-socket", "/tmp/s", "-group"}, "-group", "missing value"},
        ErrCase{{"-socket", ""}, "-socket", "missing value"}));

TEST(ExternalServer, SocketPathLength) {
    const std::string p107 = "/" + std::string(106, 's');
    const std::string p108 = p107 + "x";
    ASSERT_EQ(p107.size(), kMaxSocketPath);
    AppConfig ok;
    ASSERT_FALSE(ext({"-socket", p107}, ok));
    EXPECT_EQ(ok.socket_path, p107);
    AppConfig bad;
    const auto e = ext({"-socket", p108}, bad);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->option, "-socket");
    EXPECT_TRUE(contains(e->message, "too long")) << e->message;
}

TEST(ExternalServer, FirstErrorWins) {
    AppConfig app;
    const auto e = ext({"-idle-timeout", "0", "-bogus"}, app);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->option, "-idle-timeout");
}

}  // namespace

// ---------------------------------------------------------------- connection reuse

namespace {

TEST(KeepConn, DefaultsPerKind) {
    AppConfig ext_app;
    ASSERT_FALSE(ext({"-socket", "a.sock"}, ext_app));
    EXPECT_FALSE(ext_app.reuses_connections()) << "external apps: off unless asked, as in the original";
    EXPECT_EQ(ext_app.max_conns, 0u);
    AppConfig st;
    std::vector<std::string_view> none;
    ASSERT_FALSE(parse_static_server(std::span<const std::string_view>(none.data(), none.size()), st));
    EXPECT_TRUE(st.reuses_connections()) << "static apps: on by default";
}

TEST(KeepConn, Options) {
    AppConfig a;
    ASSERT_FALSE(ext({"-socket", "a.sock", "-keep-conn", "-max-conns", "12"}, a));
    EXPECT_TRUE(a.reuses_connections());
    EXPECT_EQ(a.max_conns, 12u);
    AppConfig st;
    std::vector<std::string_view> off = {"-no-keep-conn", "-processes", "3"};
    ASSERT_FALSE(parse_static_server(std::span<const std::string_view>(off.data(), off.size()), st));
    EXPECT_FALSE(st.reuses_connections());
}

TEST(KeepConn, MaxConnsRange) {
    for (std::string_view bad : {"0", "65536", "x", "-1"}) {
        AppConfig a;
        const auto err = ext({"-socket", "a.sock", "-max-conns", bad}, a);
        ASSERT_TRUE(err) << bad;
        EXPECT_EQ(err->option, "-max-conns");
    }
    AppConfig a;
    const auto err = ext({"-socket", "a.sock", "-max-conns"}, a);
    ASSERT_TRUE(err);
    EXPECT_TRUE(contains(err->message, "missing value"));
}

}  // namespace

TEST(StaticServer, AutoUpdateMeansARollingReload) {
    AppConfig st;
    std::vector<std::string_view> none;
    ASSERT_FALSE(parse_static_server(std::span<const std::string_view>(none.data(), none.size()), st));
    EXPECT_FALSE(st.auto_update) << "off by default";
    AppConfig on;
    std::vector<std::string_view> args = {"-processes", "2", "-AUTOUPDATE"};
    ASSERT_FALSE(parse_static_server(std::span<const std::string_view>(args.data(), args.size()), on));
    EXPECT_TRUE(on.auto_update);
    EXPECT_EQ(on.processes, 2u);
}
