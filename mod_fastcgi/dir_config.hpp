// The module's per-directory configuration: what a <Directory>, <Location>,
// virtual host or the server config says about the requests served there,
// whichever application answers them. An inner section overrides only what
// it sets (the original had no merge function, so an inner section
// silently dropped everything of the outer ones). Its parts, each with the
// directives that set it:
//   * the three authorizer roles (auth_config.hpp): FastCgiAuthenticator,
//     FastCgiAuthorizer, FastCgiAccessChecker and their ...Authoritative;
//   * FastCgiInternalOnly (internal_only.hpp);
//   * what becomes of an application's stderr (stderr_log.hpp):
//     FastCgiStderrLevel, FastCgiStderrLimit;
//   * X-Sendfile and X-Accel-Redirect (directives_handoff.hpp):
//     FastCgiXSendfile, FastCgiXAccelRedirect, FastCgiSendfileRoot.
#pragma once

#include "auth_config.hpp"
#include "directives_handoff.hpp"
#include "httpd.hpp"
#include "stderr_log.hpp"

namespace fastcgi::httpd {

struct DirConfig {
    AuthSetting roles[kAuthRoles];
    int internal_only = -1;  ///< -1 unset (Off), 0/1
    StderrDirConfig stderr_log;
    HandoffDirConfig handoff;
    const AuthSetting& operator[](AuthRole r) const noexcept { return roles[static_cast<int>(r)]; }
};

/// The module's create_dir_config and merge_dir_config.
void* create_dir_config(apr_pool_t* p, char* dir);
void* merge_dir_config(apr_pool_t* p, void* base, void* add);

/// What applies to `r` (null only for a request httpd made without any).
const DirConfig* dir_config_of(const request_rec* r) noexcept;

/// The section a directive handler of ours is given (its `void* cfg`).
inline DirConfig& dir_config_arg(void* cfg) noexcept { return *static_cast<DirConfig*>(cfg); }

}  // namespace fastcgi::httpd
