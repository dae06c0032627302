// An application's FCGI_STDERR in the error log: lines reassembled across
// records and split only where a log line would be cut, each logged as
// `FastCGI: server "<filename>" stderr: <line>` against the request (so
// httpd's ErrorLogFormat adds the client, as it does for mod_cgi's script
// stderr), at the level FastCgiStderrLevel chooses, until the request's
// FastCgiStderrLimit; then one line says how much was not logged.
// Both directives are per directory (server config, <VirtualHost>,
// <Directory>, <Location>, <Files>); an inner section's level rules are
// tried before the outer ones.
// Lifetime: StderrDirConfig is configuration, read-only after start-up;
// a StderrLog is one per exchange, not shared. Memory: one log line's worth.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "app_registry.hpp"
#include "fastcgi/line_splitter.hpp"
#include "fastcgi/stderr_policy.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// FastCgiStderrLimit when none is set: bytes of stderr logged per request.
inline constexpr std::uint64_t kDefaultStderrLimit = 64 * 1024;

struct StderrDirConfig {
    apr_array_header_t* rules = nullptr;    ///< StderrRule, in the order they are tried
    apr_array_header_t* regexes = nullptr;  ///< ap_regex_t*, one per rule (null: a literal prefix)
    apr_int64_t limit = -1;                 ///< -1 unset (kDefaultStderrLimit), 0 no limit
};

void merge_stderr_dir_config(apr_pool_t* p, const StderrDirConfig& base, const StderrDirConfig& add,
                             StderrDirConfig& out);

/// FastCgiStderrLevel prefix level | FastCgiStderrLevel ~ regex level
const char* stderr_level_directive(cmd_parms* cmd, void* cfg, const char* a1, const char* a2, const char* a3);
/// FastCgiStderrLimit bytes[K|M] | 0 | unlimited
const char* stderr_limit_directive(cmd_parms* cmd, void* cfg, const char* arg);

class StderrLog {
public:
    StderrLog(request_rec* r, const App& app);
    /// Logs what the last line left unfinished, and the suppression line.
    ~StderrLog();
    StderrLog(const StderrLog&) = delete;
    StderrLog& operator=(const StderrLog&) = delete;

    /// The payload of one FCGI_STDERR record.
    void feed(std::string_view data);

private:
    void log_piece(std::string_view piece);

    request_rec* r_;
    const App& app_;
    const StderrDirConfig* conf_;
    LineSplitter splitter_;
    StderrCap cap_;
    int level_ = kDefaultStderrLevel;  ///< of the line being logged (its later pieces keep it)
    std::string escaped_;              ///< reused: no allocation per line
};

}  // namespace fastcgi::httpd
