// See socket_usage.hpp.
#include "socket_usage.hpp"

#include "proc_file.hpp"

#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fastcgi::pm {

namespace {

/// Backlog of a listening Unix socket: UNIX_DIAG_RQLEN of sock_diag.
int unix_queue(unsigned long inode) {
    const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -1;
    struct {
        nlmsghdr nlh;
        unix_diag_req req;
    } msg{};
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST;
    msg.req.sdiag_family = AF_UNIX;
    msg.req.udiag_states = ~0u;
    msg.req.udiag_ino = static_cast<__u32>(inode);
    msg.req.udiag_show = UDIAG_SHOW_RQLEN;
    msg.req.udiag_cookie[0] = msg.req.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    int result = -1;
    alignas(nlmsghdr) char buf[8192];
    pollfd p{fd, POLLIN, 0};
    if (::sendto(fd, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) ==
            static_cast<ssize_t>(sizeof msg) &&
        ::poll(&p, 1, 200) == 1) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        auto* h = reinterpret_cast<nlmsghdr*>(buf);
        if (n > 0 && NLMSG_OK(h, static_cast<unsigned>(n)) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
            int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
            for (auto* a = reinterpret_cast<rtattr*>(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
                if (a->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(a) >= sizeof(unix_diag_rqlen))
                    result = static_cast<int>(static_cast<unix_diag_rqlen*>(RTA_DATA(a))->udiag_rqueue);
        }
    }
    ::close(fd);
    return result;
}

}  // namespace

int queued_connections(int listen_fd) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    struct stat st{};
    if (listen_fd < 0 || ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0 ||
        ::fstat(listen_fd, &st) != 0)
        return -1;
    if (sa.ss_family == AF_UNIX) return unix_queue(st.st_ino);
    // A TCP listener reports its accept queue as tcpi_unacked.
    tcp_info info{};
    socklen_t il = sizeof info;
    if (::getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &il) != 0) return -1;
    return static_cast<int>(info.tcpi_unacked);
}

SocketInodes accepted_connections(const std::string& path, unsigned port) {
    SocketInodes out;
    std::string line;
    if (!path.empty()) {
        // "Num RefCount Protocol Flags Type St Inode Path": St 03 is connected.
        std::ifstream in("/proc/net/unix");
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string num, ref, proto, flags, type, st, name;
            unsigned long inode = 0;
            if (f >> num >> ref >> proto >> flags >> type >> st >> inode >> name && st == "03" && name == path)
                out.insert(inode);
        }
        return out;
    }
    for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        // "sl local rem st tx:rx tr:when retrnsmt uid timeout inode": st 01 is established.
        std::ifstream in(file);
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string sl, local, remote, st, queues, timer, retr, uid, timeout;
            unsigned long inode = 0;
            if (!(f >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
            const auto colon = local.rfind(':');
            if (st == "01" && colon != std::string::npos &&
                std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port)
                out.insert(inode);
        }
    }
    return out;
}

std::map<pid_t, SocketInodes> sockets_of_groups(const std::set<pid_t>& groups) {
    std::map<pid_t, SocketInodes> out;
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    while (const dirent* e = ::readdir(proc)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end) continue;
        // pgrp is the 5th field of stat, after "pid (comm) state ppid".
        const std::string s = read_proc_file("/proc/" + std::string(e->d_name) + "/stat");
        const auto close = s.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream f(s.substr(close + 1));
        std::string state;
        long ppid = 0, pgrp = 0;
        if (!(f >> state >> ppid >> pgrp) || !groups.count(static_cast<pid_t>(pgrp))) continue;
        SocketInodes& mine = out[static_cast<pid_t>(pgrp)];
        const std::string fd_dir = "/proc/" + std::string(e->d_name) + "/fd";
        DIR* fds = ::opendir(fd_dir.c_str());
        if (!fds) continue;
        while (const dirent* d = ::readdir(fds)) {
            char target[64];
            const ssize_t n = ::readlink((fd_dir + "/" + d->d_name).c_str(), target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = '\0';
            unsigned long inode = 0;
            if (std::sscanf(target, "socket:[%lu]", &inode) == 1) mine.insert(inode);
        }
        ::closedir(fds);
    }
    ::closedir(proc);
    return out;
}

}  // namespace fastcgi::pm
