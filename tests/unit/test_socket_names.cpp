// md5.hpp and socket_names.hpp: the digest is MD5 (RFC 1321 vectors, block
// boundaries), names stay the original's where a configuration can point at
// them, and two identities never share a socket.
#include <string>

#include <gtest/gtest.h>

#include "fastcgi/md5.hpp"
#include "fastcgi/socket_names.hpp"

using namespace fastcgi;

namespace {

std::string letters(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
    return s;
}

TEST(Md5, Rfc1321Vectors) {
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
    EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
    EXPECT_EQ(md5_hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
    EXPECT_EQ(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
              "d174ab98d277d9f5a5611c2c9f419d9f");
    EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
              "57edf4a22be3c955ac49da2e2107b67a");
}

// Lengths around the padding boundaries (56 and 64 bytes mod 64); the
// expected digests are those of Python's hashlib.
TEST(Md5, BlockBoundaries) {
    EXPECT_EQ(md5_hex(letters(55)), "0d7ae056b2f015cd7dc67494efd658f1");
    EXPECT_EQ(md5_hex(letters(56)), "31fcfb5165169eb55898e7e4cf34d19a");
    EXPECT_EQ(md5_hex(letters(63)), "1b30c0670c15e7da3c2ba7bce77ebe99");
    EXPECT_EQ(md5_hex(letters(64)), "a2eaf6295c32adc403865fd96a2f182b");
    EXPECT_EQ(md5_hex(letters(65)), "eba2cce0ca8df47e62414a736b3105a2");
    EXPECT_EQ(md5_hex(letters(119)), "b05187e08da41fa3ef16bd56afaafd99");
    EXPECT_EQ(md5_hex(letters(120)), "62af9b597a9f55e16ab2b897387fc052");
    EXPECT_EQ(md5_hex(letters(1000)), "303fb697b589019cb3edba04b794e575");
}

TEST(Md5, BytesAboveSevenF) {
    EXPECT_EQ(md5_hex(std::string("\xff\x80\x00\x7f", 4)), "f5a2d8b473a77f549ce577d866ec9506");
}

// A static app without a wrapper keeps the original's name, md5(path): the
// original documents it (obs: /srv/mft/htdocs/static/st.fcgi).
TEST(SocketNames, StaticWithoutWrapperIsTheOriginals) {
    EXPECT_EQ(static_socket_path("/ipc", "/srv/mft/htdocs/static/st.fcgi"), "/ipc/73402c777e0980f4a184ac1b16abb569");
}

// Defect 4 of issue 14: path + user + group concatenated let user "ab" +
// group "c" and user "a" + group "bc" share one socket, so one identity's
// requests reached a process running as the other.
TEST(SocketNames, IdentitiesNeverShareASocket) {
    EXPECT_NE(dynamic_socket_path("/ipc", "/w/app", "ab", "c"), dynamic_socket_path("/ipc", "/w/app", "a", "bc"));
    EXPECT_NE(static_socket_path("/ipc", "/w/app", "ab", "c"), static_socket_path("/ipc", "/w/app", "a", "bc"));
    // ... nor can a path swallow the identity
    EXPECT_NE(dynamic_socket_path("/ipc", "/w/app-", "-", ""), dynamic_socket_path("/ipc", "/w/app", "-", "-"));
    EXPECT_NE(static_socket_path("/ipc", "/w/appu", "", "g"), static_socket_path("/ipc", "/w/app", "u", "g"));
}

TEST(SocketNames, DistinctPlacesAndStable) {
    EXPECT_EQ(dynamic_socket_path("/ipc", "/w/app", "-", "-").rfind("/ipc/dynamic/", 0), 0u);
    EXPECT_EQ(dynamic_socket_path("/ipc", "/w/app", "-", "-"), dynamic_socket_path("/ipc", "/w/app", "-", "-"));
    EXPECT_EQ(dynamic_socket_path("/ipc", "/w/app", "-", "-").size(), std::string("/ipc/dynamic/").size() + 32);
}

}  // namespace
