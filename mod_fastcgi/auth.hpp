// The authorizer roles: FastCgiAuthenticator (check_user_id),
// FastCgiAuthorizer (auth_checker) and FastCgiAccessChecker
// (access_checker). Each runs the same exchange as the handler, with role
// AUTHORIZER, no body and FCGI_APACHE_ROLE set; only the meaning of the
// answer differs:
//
// * 200 grants: the app's headers become environment variables of the
//   request (all of them, a leading "Variable-" removed; with -compat only
//   the Variable-* ones), never request headers;
// * any other status denies: with ...Authoritative On the app's status,
//   headers and body reach the client (a 401 with its WWW-Authenticate, a
//   403 page, a 302 to a login page); Off passes the decision on;
// * an app that cannot be reached, fails or answers garbage never grants:
//   500 whatever the Authoritative setting, and the log says why.
//
// The hooks run first in their phases, so mod_auth_basic's order in the
// LoadModule lines does not matter.
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {
void register_auth_hooks();
}
