// See directives_handoff.hpp.
#include "directives_handoff.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "directive_util.hpp"

namespace fastcgi::httpd {

const char* resolve_sendfile_roots(cmd_parms* cmd, std::string_view subject, HandoffConfig& handoff) {
    for (SendfileRoot& root : handoff.roots) {
        if (!root.real.empty()) continue;
        const char* option = root.follow_symlinks ? "-sendfile-root-follow" : "-sendfile-root";
        char real[PATH_MAX];
        struct stat st{};
        if (!::realpath(root.path.c_str(), real) || ::stat(real, &st) != 0)
            return config_error(cmd, subject,
                                {option, "\"" + root.path + "\": " + std::strerror(errno)});
        if (!S_ISDIR(st.st_mode)) return config_error(cmd, subject, {option, "\"" + root.path + "\" is not a directory"});
        root.real = real;
    }
    return nullptr;
}

}  // namespace fastcgi::httpd
