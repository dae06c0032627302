// What the drain asks the kernel (fcgi_pm/socket_usage.hpp), on real Unix
// and TCP sockets: the backlog of a listener, the connections accepted
// from it, and the sockets a process group holds.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "socket_usage.hpp"

using namespace fastcgi::pm;

namespace {

unsigned long inode_of(int fd) {
    struct stat st{};
    ::fstat(fd, &st);
    return st.st_ino;
}

TEST(SocketUsage, UnixBacklogAcceptedAndHeld) {
    const std::string path = "/tmp/fcgi_su_" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    const int l = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strcpy(sa.sun_path, path.c_str());
    ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::listen(l, 8), 0);
    EXPECT_EQ(queued_connections(l), 0);
    const int c1 = ::socket(AF_UNIX, SOCK_STREAM, 0);
    const int c2 = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(c1, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::connect(c2, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(queued_connections(l), 2);
    const int a = ::accept(l, nullptr, nullptr);
    ASSERT_GE(a, 0);
    EXPECT_EQ(queued_connections(l), 1);
    const SocketInodes accepted = accepted_connections(path, 0);
    EXPECT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted.count(inode_of(a)), 1u);
    const auto held = sockets_of_groups({::getpgrp()});
    ASSERT_EQ(held.count(::getpgrp()), 1u);
    EXPECT_EQ(held.at(::getpgrp()).count(inode_of(a)), 1u);
    EXPECT_EQ(held.at(::getpgrp()).count(inode_of(l)), 1u);
    ::close(a);
    EXPECT_TRUE(accepted_connections(path, 0).empty());
    for (int fd : {c1, c2, l}) ::close(fd);
    ::unlink(path.c_str());
}

TEST(SocketUsage, TcpBacklogAndAccepted) {
    const int l = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::listen(l, 8), 0);
    socklen_t len = sizeof sa;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&sa), &len);
    const unsigned port = ntohs(sa.sin_port);
    EXPECT_EQ(queued_connections(l), 0);
    const int c = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(queued_connections(l), 1);
    const int a = ::accept(l, nullptr, nullptr);
    ASSERT_GE(a, 0);
    EXPECT_EQ(queued_connections(l), 0);
    EXPECT_EQ(accepted_connections("", port).count(inode_of(a)), 1u);
    for (int fd : {a, c, l}) ::close(fd);
}

}  // namespace
