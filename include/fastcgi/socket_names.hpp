// Socket file names shared by httpd children and the process manager: the
// lower-case hex MD5 of the application's path in FastCgiIpcDir for a
// static app without a wrapper, exactly as the original (configurations
// point a FastCgiExternalServer -socket at it); with an identity (a static
// app under FastCgiWrapper, every dynamic app: "-" and "-" without a
// wrapper) the MD5 of path NUL user NUL group, in FastCgiIpcDir or
// FastCgiIpcDir/dynamic.
//
// The original hashed path + user + group with no separator, so user "ab"
// with group "c" and user "a" with group "bc" shared one socket, and one
// identity's requests could reach a process running as the other. No part
// can hold a NUL (they are C strings, and decode_pm_message refuses NULs),
// so the NUL-separated key is injective.
#pragma once

#include <string>
#include <string_view>

#include "fastcgi/md5.hpp"

namespace fastcgi {

/// What is hashed: the path alone without an identity, else
/// path NUL user NUL group.
inline std::string identity_key(const std::string& app, const std::string& user, const std::string& group) {
    if (user.empty() && group.empty()) return app;
    std::string key = app;
    key.push_back('\0');
    key += user;
    key.push_back('\0');
    key += group;
    return key;
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
