// See get_values_probe.hpp.
#include "get_values_probe.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "fastcgi/get_values.hpp"
#include "upstream.hpp"

namespace fastcgi::httpd {

namespace {

/// Short: a single-process app is held by the question while it lasts
/// (libfcgi never answers it, and waits for a request instead).
constexpr apr_interval_time_t kProbeTimeout = apr_time_from_msec(250);
constexpr unsigned kMultiplexing = 1024;  ///< "any": an app that multiplexes

enum class Answer { Unreachable, None, Given };

/// Sends GET_VALUES on a fresh connection and reads the answer into
/// `limits`.
Answer ask(const App& app, AppLimits& limits) {
    apr_status_t rv = APR_SUCCESS;
    const int fd = connect_to(app, kProbeTimeout, rv);
    if (fd < 0) return Answer::Unreachable;
    std::string out;
    append_get_values(out);
    bool ok = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
    std::string in;
    const apr_time_t deadline = apr_time_now() + kProbeTimeout;
    while (ok) {
        if (in.size() >= kHeaderSize) {
            const RecordHeader h = decode_header(reinterpret_cast<const std::uint8_t*>(in.data()));
            const std::size_t whole = kHeaderSize + h.content_length + h.padding_length;
            if (h.version != kVersion) break;
            if (in.size() >= whole) {
                if (h.type != RecordType::GetValuesResult) break;
                const Bytes content(reinterpret_cast<const std::uint8_t*>(in.data()) + kHeaderSize, h.content_length);
                ::close(fd);
                return parse_get_values_result(content, limits) == Errc::ok ? Answer::Given : Answer::None;
            }
        }
        const apr_interval_time_t left = deadline - apr_time_now();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>((left + 999) / 1000)) <= 0) break;
        char buf[1024];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return Answer::None;
}

std::string shown(const std::optional<unsigned>& v) { return v ? std::to_string(*v) : "-"; }

}  // namespace

std::optional<unsigned> connections_app_serves(server_rec* s, const App& app) {
    AppLimits limits;
    const Answer answer = ask(app, limits);
    if (answer == Answer::Unreachable) return std::nullopt;
    const bool answered = answer == Answer::Given;
    unsigned n = 1;
    if (const auto c = limits.connections())
        n = *c;
    else if (limits.mpxs_conns.value_or(false))
        n = kMultiplexing;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                  "FastCGI: server \"%s\" at %s: keeping up to %u connection(s) open (FCGI_GET_VALUES: %s; "
                  "FCGI_MAX_CONNS=%s FCGI_MAX_REQS=%s FCGI_MPXS_CONNS=%s)",
                  app.config.filename.c_str(), app.where.c_str(), n, answered ? "answered" : "no answer",
                  shown(limits.max_conns).c_str(), shown(limits.max_reqs).c_str(),
                  limits.mpxs_conns ? (*limits.mpxs_conns ? "1" : "0") : "-");
    return n;
}

}  // namespace fastcgi::httpd
