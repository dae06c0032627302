// See stderr_log.hpp.
#include "stderr_log.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

#include "dir_config.hpp"
#include "directive_util.hpp"

namespace fastcgi::httpd {

namespace {

/// httpd writes a log line into 8 KiB (MAX_STRING_LEN) with its own prefix
/// (time, module:level, pid:tid, client, ...) in front; this much is kept
/// for that prefix, also with an ErrorLogFormat a little longer than the
/// default one (about 150 bytes with an IPv6 client).
constexpr std::size_t kLogLine = MAX_STRING_LEN - 1;
constexpr std::size_t kHttpdPrefixRoom = 512;
constexpr std::size_t kMinPiece = 1024;

constexpr const char* kLevelList = "emerg, alert, crit, error, warn, notice, info or debug";

std::size_t width_of(std::string_view s) {
    std::size_t w = 0;
    for (const char c : s) w += log_width(static_cast<unsigned char>(c));
    return w;
}

const StderrDirConfig* dir_config(const request_rec* r) {
    const DirConfig* conf = dir_config_of(r);
    return conf ? &conf->stderr_log : nullptr;
}

}  // namespace

void merge_stderr_dir_config(apr_pool_t* p, const StderrDirConfig& base, const StderrDirConfig& add,
                             StderrDirConfig& out) {
    // Inner rules first, then the outer ones.
    if (add.rules && base.rules) {
        out.rules = apr_array_append(p, add.rules, base.rules);
        out.regexes = apr_array_append(p, add.regexes, base.regexes);
    } else {
        out.rules = add.rules ? add.rules : base.rules;
        out.regexes = add.rules ? add.regexes : base.regexes;
    }
    out.limit = add.limit != -1 ? add.limit : base.limit;
}

const char* stderr_level_directive(cmd_parms* cmd, void* cfg, const char* a1, const char* a2, const char* a3) {
    auto& conf = dir_config_arg(cfg).stderr_log;
    const bool is_regex = a3 != nullptr;
    if (is_regex && std::string_view(a1) != "~")
        return config_error(cmd, std::string("\"") + a1 + "\"",
                            {"", "three arguments are \"~ regex level\"; a literal prefix takes two: prefix level"});
    const char* pattern = is_regex ? a2 : a1;
    const char* level_name = is_regex ? a3 : a2;
    const std::optional<int> level = parse_log_level(level_name);
    if (!level)
        return config_error(cmd, std::string("\"") + pattern + "\"",
                            {"", std::string("unknown level \"") + level_name + "\" (use " + kLevelList + ")"});
    if (!*pattern) return config_error(cmd, "", {"", "empty pattern"});
    ap_regex_t* re = nullptr;
    if (is_regex) {
        re = ap_pregcomp(cmd->pool, pattern, 0);
        if (!re) return config_error(cmd, std::string("~ \"") + pattern + "\"", {"", "invalid regular expression"});
    }
    if (!conf.rules) {
        conf.rules = apr_array_make(cmd->pool, 4, sizeof(StderrRule));
        conf.regexes = apr_array_make(cmd->pool, 4, sizeof(ap_regex_t*));
    }
    const char* copy = apr_pstrdup(cmd->pool, pattern);
    *static_cast<StderrRule*>(apr_array_push(conf.rules)) = StderrRule{copy, is_regex, *level};
    *static_cast<ap_regex_t**>(apr_array_push(conf.regexes)) = re;
    return nullptr;
}

const char* stderr_limit_directive(cmd_parms* cmd, void* cfg, const char* arg) {
    auto& conf = dir_config_arg(cfg).stderr_log;
    if (strcasecmp(arg, "unlimited") == 0) {
        conf.limit = 0;
        return nullptr;
    }
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(arg, &end, 10);
    apr_int64_t scale = 1;
    if (end && (*end == 'K' || *end == 'k')) scale = 1024, ++end;
    else if (end && (*end == 'M' || *end == 'm')) scale = 1024 * 1024, ++end;
    constexpr long long kMax = 1LL << 40;
    if (end == arg || *end || errno || n < 0 || n > kMax / scale)
        return config_error(cmd, std::string("\"") + arg + "\"",
                            {"", "not a number of bytes (such as 65536, 64K or 1M; 0 or unlimited for no limit)"});
    conf.limit = n * scale;
    return nullptr;
}

StderrLog::StderrLog(request_rec* r, const App& app) : r_(r), app_(app), conf_(dir_config(r)) {
    const std::size_t ours = width_of("FastCGI: server \"\" stderr: ") + width_of(app.config.filename);
    const std::size_t room = kLogLine > kHttpdPrefixRoom + ours ? kLogLine - kHttpdPrefixRoom - ours : 0;
    splitter_.set_max_width(room > kMinPiece ? room : kMinPiece);
    const apr_int64_t limit = conf_ && conf_->limit != -1 ? conf_->limit : static_cast<apr_int64_t>(kDefaultStderrLimit);
    cap_ = StderrCap(static_cast<std::uint64_t>(limit));
}

StderrLog::~StderrLog() {
    splitter_.finish([this](std::string_view l) { log_piece(l); });
    if (cap_.capped())
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r_,
                      "FastCGI: server \"%s\": stderr limit of %" APR_UINT64_T_FMT " bytes reached, %" APR_UINT64_T_FMT
                      " more bytes in %" APR_UINT64_T_FMT " lines not logged (FastCgiStderrLimit)",
                      app_.config.filename.c_str(), cap_.limit(), cap_.suppressed_bytes(), cap_.suppressed_lines());
}

void StderrLog::feed(std::string_view data) {
    splitter_.feed(data, [this](std::string_view l) { log_piece(l); });
}

void StderrLog::log_piece(std::string_view piece) {
    const bool first = !splitter_.continues_line();
    if (!cap_.admit(piece.size(), first)) return;
    if (first) {
        level_ = kDefaultStderrLevel;
        if (conf_ && conf_->rules) {
            const std::span<const StderrRule> rules(reinterpret_cast<const StderrRule*>(conf_->rules->elts),
                                                    static_cast<std::size_t>(conf_->rules->nelts));
            const auto* regexes = reinterpret_cast<ap_regex_t* const*>(conf_->regexes->elts);
            level_ = stderr_level(rules, piece, kDefaultStderrLevel, [&](std::size_t i, std::string_view line) {
                return ap_regexec_len(regexes[i], line.data(), line.size(), 0, nullptr, 0) == 0;
            });
        }
    }
    escaped_.clear();
    escape_control_into(piece, escaped_);
    ap_log_rerror(APLOG_MARK, level_, 0, r_, "FastCGI: server \"%s\" stderr: %s", app_.config.filename.c_str(),
                  escaped_.c_str());
}

}  // namespace fastcgi::httpd
