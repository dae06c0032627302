// See health_checker.hpp.
#include "health_checker.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "fastcgi/get_values.hpp"
#include "fastcgi/record.hpp"

namespace fastcgi::pm {

namespace {

std::int64_t now_us() {
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    return static_cast<std::int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

/// Waits for `events` on `fd` until `deadline_us`: >0 ready, 0 timed out.
int wait_for(int fd, short events, std::int64_t deadline_us) {
    while (true) {
        const std::int64_t left = deadline_us - now_us();
        if (left <= 0) return 0;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>((left + 999) / 1000));
        if (n < 0 && errno == EINTR) continue;
        return n;
    }
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

/// Asks FCGI_GET_VALUES on a connected socket: Ok on an answer, Silent on
/// silence, a close or anything else (an app that answers badly is not
/// marked down for it).
ProbeResult ask_values(int fd, std::int64_t deadline, std::string& why) {
    std::string out;
    append_get_values(out);
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
        why = std::string("send: ") + std::strerror(errno);
        return ProbeResult::Silent;
    }
    std::string in;
    while (true) {
        if (in.size() >= kHeaderSize) {
            const RecordHeader h = decode_header(reinterpret_cast<const std::uint8_t*>(in.data()));
            if (h.version != kVersion || (in.size() >= kHeaderSize + h.content_length &&
                                          h.type != RecordType::GetValuesResult)) {
                why = "answered FCGI_GET_VALUES with something else";
                return ProbeResult::Silent;
            }
            if (in.size() >= kHeaderSize + h.content_length) {
                why = "answered FCGI_GET_VALUES";
                return ProbeResult::Ok;
            }
        }
        if (wait_for(fd, POLLIN, deadline) <= 0) {
            why = "no answer to FCGI_GET_VALUES";
            return ProbeResult::Silent;
        }
        char buf[512];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) {
            why = "closed the connection on FCGI_GET_VALUES";
            return ProbeResult::Silent;
        }
        in.append(buf, static_cast<std::size_t>(n));
    }
}

}  // namespace

ProbeResult probe(const HealthTarget& t, std::string& why) {
    const std::int64_t deadline = now_us() + static_cast<std::int64_t>(t.check.timeout_ms) * 1000;
    const int family = reinterpret_cast<const sockaddr*>(&t.addr)->sa_family;
    Fd s{::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (s.fd < 0) {
        why = std::string("socket: ") + std::strerror(errno);
        return ProbeResult::Unknown;  // our trouble, not the member's
    }
    int err = 0;
    if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&t.addr), t.addr_len) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
            if (wait_for(s.fd, POLLOUT, deadline) <= 0) {
                // A full listen queue looks the same: a busy member is not
                // a dead one.
                why = "connect timed out";
                return ProbeResult::Unknown;
            }
            socklen_t len = sizeof err;
            if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        } else if (err == EAGAIN && family == AF_UNIX) {
            why = "listen queue full";
            return ProbeResult::Unknown;
        }
    }
    if (err != 0) {
        why = std::string("connect: ") + std::strerror(err);
        return ProbeResult::Failed;
    }
    if (t.check.kind != HealthCheckConfig::Kind::GetValues) {
        why = "connected";
        return ProbeResult::Ok;
    }
    return ask_values(s.fd, deadline, why);
}

HealthChecker::HealthChecker(std::vector<HealthTarget> targets, LogSink sink)
    : targets_(std::move(targets)), trackers_(targets_.size()), due_(targets_.size(), 0), log_(std::move(sink)) {}

std::int64_t HealthChecker::round(std::int64_t now) {
    std::int64_t next = now + 1000000;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
        if (due_[i] <= now) {
            std::string why;
            const ProbeResult r = probe(targets_[i], why);
            record(i, r, why);
            due_[i] = now + static_cast<std::int64_t>(targets_[i].check.interval) * 1000000;
        }
        next = std::min(next, due_[i]);
    }
    return next;
}

void HealthChecker::record(std::size_t i, ProbeResult r, const std::string& why) {
    const HealthTarget& t = targets_[i];
    HealthTracker& h = trackers_[i];
    MemberState* st = t.state;
    if (st) {
        std::atomic<std::uint64_t>& counter = r == ProbeResult::Ok       ? st->checks_ok
                                              : r == ProbeResult::Failed ? st->checks_failed
                                                                         : st->checks_unknown;  // Silent too
        ++counter;
    }
    const Health before = h.state;
    if (!h.record(r, t.check.fall, t.check.rise)) return;
    if (st) {
        st->health = static_cast<int>(h.state);
        // Back by the probes: tried again at once, whatever back-off the
        // requests' failed connects had set.
        if (h.state != Health::Down) {
            st->failures = 0;
            st->down_until = 0;
        }
    }
    if (h.state == Health::Down)
        log_(LogLevel::Err, 0,
             "FastCGI: server \"%s\": health check: member %s is down (%u failed checks in a row, last: %s); "
             "requests go to the other members",
             t.app.c_str(), t.where.c_str(), h.fails, why.c_str());
    else if (before == Health::Down && h.state == Health::Up)
        log_(LogLevel::Notice, 0, "FastCGI: server \"%s\": health check: member %s is up again (%u good checks in a row: %s)",
             t.app.c_str(), t.where.c_str(), h.oks, why.c_str());
    else if (before == Health::Down)
        log_(LogLevel::Notice, 0,
             "FastCGI: server \"%s\": health check: member %s accepts connections again (%u checks in a row, last: "
             "%s): requests go to it again",
             t.app.c_str(), t.where.c_str(), h.alive, why.c_str());
    else
        log_(LogLevel::Info, 0, "FastCGI: server \"%s\": health check: member %s is up (%s)", t.app.c_str(),
             t.where.c_str(), why.c_str());
}

void HealthChecker::run_in_background(std::vector<HealthTarget> targets, LogSink sink) {
    if (targets.empty()) return;
    auto* checker = new HealthChecker(std::move(targets), std::move(sink));
    std::thread([checker] {
        // The PM's signals are for its loop (its handlers write to a pipe
        // the loop polls), not for this thread's polls.
        sigset_t all;
        sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
        while (true) {
            const std::int64_t next = checker->round(now_us());
            const std::int64_t wait = next - now_us();
            if (wait > 0) ::usleep(static_cast<useconds_t>(std::min<std::int64_t>(wait, 1000000)));
        }
    }).detach();
}

}  // namespace fastcgi::pm
