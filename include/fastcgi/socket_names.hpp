// Socket file names shared by httpd children and the process manager, as
// the original made them (so configurations that point a
// FastCgiExternalServer -socket at a static app's socket keep working):
// the lower-case hex MD5 of the application's path (plus the wrapper
// identity when there is one) in FastCgiIpcDir, and for dynamic apps of
// path + user + group ("-" and "-" without a wrapper) in FastCgiIpcDir/dynamic.
#pragma once

#include <string>
#include <string_view>

#include "fastcgi/md5.hpp"

namespace fastcgi {

/// What is hashed for an app run as user/group (the original's
/// path + user + group).
inline std::string identity_key(const std::string& app, const std::string& user, const std::string& group) {
    return app + user + group;
}

inline std::string static_socket_path(const std::string& ipc_dir, const std::string& app,
                                      const std::string& user = {}, const std::string& group = {}) {
    return ipc_dir + "/" + md5_hex(identity_key(app, user, group));
}

inline std::string dynamic_socket_path(const std::string& ipc_dir, const std::string& app, const std::string& user,
                                       const std::string& group) {
    return ipc_dir + "/dynamic/" + md5_hex(identity_key(app, user, group));
}

inline constexpr const char* kPmSocketName = "pm.sock";

}  // namespace fastcgi
