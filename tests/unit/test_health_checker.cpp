// fcgi_pm/health_checker: probes against real Unix sockets (a listener that
// stays silent, one that answers FCGI_GET_VALUES, none), and the checker's
// rounds: verdicts written into the MemberState, one log line per change.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/get_values.hpp"
#include "fastcgi/nvpair.hpp"
#include "fastcgi/record.hpp"
#include "health_checker.hpp"

using namespace fastcgi;
using namespace fastcgi::pm;

namespace {

std::string temp_socket_path(const char* tag) {
    return "/tmp/fcgi_hc_" + std::to_string(::getpid()) + "_" + tag + ".sock";
}

int listen_unix(const std::string& path) {
    ::unlink(path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 8) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

HealthTarget target_for(const std::string& path, HealthCheckConfig::Kind kind, MemberState* st = nullptr) {
    HealthTarget t;
    t.app = "/srv/app.fcgi";
    t.where = "unix:" + path;
    auto* sa = reinterpret_cast<sockaddr_un*>(&t.addr);
    sa->sun_family = AF_UNIX;
    std::strncpy(sa->sun_path, path.c_str(), sizeof sa->sun_path - 1);
    t.addr_len = sizeof(sockaddr_un);
    t.check.kind = kind;
    t.check.timeout_ms = 100;
    t.check.interval = 1;
    t.check.fall = 2;
    t.check.rise = 2;
    t.state = st;
    return t;
}

TEST(HealthProbe, ConnectToAListenerIsOk) {
    const std::string path = temp_socket_path("ok");
    const int l = listen_unix(path);
    ASSERT_GE(l, 0);
    std::string why;
    EXPECT_EQ(probe(target_for(path, HealthCheckConfig::Kind::Connect), why), ProbeResult::Ok) << why;
    ::close(l);
    ::unlink(path.c_str());
}

TEST(HealthProbe, NoListenerFails) {
    const std::string path = temp_socket_path("none");
    ::unlink(path.c_str());
    std::string why;
    EXPECT_EQ(probe(target_for(path, HealthCheckConfig::Kind::Connect), why), ProbeResult::Failed);
    EXPECT_NE(why.find("No such file"), std::string::npos) << why;
    // A socket file nobody listens on any more: refused.
    const int l = listen_unix(path);
    ::close(l);
    EXPECT_EQ(probe(target_for(path, HealthCheckConfig::Kind::GetValues), why), ProbeResult::Failed);
    EXPECT_NE(why.find("refused"), std::string::npos) << why;
    ::unlink(path.c_str());
}

TEST(HealthProbe, SilenceToGetValuesIsSilentNotFailed) {
    const std::string path = temp_socket_path("silent");
    const int l = listen_unix(path);
    ASSERT_GE(l, 0);
    std::string why;
    EXPECT_EQ(probe(target_for(path, HealthCheckConfig::Kind::GetValues), why), ProbeResult::Silent);
    EXPECT_EQ(why, "no answer to FCGI_GET_VALUES");
    // One that accepts and closes (php-cgi after its answer, or an app
    // that does not know the record).
    std::thread closer([l] {
        const int c = ::accept(l, nullptr, nullptr);
        ::close(c);
    });
    EXPECT_EQ(probe(target_for(path, HealthCheckConfig::Kind::GetValues), why), ProbeResult::Silent);
    closer.join();
    ::close(l);
    ::unlink(path.c_str());
}

TEST(HealthProbe, AnAnswerToGetValuesIsOk) {
    const std::string path = temp_socket_path("answer");
    const int l = listen_unix(path);
    ASSERT_GE(l, 0);
    std::thread app([l] {
        const int c = ::accept(l, nullptr, nullptr);
        char buf[256];
        (void)::recv(c, buf, sizeof buf, 0);
        std::string body;
        append_pair(body, "FCGI_MAX_CONNS", "4");
        std::string out;
        append_record(out, RecordType::GetValuesResult, kNullRequestId,
                      Bytes(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
        (void)::send(c, out.data(), out.size(), MSG_NOSIGNAL);
        ::close(c);
    });
    std::string why;
    EXPECT_EQ(probe(target_for(path, HealthCheckConfig::Kind::GetValues), why), ProbeResult::Ok) << why;
    app.join();
    ::close(l);
    ::unlink(path.c_str());
}

TEST(HealthChecker, RoundsWriteTheVerdictAndLogEachChangeOnce) {
    const std::string path = temp_socket_path("rounds");
    ::unlink(path.c_str());
    MemberState st;
    st.down_until = 1;  // as a request's failed connect would have left it
    st.failures = 3;
    std::vector<std::string> lines;
    HealthChecker hc({target_for(path, HealthCheckConfig::Kind::Connect, &st)},
                     [&](LogLevel, int, const char*, int, const std::string& m) { lines.push_back(m); });
    std::int64_t now = 1'000'000'000;
    hc.round(now);
    EXPECT_EQ(static_cast<Health>(st.health.load()), Health::Unknown) << "one failure of -health-fall 2";
    EXPECT_EQ(hc.round(now + 500'000), now + 1'000'000) << "not due yet: the next round is at the interval";
    EXPECT_EQ(st.checks_failed.load(), 1u);
    hc.round(now += 1'000'000);
    EXPECT_EQ(static_cast<Health>(st.health.load()), Health::Down);
    EXPECT_FALSE(st.usable(now));
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("member unix:" + path + " is down (2 failed checks in a row"), std::string::npos)
        << lines[0];
    hc.round(now += 1'000'000);
    EXPECT_EQ(lines.size(), 1u) << "still down: no new line";

    const int l = listen_unix(path);
    ASSERT_GE(l, 0);
    hc.round(now += 1'000'000);
    EXPECT_EQ(static_cast<Health>(st.health.load()), Health::Down) << "one success of -health-rise 2";
    hc.round(now += 1'000'000);
    EXPECT_EQ(static_cast<Health>(st.health.load()), Health::Up);
    EXPECT_EQ(st.down_until.load(), 0) << "the requests' back-off is lifted";
    EXPECT_EQ(st.failures.load(), 0u);
    EXPECT_TRUE(st.usable(now));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[1].find("is up again (2 good checks in a row: connected)"), std::string::npos) << lines[1];
    EXPECT_EQ(st.checks_ok.load(), 2u);
    EXPECT_EQ(st.checks_failed.load(), 3u);
    ::close(l);
    ::unlink(path.c_str());
}

}  // namespace
