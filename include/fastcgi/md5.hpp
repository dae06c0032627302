// MD5 (RFC 1321), only to name socket files as the original did: the name
// must be the lower-case hex digest APR's apr_md5 gives for the same bytes,
// so that configurations naming a static app's socket keep working. Not
// used for anything that needs a secure hash.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace fastcgi {

namespace md5_detail {

inline std::uint32_t rotl(std::uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

/// The per-step constants: the integer part of 2^32 * |sin(i + 1)|.
inline const std::array<std::uint32_t, 64>& sines() {
    static const std::array<std::uint32_t, 64> k = [] {
        std::array<std::uint32_t, 64> t{};
        for (unsigned i = 0; i < 64; ++i)
            t[i] = static_cast<std::uint32_t>(std::floor(std::fabs(std::sin(i + 1.0)) * 4294967296.0));
        return t;
    }();
    return k;
}

/// One 64-byte block into the state.
inline void block(std::array<std::uint32_t, 4>& h, const unsigned char* p) {
    static constexpr unsigned shift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
    std::uint32_t m[16];
    for (unsigned i = 0; i < 16; ++i)
        m[i] = std::uint32_t(p[4 * i]) | std::uint32_t(p[4 * i + 1]) << 8 | std::uint32_t(p[4 * i + 2]) << 16 |
               std::uint32_t(p[4 * i + 3]) << 24;
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    const auto& k = sines();
    for (unsigned i = 0; i < 64; ++i) {
        const unsigned round = i / 16;
        std::uint32_t f;
        unsigned g;
        switch (round) {
        case 0: f = (b & c) | (~b & d); g = i; break;
        case 1: f = (d & b) | (~d & c); g = (5 * i + 1) % 16; break;
        case 2: f = b ^ c ^ d; g = (3 * i + 5) % 16; break;
        default: f = c ^ (b | ~d); g = (7 * i) % 16; break;
        }
        const std::uint32_t next = b + rotl(a + f + k[i] + m[g], shift[round][i % 4]);
        a = d;
        d = c;
        c = b;
        b = next;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

}  // namespace md5_detail

/// The 16-byte MD5 digest of `s`.
inline std::array<unsigned char, 16> md5(std::string_view s) {
    std::array<std::uint32_t, 4> h = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t n = s.size();
    for (; n >= 64; n -= 64, p += 64) md5_detail::block(h, p);
    // The tail, 0x80, zeros up to 56 mod 64, then the bit length (LE).
    unsigned char last[128] = {};
    for (std::size_t i = 0; i < n; ++i) last[i] = p[i];
    last[n] = 0x80;
    const std::size_t total = n < 56 ? 64 : 128;
    const std::uint64_t bits = static_cast<std::uint64_t>(s.size()) * 8;
    for (unsigned i = 0; i < 8; ++i) last[total - 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
    for (std::size_t off = 0; off < total; off += 64) md5_detail::block(h, last + off);
    std::array<unsigned char, 16> out{};
    for (unsigned i = 0; i < 16; ++i) out[i] = static_cast<unsigned char>(h[i / 4] >> (8 * (i % 4)));
    return out;
}

/// Lower-case hex of md5(s), as apr_md5 + hex formatting gives it.
inline std::string md5_hex(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(32);
    for (unsigned char c : md5(s)) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
    return out;
}

}  // namespace fastcgi
