// See socket_names.hpp.
#include "socket_names.hpp"

#include <apr_md5.h>

namespace fastcgi::pm {

std::string md5_hex(std::string_view s) {
    unsigned char digest[APR_MD5_DIGESTSIZE];
    apr_md5(digest, s.data(), s.size());
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * APR_MD5_DIGESTSIZE);
    for (unsigned char c : digest) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
    return out;
}

}  // namespace fastcgi::pm
