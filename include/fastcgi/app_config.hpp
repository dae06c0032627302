// The typed description of one FastCGI application as the directives define
// it, with the original mod_fastcgi's defaults. Shared by the module and the
// process manager; filled by app_options.hpp from directive tokens; paths are
// made absolute by the httpd glue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fastcgi {

enum class AppKind { External, Static, Dynamic };

/// Defaults of the original (mod_fastcgi.h); the docs quote these numbers.
struct Defaults {
    static constexpr unsigned app_conn_timeout = 0;  ///< 0: blocking connect
    static constexpr unsigned idle_timeout = 30;     ///< seconds
};

struct AppConfig {
    AppKind kind = AppKind::External;
    std::string filename;  ///< the path requests are matched against

    // Transport: exactly one of a TCP host or a Unix socket.
    std::string host;        ///< -host: name or address, without brackets
    std::uint16_t port = 0;  ///< -host port
    std::string socket_path; ///< -socket as given; relative means in FastCgiIpcDir

    unsigned app_conn_timeout = Defaults::app_conn_timeout;
    unsigned idle_timeout = Defaults::idle_timeout;
    bool flush = false;
    bool nph = false;
    std::vector<std::string> pass_headers;
    std::string user;   ///< -user, used only with FastCgiWrapper
    std::string group;  ///< -group, used only with FastCgiWrapper

    bool uses_tcp() const noexcept { return !host.empty(); }
};

/// A configuration error: the option it concerns (empty for the directive as
/// a whole) and a message. The glue adds the directive name and file:line.
struct ConfigError {
    std::string option;
    std::string message;
};

}  // namespace fastcgi
