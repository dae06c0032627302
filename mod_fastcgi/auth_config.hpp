// Per-directory configuration of the three authorizer roles:
// FastCgiAuthenticator, FastCgiAuthorizer and FastCgiAccessChecker (each
// `path [-compat]`) with their ...Authoritative On|Off switches. Unlike the
// original (which had no merge function, so an inner section silently
// dropped the outer ones), an inner section overrides only what it sets.
// It also holds the one other per-directory access setting,
// FastCgiInternalOnly (internal_only.hpp), and what becomes of an
// application's stderr (FastCgiStderrLevel, FastCgiStderrLimit:
// stderr_log.hpp), and what it does with X-Sendfile and X-Accel-Redirect
// (FastCgiXSendfile, FastCgiXAccelRedirect, FastCgiSendfileRoot:
// directives_handoff.hpp).
#pragma once

#include "directives_handoff.hpp"
#include "httpd.hpp"
#include "stderr_log.hpp"

namespace fastcgi::httpd {

enum class AuthRole { Authenticator = 0, Authorizer = 1, AccessChecker = 2 };
inline constexpr int kAuthRoles = 3;

struct AuthSetting {
    const char* path = nullptr;  ///< canonical path of the app, or null
    int compat = -1;             ///< -1 unset, 0/1
    int authoritative = -1;      ///< -1 unset (On), 0/1
    const char* defined_at = nullptr;

    bool is_compat() const noexcept { return compat == 1; }
    bool is_authoritative() const noexcept { return authoritative != 0; }
};

struct AuthDirConfig {
    AuthSetting roles[kAuthRoles];
    int internal_only = -1;  ///< FastCgiInternalOnly (internal_only.hpp): -1 unset (Off), 0/1
    StderrDirConfig stderr_log;
    HandoffDirConfig handoff;
    const AuthSetting& operator[](AuthRole r) const noexcept { return roles[static_cast<int>(r)]; }
};

void* create_auth_dir_config(apr_pool_t* p, char* dir);
void* merge_auth_dir_config(apr_pool_t* p, void* base, void* add);

const char* auth_server_directive(cmd_parms* cmd, void* cfg, const char* path, const char* option);
const char* auth_authoritative_directive(cmd_parms* cmd, void* cfg, int on);

/// The role's name in FCGI_APACHE_ROLE and in directive names.
const char* role_env_name(AuthRole r) noexcept;

}  // namespace fastcgi::httpd
