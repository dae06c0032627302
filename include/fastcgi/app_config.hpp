// The typed description of one FastCGI application as the directives define
// it, with the original mod_fastcgi's defaults. Shared by the module and the
// process manager; filled by app_options.hpp from directive tokens; paths are
// made absolute by the httpd glue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastcgi/admission.hpp"
#include "fastcgi/balancer_policy.hpp"

namespace fastcgi {

enum class AppKind { External, Static, Dynamic };

/// Defaults of the original (mod_fastcgi.h); the docs quote these numbers.
struct Defaults {
    static constexpr unsigned app_conn_timeout = 0;  ///< 0: blocking connect
    static constexpr unsigned idle_timeout = 30;     ///< seconds
    static constexpr unsigned init_start_delay = 1;  ///< seconds
    static constexpr unsigned listen_queue_depth = 100;
    static constexpr unsigned min_server_life = 30;  ///< seconds
    static constexpr unsigned processes = 1;
    static constexpr unsigned restart_delay = 5;     ///< seconds
    static constexpr unsigned max_init_env = 64;     ///< -initial-env per directive
    // FastCgiConfig (dynamic applications)
    static constexpr double gain = 0.5;
    static constexpr unsigned kill_interval = 300;   ///< seconds
    static constexpr unsigned max_class_processes = 10;
    static constexpr unsigned max_processes = 50;
    static constexpr unsigned min_processes = 5;
    static constexpr unsigned multi_threshold = 50;  ///< percent
    static constexpr unsigned single_threshold = 0;  ///< percent; 0 keeps the last one
    static constexpr unsigned process_slack = 5;
    static constexpr unsigned start_delay = 3;       ///< seconds
    static constexpr unsigned update_interval = 300; ///< seconds
};

/// A directory X-Sendfile may serve files from (-sendfile-root,
/// -sendfile-root-follow). `real` is `path` with its symlinks resolved,
/// filled by the glue when the configuration is read.
struct SendfileRoot {
    std::string path;
    std::string real;
    bool follow_symlinks = false;  ///< symlinks under it may lead anywhere
};

/// Files and URIs the application hands back to httpd (file_handoff.hpp):
/// `X-Sendfile: /path` and `X-Accel-Redirect: /uri`, both off by default.
struct HandoffConfig {
    bool x_sendfile = false;
    bool x_accel_redirect = false;
    std::vector<SendfileRoot> roots;
};

/// What the process manager needs to run instances of an application
/// (FastCgiServer options, or FastCgiConfig's for dynamic applications).
struct SpawnConfig {
    std::vector<std::string> initial_env;  ///< "NAME=value"; bare "NAME" is filled by the glue
    unsigned init_start_delay = Defaults::init_start_delay;
    unsigned listen_queue_depth = Defaults::listen_queue_depth;
    unsigned min_server_life = Defaults::min_server_life;
    unsigned priority = 0;
    unsigned restart_delay = Defaults::restart_delay;
};

/// One address of an external application given several (-host/-socket
/// more than once): a balancer member.
struct Member {
    std::string host;         ///< -host: name or address, without brackets
    std::uint16_t port = 0;
    std::string socket_path;  ///< -socket as given
    unsigned weight = 1;      ///< -weight after it
};

/// -health-check connect|get-values and its tuning, for every member.
struct HealthCheckConfig {
    enum class Kind { None, Connect, GetValues } kind = Kind::None;
    unsigned interval = HealthDefaults::interval;      ///< -health-interval (s)
    unsigned timeout_ms = HealthDefaults::timeout_ms;  ///< -health-timeout (ms)
    unsigned fall = HealthDefaults::fall;              ///< -health-fall
    unsigned rise = HealthDefaults::rise;              ///< -health-rise
};

struct AppConfig {
    AppKind kind = AppKind::External;
    std::string filename;  ///< the path requests are matched against

    // Transport: exactly one of a TCP host or a Unix socket.
    std::string host;        ///< -host: name or address, without brackets
    std::uint16_t port = 0;  ///< -host port
    std::string socket_path; ///< -socket as given; relative means in FastCgiIpcDir
    /// FastCgiExternalServer: every address in the order given; host, port
    /// and socket_path above are the first one's. More than one: balanced.
    std::vector<Member> members;
    BalanceMethod balance = BalanceMethod::RoundRobin;  ///< -balance
    bool balance_given = false;
    HealthCheckConfig health;

    unsigned app_conn_timeout = Defaults::app_conn_timeout;
    unsigned idle_timeout = Defaults::idle_timeout;
    bool flush = false;
    bool nph = false;
    std::vector<std::string> pass_headers;
    /// Connection reuse (FCGI_KEEP_CONN): -keep-conn / -no-keep-conn, else
    /// the kind's default (see reuses_connections()).
    enum class KeepConn { Default, On, Off } keep_conn = KeepConn::Default;
    unsigned max_conns = 0;  ///< -max-conns: connections the app serves at once; 0: ask it
    std::string user;   ///< -user, used only with FastCgiWrapper
    std::string group;  ///< -group, used only with FastCgiWrapper
    HandoffConfig handoff;
    AdmissionLimits admission;  ///< -max-in-flight, -queue-depth, -queue-timeout

    // FastCgiServer only
    SpawnConfig spawn;
    unsigned processes = Defaults::processes;
    std::uint16_t listen_port = 0;  ///< -port: TCP instead of a Unix socket
    bool auto_update = false;       ///< -autoUpdate: a changed file means a rolling reload

    bool uses_tcp() const noexcept { return !host.empty(); }
    /// Several addresses: each request picks one (balancer.hpp).
    bool balanced() const noexcept { return members.size() > 1; }

    /// On by default for a static app, whose processes the module knows
    /// (-processes) and restarts; off by default for an external one, as in
    /// the original: what serves its address is not ours to know.
    bool reuses_connections() const noexcept {
        return keep_conn == KeepConn::On || (keep_conn == KeepConn::Default && kind == AppKind::Static);
    }
};

/// FastCgiConfig: how dynamic applications are run and scaled.
struct DynamicConfig {
    unsigned app_conn_timeout = Defaults::app_conn_timeout;
    bool auto_update = false;
    bool flush = false;
    double gain = Defaults::gain;
    unsigned idle_timeout = Defaults::idle_timeout;
    SpawnConfig spawn;
    unsigned kill_interval = Defaults::kill_interval;
    unsigned max_class_processes = Defaults::max_class_processes;
    unsigned max_processes = Defaults::max_processes;
    unsigned min_processes = Defaults::min_processes;
    unsigned multi_threshold = Defaults::multi_threshold;
    std::vector<std::string> pass_headers;
    HandoffConfig handoff;
    /// -max-in-flight (per class; unset: -maxClassProcesses, and -maxProcesses
    /// for all classes together), -queue-depth, -queue-timeout.
    AdmissionLimits admission;
    unsigned process_slack = Defaults::process_slack;
    bool restart = false;
    unsigned single_threshold = Defaults::single_threshold;
    unsigned start_delay = Defaults::start_delay;
    unsigned update_interval = Defaults::update_interval;
};

/// A configuration error: the option it concerns (empty for the directive as
/// a whole) and a message. The glue adds the directive name and file:line.
struct ConfigError {
    std::string option;
    std::string message;
};

}  // namespace fastcgi
