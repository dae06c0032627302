// Directive tokens -> AppConfig, for FastCgiExternalServer (and, as they are
// added, FastCgiServer and FastCgiConfig). Pure: no file-system access and no
// name resolution; the glue resolves paths and hosts and adds the directive
// name and file:line to every error.
//
// Rules kept from the original: option names are case-insensitive; each
// value is the next token. Deliberate fixes: negative numbers are refused
// (the original let them wrap), the bad value is the one quoted, and an
// empty -pass-header is refused.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/app_config.hpp"
#include "fastcgi/handoff_path.hpp"

namespace fastcgi {

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// Parses an unsigned decimal in [min, max]; refuses signs, blanks and tails.
inline std::optional<ConfigError> parse_unsigned(std::string_view option, std::string_view v, unsigned min,
                                                 unsigned max, unsigned& out) {
    unsigned value = 0;
    const auto* end = v.data() + v.size();
    const auto r = std::from_chars(v.data(), end, value);
    if (v.empty() || r.ec == std::errc::invalid_argument || r.ptr != end)
        return ConfigError{std::string(option), "\"" + std::string(v) + "\" must be a non-negative integer"};
    if (r.ec == std::errc::result_out_of_range || value < min || value > max)
        return ConfigError{std::string(option), "\"" + std::string(v) + "\" must be between " +
                                                    std::to_string(min) + " and " + std::to_string(max)};
    out = value;
    return std::nullopt;
}

/// Splits "host:port", "[v6addr]:port" into host (brackets removed) and port.
inline std::optional<ConfigError> parse_host_port(std::string_view option, std::string_view v, std::string& host,
                                                  std::uint16_t& port) {
    std::string_view h, p;
    if (!v.empty() && v.front() == '[') {
        const auto close = v.find(']');
        if (close == std::string_view::npos || close == 1)
            return ConfigError{std::string(option), "invalid IPv6 address in \"" + std::string(v) + "\""};
        h = v.substr(1, close - 1);
        const auto rest = v.substr(close + 1);
        if (rest.empty() || rest.front() != ':' || rest.size() == 1)
            return ConfigError{std::string(option), "missing port specification in \"" + std::string(v) + "\""};
        p = rest.substr(1);
    } else {
        const auto colon = v.rfind(':');
        if (colon == std::string_view::npos || colon + 1 == v.size())
            return ConfigError{std::string(option), "missing port specification in \"" + std::string(v) + "\""};
        h = v.substr(0, colon);
        if (h.find(':') != std::string_view::npos)
            return ConfigError{std::string(option),
                               "an IPv6 address must be written in brackets: \"" + std::string(v) + "\""};
        p = v.substr(colon + 1);
    }
    if (h.empty()) return ConfigError{std::string(option), "missing host in \"" + std::string(v) + "\""};
    unsigned n = 0;
    if (auto e = parse_unsigned(option, p, 1, 65535, n)) {
        e->message = "port " + e->message;
        return e;
    }
    host = std::string(h);
    port = static_cast<std::uint16_t>(n);
    return std::nullopt;
}

/// Longest Unix socket path (sun_path holds 108 bytes with the NUL).
inline constexpr std::size_t kMaxSocketPath = 107;

/// Walks directive tokens as "-option [value]" pairs. `handle(opt, next)`
/// returns std::nullopt when it took the option (calling `next(v)` to take a
/// value), or an error.
class OptionWalker {
public:
    explicit OptionWalker(std::span<const std::string_view> args) : args_(args) {}

    template <class Handle>
    std::optional<ConfigError> walk(Handle&& handle) {
        for (i_ = 0; i_ < args_.size(); ++i_) {
            if (auto err = handle(args_[i_])) return err;
        }
        return std::nullopt;
    }

    /// The value after the current option, or an error naming the option.
    std::optional<ConfigError> value(std::string_view opt, std::string_view& v) {
        if (i_ + 1 >= args_.size() || args_[i_ + 1].empty())
            return ConfigError{std::string(opt), "missing value for " + std::string(opt)};
        v = args_[++i_];
        return std::nullopt;
    }

    std::optional<ConfigError> number(std::string_view opt, unsigned min, unsigned max, unsigned& out) {
        std::string_view v;
        if (auto e = value(opt, v)) return e;
        return parse_unsigned(opt, v, min, max, out);
    }

private:
    std::span<const std::string_view> args_;
    std::size_t i_ = 0;
};

inline std::optional<ConfigError> invalid_option(std::string_view opt) {
    return ConfigError{std::string(opt), "invalid option: " + std::string(opt)};
}

inline std::optional<ConfigError> parse_socket_path(std::string_view v, std::string& out) {
    if (v.size() > kMaxSocketPath)
        return ConfigError{"-socket", "path \"" + std::string(v) + "\" is too long for a Unix socket"};
    out = std::string(v);
    return std::nullopt;
}

/// -initial-env name[=[value]]: at most Defaults::max_init_env, name not empty.
inline std::optional<ConfigError> parse_initial_env(std::string_view v, std::vector<std::string>& env) {
    if (v.empty() || v.front() == '=')
        return ConfigError{"-initial-env", "invalid variable \"" + std::string(v) + "\": the name is empty"};
    if (env.size() >= Defaults::max_init_env)
        return ConfigError{"-initial-env", "too many variables, must be <= " + std::to_string(Defaults::max_init_env)};
    env.emplace_back(v);
    return std::nullopt;
}

/// -sendfile-root DIR / -sendfile-root-follow DIR: an absolute directory
/// without ".." (trailing slashes dropped); symlinks are resolved by the glue.
inline std::optional<ConfigError> parse_sendfile_root(std::string_view opt, std::string_view v, bool follow,
                                                      std::vector<SendfileRoot>& roots) {
    if (v.empty() || v.front() != '/')
        return ConfigError{std::string(opt), "\"" + std::string(v) + "\" must be an absolute directory"};
    if (has_dot_dot_segment(v))
        return ConfigError{std::string(opt), "\"" + std::string(v) + "\" must not contain \"..\""};
    while (v.size() > 1 && v.back() == '/') v.remove_suffix(1);
    roots.push_back(SendfileRoot{std::string(v), "", follow});
    return std::nullopt;
}

/// The X-Sendfile / X-Accel-Redirect options of FastCgiServer,
/// FastCgiExternalServer and FastCgiConfig; std::nullopt when `opt` is not
/// one of them (as common_option).
inline std::optional<std::optional<ConfigError>> handoff_option(OptionWalker& w, std::string_view opt,
                                                                HandoffConfig& h) {
    std::string_view v;
    if (iequals(opt, "-x-sendfile")) return h.x_sendfile = true, std::optional<ConfigError>{};
    if (iequals(opt, "-x-accel-redirect")) return h.x_accel_redirect = true, std::optional<ConfigError>{};
    const bool follow = iequals(opt, "-sendfile-root-follow");
    if (follow || iequals(opt, "-sendfile-root")) {
        const std::string_view name = follow ? "-sendfile-root-follow" : "-sendfile-root";
        if (auto e = w.value(name, v)) return e;
        return parse_sendfile_root(name, v, follow, h.roots);
    }
    return std::nullopt;
}

/// X-Sendfile serves nothing without an allowed root: refuse the
/// configuration rather than every request.
inline std::optional<ConfigError> check_handoff(const HandoffConfig& h) {
    if (h.x_sendfile && h.roots.empty())
        return ConfigError{"-x-sendfile", "-x-sendfile needs at least one -sendfile-root or -sendfile-root-follow"};
    return std::nullopt;
}

/// -max-in-flight N (0: no cap), -queue-depth N, -queue-timeout S of every
/// kind of app; std::nullopt when `opt` is not one of them (as common_option).
inline std::optional<std::optional<ConfigError>> admission_option(OptionWalker& w, std::string_view opt,
                                                                  AdmissionLimits& a) {
    unsigned n = 0;
    std::optional<ConfigError> err;
    if (iequals(opt, "-max-in-flight")) {
        if (!(err = w.number("-max-in-flight", 0, 65535, n))) {
            a.max_in_flight = n ? n : AdmissionLimits::kUnlimited;
            a.max_in_flight_set = true;
        }
    } else if (iequals(opt, "-queue-depth")) {
        if (!(err = w.number("-queue-depth", 0, 65535, n))) a.queue_depth = n, a.queue_depth_set = true;
    } else if (iequals(opt, "-queue-timeout")) {
        if (!(err = w.number("-queue-timeout", 0, 3600, n))) a.queue_timeout = n, a.queue_timeout_set = true;
    } else {
        return std::nullopt;
    }
    return err;
}

/// A queue without a cap never fills: refuse the configuration that
/// suggests otherwise (FastCgiServer, FastCgiExternalServer; FastCgiConfig
/// has a default cap).
inline std::optional<ConfigError> check_admission(const AdmissionLimits& a) {
    if ((a.queue_depth_set || a.queue_timeout_set) && !a.capped()) {
        const std::string opt = a.queue_depth_set ? "-queue-depth" : "-queue-timeout";
        return ConfigError{opt, opt + " needs -max-in-flight N (N > 0): without a cap nothing queues"};
    }
    return std::nullopt;
}

/// Options shared by FastCgiServer and FastCgiExternalServer (and, for the
/// handler's part, FastCgiConfig). Returns std::nullopt when `opt` is not
/// one of them, else the result (an empty ConfigError means "taken").
inline std::optional<std::optional<ConfigError>> common_option(OptionWalker& w, std::string_view opt,
                                                               AppConfig& app) {
    std::string_view v;
    std::optional<ConfigError> err;
    if (iequals(opt, "-appConnTimeout")) {
        err = w.number("-appConnTimeout", 0, 86400, app.app_conn_timeout);
    } else if (iequals(opt, "-idle-timeout")) {
        err = w.number("-idle-timeout", 1, 86400, app.idle_timeout);
    } else if (iequals(opt, "-flush")) {
        app.flush = true;
    } else if (iequals(opt, "-nph")) {
        app.nph = true;
    } else if (iequals(opt, "-keep-conn")) {
        app.keep_conn = AppConfig::KeepConn::On;
    } else if (iequals(opt, "-no-keep-conn")) {
        app.keep_conn = AppConfig::KeepConn::Off;
    } else if (iequals(opt, "-max-conns")) {
        err = w.number("-max-conns", 1, 65535, app.max_conns);
    } else if (iequals(opt, "-pass-header")) {
        if (!(err = w.value("-pass-header", v))) app.pass_headers.emplace_back(v);
    } else if (iequals(opt, "-socket")) {
        if (!(err = w.value("-socket", v))) err = parse_socket_path(v, app.socket_path);
    } else if (iequals(opt, "-user")) {
        if (!(err = w.value("-user", v))) app.user = std::string(v);
    } else if (iequals(opt, "-group")) {
        if (!(err = w.value("-group", v))) app.group = std::string(v);
    } else if (auto handoff = handoff_option(w, opt, app.handoff)) {
        err = *handoff;
    } else if (auto admission = admission_option(w, opt, app.admission)) {
        err = *admission;
    } else {
        return std::nullopt;
    }
    return err;
}

/// Most addresses one FastCgiExternalServer may balance over.
inline constexpr std::size_t kMaxMembers = 32;

/// The balancer options of FastCgiExternalServer: -host and -socket (each
/// adds a member), -weight (of the member just given), -balance and the
/// -health-* options. std::nullopt when `opt` is not one of them.
inline std::optional<std::optional<ConfigError>> member_option(OptionWalker& w, std::string_view opt,
                                                               AppConfig& app) {
    std::string_view v;
    const bool host = iequals(opt, "-host");
    if (host || iequals(opt, "-socket")) {
        const std::string_view name = host ? "-host" : "-socket";
        if (auto e = w.value(name, v)) return e;
        Member m;
        if (auto e = host ? parse_host_port(name, v, m.host, m.port) : parse_socket_path(v, m.socket_path)) return e;
        if (app.members.size() >= kMaxMembers)
            return ConfigError{std::string(name), "more than " + std::to_string(kMaxMembers) + " addresses"};
        for (const Member& o : app.members)
            if (o.host == m.host && o.port == m.port && o.socket_path == m.socket_path)
                return ConfigError{std::string(name), "\"" + std::string(v) + "\" is given twice"};
        app.members.push_back(std::move(m));
        return std::optional<ConfigError>{};
    }
    if (iequals(opt, "-weight")) {
        if (app.members.empty())
            return ConfigError{"-weight", "-weight must follow the -host or -socket it applies to"};
        return w.number("-weight", 1, 100, app.members.back().weight);
    }
    if (iequals(opt, "-balance")) {
        if (auto e = w.value("-balance", v)) return e;
        app.balance_given = true;
        if (iequals(v, "round-robin")) return app.balance = BalanceMethod::RoundRobin, std::optional<ConfigError>{};
        if (iequals(v, "least-busy")) return app.balance = BalanceMethod::LeastBusy, std::optional<ConfigError>{};
        return ConfigError{"-balance", "\"" + std::string(v) + "\" must be round-robin or least-busy"};
    }
    HealthCheckConfig& h = app.health;
    if (iequals(opt, "-health-check")) {
        if (auto e = w.value("-health-check", v)) return e;
        if (iequals(v, "connect")) return h.kind = HealthCheckConfig::Kind::Connect, std::optional<ConfigError>{};
        if (iequals(v, "get-values"))
            return h.kind = HealthCheckConfig::Kind::GetValues, std::optional<ConfigError>{};
        return ConfigError{"-health-check", "\"" + std::string(v) + "\" must be connect or get-values"};
    }
    if (iequals(opt, "-health-interval")) return w.number("-health-interval", 1, 3600, h.interval);
    if (iequals(opt, "-health-timeout")) return w.number("-health-timeout", 10, 60000, h.timeout_ms);
    if (iequals(opt, "-health-fall")) return w.number("-health-fall", 1, 100, h.fall);
    if (iequals(opt, "-health-rise")) return w.number("-health-rise", 1, 100, h.rise);
    return std::nullopt;
}

/// Tokens after the filename of FastCgiExternalServer -> `app`. One -host
/// or -socket is the original's form; more make a balanced application.
inline std::optional<ConfigError> parse_external_server(std::span<const std::string_view> args, AppConfig& app) {
    app.kind = AppKind::External;
    OptionWalker w(args);
    std::string balancer_only;  // the first balancer option seen
    auto err = w.walk([&](std::string_view opt) -> std::optional<ConfigError> {
        if (auto member = member_option(w, opt, app)) {
            if (!*member && !iequals(opt, "-host") && !iequals(opt, "-socket") && balancer_only.empty())
                balancer_only = std::string(opt);
            return *member;
        }
        if (auto common = common_option(w, opt, app)) return *common;
        return invalid_option(opt);
    });
    if (err) return err;
    if (app.members.empty()) return ConfigError{"", "-socket or -host option missing"};
    std::size_t hosts = 0;
    for (const Member& m : app.members) hosts += !m.host.empty();
    // The original refused a -host with a -socket; a configuration that
    // names both by mistake still is, unless it asks for balancing.
    if (hosts && hosts < app.members.size() && !app.balance_given)
        return ConfigError{"-host", "-host and -socket are mutually exclusive options (unless -balance is given: "
                                    "then each is a member)"};
    if (!app.balanced() && !balancer_only.empty())
        return ConfigError{balancer_only, balancer_only + " needs more than one -host or -socket"};
    const Member& first = app.members.front();
    app.host = first.host;
    app.port = first.port;
    app.socket_path = first.socket_path;
    if (auto e = check_admission(app.admission)) return e;
    return check_handoff(app.handoff);
}

/// The process options shared by FastCgiServer and FastCgiConfig.
inline std::optional<std::optional<ConfigError>> spawn_option(OptionWalker& w, std::string_view opt,
                                                              SpawnConfig& spawn) {
    if (iequals(opt, "-initial-env")) {
        std::string_view v;
        if (auto e = w.value("-initial-env", v)) return e;
        return parse_initial_env(v, spawn.initial_env);
    }
    if (iequals(opt, "-init-start-delay")) return w.number("-init-start-delay", 0, 3600, spawn.init_start_delay);
    if (iequals(opt, "-listen-queue-depth"))
        return w.number("-listen-queue-depth", 1, 65535, spawn.listen_queue_depth);
    if (iequals(opt, "-min-server-life")) return w.number("-min-server-life", 0, 86400, spawn.min_server_life);
    if (iequals(opt, "-priority")) return w.number("-priority", 0, 19, spawn.priority);
    if (iequals(opt, "-restart-delay")) return w.number("-restart-delay", 0, 3600, spawn.restart_delay);
    return std::nullopt;
}

/// Tokens after the filename of FastCgiServer -> `app`.
inline std::optional<ConfigError> parse_static_server(std::span<const std::string_view> args, AppConfig& app) {
    app.kind = AppKind::Static;
    OptionWalker w(args);
    auto err = w.walk([&](std::string_view opt) -> std::optional<ConfigError> {
        if (auto common = common_option(w, opt, app)) return *common;
        if (auto spawn = spawn_option(w, opt, app.spawn)) return *spawn;
        if (iequals(opt, "-processes")) return w.number("-processes", 1, 1024, app.processes);
        if (iequals(opt, "-autoUpdate")) return app.auto_update = true, std::nullopt;
        if (iequals(opt, "-port")) {
            unsigned port = 0;
            if (auto e = w.number("-port", 1, 65535, port)) return e;
            app.listen_port = static_cast<std::uint16_t>(port);
            return std::nullopt;
        }
        return invalid_option(opt);
    });
    if (err) return err;
    if (app.listen_port && !app.socket_path.empty())
        return ConfigError{"-port", "-port and -socket are mutually exclusive options"};
    if (auto e = check_admission(app.admission)) return e;
    return check_handoff(app.handoff);
}

/// Parses a gain in [0.0, 1.0].
inline std::optional<ConfigError> parse_gain(std::string_view v, double& out) {
    double d = 0;
    const auto* end = v.data() + v.size();
    const auto r = std::from_chars(v.data(), end, d);
    if (v.empty() || r.ec != std::errc() || r.ptr != end || !(d >= 0.0 && d <= 1.0))
        return ConfigError{"-gainValue", "\"" + std::string(v) + "\" must be a number between 0.0 and 1.0"};
    out = d;
    return std::nullopt;
}

/// Tokens of FastCgiConfig -> `dyn`. Each occurrence updates the options it
/// names; the initial environment is replaced by each occurrence, as in the
/// original (the caller clears it before calling).
inline std::optional<ConfigError> parse_fastcgi_config(std::span<const std::string_view> args, DynamicConfig& dyn) {
    OptionWalker w(args);
    auto err = w.walk([&](std::string_view opt) -> std::optional<ConfigError> {
        if (auto spawn = spawn_option(w, opt, dyn.spawn)) return *spawn;
        if (auto handoff = handoff_option(w, opt, dyn.handoff)) return *handoff;
        if (auto admission = admission_option(w, opt, dyn.admission)) return *admission;
        std::string_view v;
        if (iequals(opt, "-appConnTimeout")) return w.number("-appConnTimeout", 0, 86400, dyn.app_conn_timeout);
        if (iequals(opt, "-idle-timeout")) return w.number("-idle-timeout", 1, 86400, dyn.idle_timeout);
        if (iequals(opt, "-autoUpdate")) return dyn.auto_update = true, std::nullopt;
        if (iequals(opt, "-flush")) return dyn.flush = true, std::nullopt;
        if (iequals(opt, "-restart")) return dyn.restart = true, std::nullopt;
        if (iequals(opt, "-gainValue")) {
            if (auto e = w.value("-gainValue", v)) return e;
            return parse_gain(v, dyn.gain);
        }
        if (iequals(opt, "-pass-header")) {
            if (auto e = w.value("-pass-header", v)) return e;
            dyn.pass_headers.emplace_back(v);
            return std::nullopt;
        }
        if (iequals(opt, "-killInterval")) return w.number("-killInterval", 1, 86400, dyn.kill_interval);
        if (iequals(opt, "-updateInterval")) return w.number("-updateInterval", 1, 86400, dyn.update_interval);
        if (iequals(opt, "-maxClassProcesses"))
            return w.number("-maxClassProcesses", 1, 1024, dyn.max_class_processes);
        if (iequals(opt, "-maxProcesses")) return w.number("-maxProcesses", 1, 65535, dyn.max_processes);
        if (iequals(opt, "-minProcesses")) return w.number("-minProcesses", 0, 65535, dyn.min_processes);
        if (iequals(opt, "-multiThreshold") || iequals(opt, "-multiThreshhold"))
            return w.number(opt, 0, 100, dyn.multi_threshold);
        if (iequals(opt, "-singleThreshold") || iequals(opt, "-singleThreshhold"))
            return w.number(opt, 0, 100, dyn.single_threshold);
        if (iequals(opt, "-processSlack")) return w.number("-processSlack", 1, 65535, dyn.process_slack);
        if (iequals(opt, "-startDelay")) return w.number("-startDelay", 1, 3600, dyn.start_delay);
        return invalid_option(opt);
    });
    if (err) return err;
    if (dyn.process_slack >= dyn.max_processes + 1)
        return ConfigError{"-processSlack", "processSlack (" + std::to_string(dyn.process_slack) +
                                                ") must be less than maxProcesses (" +
                                                std::to_string(dyn.max_processes) + ") + 1"};
    return check_handoff(dyn.handoff);
}

}  // namespace fastcgi
