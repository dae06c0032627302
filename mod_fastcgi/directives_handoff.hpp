// The httpd side of X-Sendfile and X-Accel-Redirect configuration:
// * the allowed roots of an application's options (-sendfile-root,
//   -sendfile-root-follow) are resolved once, when the configuration is
//   read, so that a typo or a missing directory stops httpd from starting
//   instead of refusing every download;
// * the per-directory directives FastCgiXSendfile, FastCgiXAccelRedirect
//   and FastCgiSendfileRoot (server config, virtual host, <Directory>,
//   <Location>; never .htaccess: they widen what httpd may serve) set the
//   same for every application answering requests in that section, over
//   the application's own options.
// Merging: an inner section overrides each switch it sets; its roots, if it
// lists any, replace the outer ones (never added to: what a section allows
// is what it lists).
#pragma once

#include <string_view>
#include <vector>

#include "fastcgi/app_config.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// Fills SendfileRoot::real (realpath) of every root not resolved yet.
/// Returns the error (naming the directive, `subject`, the option and
/// file:line), or nullptr.
const char* resolve_sendfile_roots(cmd_parms* cmd, std::string_view subject, HandoffConfig& handoff);

/// One section's settings; -1 / null: not set there.
struct HandoffDirConfig {
    int x_sendfile = -1;
    int x_accel_redirect = -1;
    std::vector<SendfileRoot>* roots = nullptr;  ///< resolved, in the configuration pool
};

void merge_handoff_dir_config(const HandoffDirConfig& base, const HandoffDirConfig& add, HandoffDirConfig& out);

/// What applies to one request: the section's settings over the app's.
struct HandoffSettings {
    bool x_sendfile = false;
    bool x_accel_redirect = false;
    const std::vector<SendfileRoot>* roots = nullptr;  ///< never null
};
HandoffSettings effective_handoff(const HandoffConfig& app, const HandoffDirConfig& dir) noexcept;

/// FastCgiXSendfile / FastCgiXAccelRedirect On|Off (cmd->info: 0 / 1).
const char* handoff_flag_directive(cmd_parms* cmd, void* cfg, int on);
/// FastCgiSendfileRoot <directory> [FollowSymlinks]
const char* sendfile_root_directive(cmd_parms* cmd, void* cfg, const char* dir, const char* option);

}  // namespace fastcgi::httpd
