// How the process manager logs without knowing httpd: every line goes to a
// sink the caller gives (httpd's error log in production, a vector in the
// unit tests) with its level, the errno it is about (0 for none) and the
// place in the source that logged it.
#pragma once

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <functional>
#include <source_location>
#include <string>

namespace fastcgi::pm {

/// httpd's levels that the PM uses, most severe first.
enum class LogLevel { Alert, Crit, Err, Warning, Notice, Info, Debug };

/// One log line: level, errno (0: none), source file and line, message.
using LogSink = std::function<void(LogLevel, int err, const char* file, int line, const std::string& message)>;

/// A level and the call site that logs at it (converts from a LogLevel).
struct LogAt {
    LogLevel level;
    std::source_location where;
    LogAt(LogLevel l, std::source_location w = std::source_location::current()) : level(l), where(w) {}  // NOLINT
};

/// printf-style front end over a LogSink.
class Log {
public:
    explicit Log(LogSink sink) : sink_(std::move(sink)) {}

    __attribute__((format(printf, 4, 5))) void operator()(LogAt at, int err, const char* fmt, ...) const {
        if (!sink_) return;
        char buf[8192];  // httpd cuts a line at MAX_STRING_LEN (8192) too
        va_list ap;
        va_start(ap, fmt);
        const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        const std::string msg = n < 0 ? std::string(fmt) : std::string(buf, std::min<std::size_t>(n, sizeof buf - 1));
        sink_(at.level, err, at.where.file_name(), static_cast<int>(at.where.line()), msg);
    }

private:
    LogSink sink_;
};

}  // namespace fastcgi::pm
