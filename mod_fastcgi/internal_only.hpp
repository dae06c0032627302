// FastCgiInternalOnly On|Off (directory and location context): a location
// that only X-Accel-Redirect answers may reach. A request from a client, a
// redirect by another module or a subrequest of a public page gets 404, as
// if the location did not exist; the target of an X-Accel-Redirect (and
// what it redirects to in turn) passes. The check runs first among the
// access checkers and again in fixups, so `Satisfy Any` cannot skip it.
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {

const char* internal_only_directive(cmd_parms* cmd, void* cfg, int on);

/// Registers the access_checker and fixups hooks.
void register_internal_only_hooks();

}  // namespace fastcgi::httpd
