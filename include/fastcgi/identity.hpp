// Names of the identities a wrapper (suexec) runs an application as:
// suexec wants user and group names, the configuration may say "#id".
// Used by the httpd side (socket names, the PM's arguments); POSIX only.
#pragma once

#include <grp.h>
#include <pwd.h>

#include <cstdlib>
#include <string>

namespace fastcgi {

/// "#id" -> the user's name (or the bare number when unknown); names as is.
inline std::string user_name(const std::string& u) {
    if (u.empty() || u[0] != '#') return u;
    const passwd* pw = ::getpwuid(static_cast<uid_t>(std::strtoul(u.c_str() + 1, nullptr, 10)));
    return pw ? pw->pw_name : u.substr(1);
}

/// "#id" -> the group's name (or the bare number when unknown); names as is.
inline std::string group_name(const std::string& g) {
    if (g.empty() || g[0] != '#') return g;
    const group* gr = ::getgrgid(static_cast<gid_t>(std::strtoul(g.c_str() + 1, nullptr, 10)));
    return gr ? gr->gr_name : g.substr(1);
}

}  // namespace fastcgi
