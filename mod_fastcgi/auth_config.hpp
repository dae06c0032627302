// The three authorizer roles of a section (part of its DirConfig,
// dir_config.hpp): FastCgiAuthenticator, FastCgiAuthorizer and
// FastCgiAccessChecker (each `path [-compat]`) with their
// ...Authoritative On|Off switches.
#pragma once

#include "httpd.hpp"

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

/// An inner section's setting of a role over the outer one's: its app (with
/// -compat and where it was set) if it names one, its ...Authoritative if
/// it sets it.
void merge_auth_setting(const AuthSetting& base, const AuthSetting& add, AuthSetting& out) noexcept;

const char* auth_server_directive(cmd_parms* cmd, void* cfg, const char* path, const char* option);
const char* auth_authoritative_directive(cmd_parms* cmd, void* cfg, int on);

/// The role's name in FCGI_APACHE_ROLE and in directive names.
const char* role_env_name(AuthRole r) noexcept;

}  // namespace fastcgi::httpd
