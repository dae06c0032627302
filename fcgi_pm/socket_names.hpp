// Socket file names shared by httpd children and the process manager, as
// the original made them (so configurations that point a
// FastCgiExternalServer -socket at a static app's socket keep working):
// the lower-case hex MD5 of the application's path (plus the wrapper
// identity when there is one) in FastCgiIpcDir, and for dynamic apps of
// path + user + group ("-" and "-" without a wrapper) in FastCgiIpcDir/dynamic.
#pragma once

#include <string>
#include <string_view>

namespace fastcgi::pm {

/// Lower-case hex MD5 of `s` (APR's apr_md5).
std::string md5_hex(std::string_view s);

inline std::string static_socket_path(const std::string& ipc_dir, const std::string& app,
                                      const std::string& user = {}, const std::string& group = {}) {
    return ipc_dir + "/" + md5_hex(app + user + group);
}

inline std::string dynamic_socket_path(const std::string& ipc_dir, const std::string& app, const std::string& user,
                                       const std::string& group) {
    return ipc_dir + "/dynamic/" + md5_hex(app + user + group);
}

inline constexpr const char* kPmSocketName = "pm.sock";

}  // namespace fastcgi::pm
