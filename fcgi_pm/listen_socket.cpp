// See listen_socket.hpp.
#include "listen_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fastcgi::pm {

namespace {
int fail(int fd, std::string& what, const char* call) {
    const int e = errno;
    if (fd >= 0) ::close(fd);
    what = call;
    errno = e;
    return -1;
}
}  // namespace

int listen_unix(const std::string& path, unsigned backlog, uid_t owner, gid_t group, std::string& what) {
    sockaddr_un sa{};
    if (path.size() >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return fail(-1, what, "bind()");
    }
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(fd, what, "socket()");
    ::unlink(path.c_str());
    const mode_t old = ::umask(0177);
    const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::umask(old);
    if (rc != 0) return fail(fd, what, "bind()");
    if (::geteuid() == 0 && ::chown(path.c_str(), owner, group) != 0) return fail(fd, what, "chown()");
    if (::chmod(path.c_str(), S_IRUSR | S_IWUSR) != 0) return fail(fd, what, "chmod()");
    if (::listen(fd, static_cast<int>(backlog)) != 0) return fail(fd, what, "listen()");
    return fd;
}

int listen_tcp_loopback(unsigned port, unsigned backlog, std::string& what) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(fd, what, "socket()");
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return fail(fd, what, "bind()");
    if (::listen(fd, static_cast<int>(backlog)) != 0) return fail(fd, what, "listen()");
    return fd;
}

bool names_same(const std::string& path, dev_t dev, ino_t ino) {
    struct stat st{};
    return ino != 0 && ::lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void unlink_if_same(const std::string& path, dev_t dev, ino_t ino) {
    if (names_same(path, dev, ino)) ::unlink(path.c_str());
}

}  // namespace fastcgi::pm
