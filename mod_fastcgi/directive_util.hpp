// Helpers shared by the directive handlers: tokenizing RAW_ARGS, canonical
// paths, and error messages that name the directive, the option and the
// file:line of the directive.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/app_config.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// "file:line" of the directive being read.
std::string where(const cmd_parms* cmd);

/// "<Directive> <subject>: [option <opt>: ]<message> (at file:line)",
/// allocated in cmd->pool.
const char* config_error(cmd_parms* cmd, std::string_view subject, const ConfigError& e);

/// The words of a RAW_ARGS directive (quotes handled as httpd does).
std::vector<std::string> tokenize(apr_pool_t* p, const char* args);

/// ServerRoot-relative, without "." and ".." segments or doubled slashes.
std::string canonical_path(apr_pool_t* p, const char* name);

struct App;

/// Parses "filename [option ...]" of FastCgiServer / FastCgiExternalServer
/// with `parse` into a new App in cmd->pool, refusing a second definition
/// of the same filename. Returns the error string, or nullptr with `out` set.
using AppOptionParser = std::optional<ConfigError> (*)(std::span<const std::string_view>, AppConfig&);
const char* parse_app_directive(cmd_parms* cmd, const char* args, AppOptionParser parse, App*& out);

/// -initial-env entries as the environment of a spawned app: a bare NAME
/// takes its value from httpd's own environment now (empty if unset).
std::vector<std::string> resolve_initial_env(const std::vector<std::string>& entries);

}  // namespace fastcgi::httpd
