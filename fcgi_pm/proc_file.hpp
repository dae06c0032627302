// Reading a small file of /proc with read(2), not an ifstream: a process's
// files vanish when it exits, and libstdc++'s filebuf reports that read
// error by throwing (caught inside the stream, but a throw all the same,
// which the process manager's scans of other processes' files cannot
// afford where exceptions are costly or, as under a preloaded ASan runtime,
// fatal).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace fastcgi::pm {

/// The first `limit` bytes of `path`; empty when it cannot be read.
inline std::string read_proc_file(const std::string& path, std::size_t limit = 64 * 1024) {
    std::string out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[4096];
    while (out.size() < limit) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (out.size() > limit) out.resize(limit);
    return out;
}

}  // namespace fastcgi::pm
