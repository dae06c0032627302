// The datagrams httpd children send to the process manager (fire and
// forget: the PM never answers, a child never waits). Fixed header, bounded
// fields, strict decoding: a datagram is trusted no more than a network
// packet, although only httpd's User can write to the PM's socket.
//
//   magic "FCPM" | version 1 | type | u16 path length | path |
//   u8 user length | user | u8 group length | group | u64 queue_us | u64 service_us
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fastcgi/record.hpp"

namespace fastcgi {

enum class PmMessageType : std::uint8_t {
    Start = 'S',      ///< a dynamic app was asked for and its socket is missing
    Restart = 'R',    ///< -autoUpdate found the app's file newer than its processes
    Waited = 'T',     ///< a request waited -startDelay for a dynamic app: start another
    Done = 'C',       ///< a request to a dynamic app finished (times for the policy)
};

struct PmMessage {
    PmMessageType type = PmMessageType::Start;
    std::string path;   ///< the app's filename
    std::string user;   ///< identity for FastCgiWrapper ("-" without)
    std::string group;
    std::uint64_t queue_us = 0;    ///< Done: connect wait
    std::uint64_t service_us = 0;  ///< Done: connection established to closed
};

inline constexpr std::string_view kPmMagic = "FCPM";
inline constexpr std::uint8_t kPmVersion = 1;
inline constexpr std::size_t kPmMaxPath = 4096;
inline constexpr std::size_t kPmMaxName = 64;
inline constexpr std::size_t kPmMaxDatagram = 4 + 1 + 1 + 2 + kPmMaxPath + 1 + kPmMaxName + 1 + kPmMaxName + 16;

/// Encodes `m`; std::nullopt when a field is over its bound.
inline std::optional<std::string> encode_pm_message(const PmMessage& m) {
    if (m.path.empty() || m.path.size() > kPmMaxPath || m.user.size() > kPmMaxName || m.group.size() > kPmMaxName)
        return std::nullopt;
    for (const std::string* f : {&m.path, &m.user, &m.group})
        if (f->find('\0') != std::string::npos) return std::nullopt;
    std::string out(kPmMagic);
    out.push_back(static_cast<char>(kPmVersion));
    out.push_back(static_cast<char>(m.type));
    out.push_back(static_cast<char>(m.path.size() >> 8));
    out.push_back(static_cast<char>(m.path.size() & 0xff));
    out += m.path;
    out.push_back(static_cast<char>(m.user.size()));
    out += m.user;
    out.push_back(static_cast<char>(m.group.size()));
    out += m.group;
    for (std::uint64_t v : {m.queue_us, m.service_us})
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
    return out;
}

/// Decodes one datagram; std::nullopt for anything malformed.
inline std::optional<PmMessage> decode_pm_message(Bytes in) {
    std::size_t pos = 0;
    auto take = [&](std::size_t n) -> const std::uint8_t* {
        if (in.size() - pos < n) return nullptr;
        const std::uint8_t* p = in.data() + pos;
        pos += n;
        return p;
    };
    const std::uint8_t* hdr = take(8);
    if (!hdr || std::string_view(reinterpret_cast<const char*>(hdr), 4) != kPmMagic || hdr[4] != kPmVersion)
        return std::nullopt;
    PmMessage m;
    switch (hdr[5]) {
    case 'S': case 'R': case 'T': case 'C': m.type = static_cast<PmMessageType>(hdr[5]); break;
    default: return std::nullopt;
    }
    const std::size_t path_len = (std::size_t{hdr[6]} << 8) | hdr[7];
    if (path_len == 0 || path_len > kPmMaxPath) return std::nullopt;
    auto str = [&](std::size_t n, std::string& out) {
        const std::uint8_t* p = take(n);
        if (!p) return false;
        out.assign(reinterpret_cast<const char*>(p), n);
        return out.find('\0') == std::string::npos;
    };
    if (!str(path_len, m.path)) return std::nullopt;
    for (std::string* s : {&m.user, &m.group}) {
        const std::uint8_t* len = take(1);
        if (!len || *len > kPmMaxName || !str(*len, *s)) return std::nullopt;
    }
    for (std::uint64_t* v : {&m.queue_us, &m.service_us}) {
        const std::uint8_t* p = take(8);
        if (!p) return std::nullopt;
        *v = 0;
        for (int i = 0; i < 8; ++i) *v = (*v << 8) | p[i];
    }
    if (pos != in.size()) return std::nullopt;
    return m;
}

}  // namespace fastcgi
