// FastCGI 1.0 wire constants: record types, roles, protocol statuses and the
// limits that every encoder and decoder in this project respects.
// Pure C++ (no APR, no httpd); used by the module, the process manager, the
// unit tests and the fuzzers alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fastcgi {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxContent = 65535;  ///< contentLength is 16 bits
inline constexpr std::size_t kMaxPadding = 255;
inline constexpr std::uint32_t kMaxPairLength = 0x7fffffffu;  ///< 31-bit lengths
inline constexpr std::uint16_t kNullRequestId = 0;  ///< management records

enum class RecordType : std::uint8_t {
    BeginRequest = 1,
    AbortRequest = 2,
    EndRequest = 3,
    Params = 4,
    Stdin = 5,
    Stdout = 6,
    Stderr = 7,
    Data = 8,
    GetValues = 9,
    GetValuesResult = 10,
    UnknownType = 11,
};
inline constexpr std::uint8_t kMaxType = 11;

enum class Role : std::uint16_t { Responder = 1, Authorizer = 2, Filter = 3 };

enum class ProtocolStatus : std::uint8_t {
    RequestComplete = 0,
    CantMpxConn = 1,
    Overloaded = 2,
    UnknownRole = 3,
};

inline constexpr std::uint8_t kKeepConn = 1;  ///< BEGIN_REQUEST flags bit

/// Stream records end with an empty record of their type; the others are
/// discrete and carry one fixed body.
constexpr bool is_stream(RecordType t) noexcept {
    return t == RecordType::Params || t == RecordType::Stdin || t == RecordType::Stdout ||
           t == RecordType::Stderr || t == RecordType::Data;
}

constexpr bool is_management(RecordType t) noexcept {
    return t == RecordType::GetValues || t == RecordType::GetValuesResult ||
           t == RecordType::UnknownType;
}

constexpr std::string_view to_string(RecordType t) noexcept {
    switch (t) {
    case RecordType::BeginRequest: return "FCGI_BEGIN_REQUEST";
    case RecordType::AbortRequest: return "FCGI_ABORT_REQUEST";
    case RecordType::EndRequest: return "FCGI_END_REQUEST";
    case RecordType::Params: return "FCGI_PARAMS";
    case RecordType::Stdin: return "FCGI_STDIN";
    case RecordType::Stdout: return "FCGI_STDOUT";
    case RecordType::Stderr: return "FCGI_STDERR";
    case RecordType::Data: return "FCGI_DATA";
    case RecordType::GetValues: return "FCGI_GET_VALUES";
    case RecordType::GetValuesResult: return "FCGI_GET_VALUES_RESULT";
    case RecordType::UnknownType: return "FCGI_UNKNOWN_TYPE";
    }
    return "unknown record type";
}

constexpr std::string_view to_string(ProtocolStatus s) noexcept {
    switch (s) {
    case ProtocolStatus::RequestComplete: return "FCGI_REQUEST_COMPLETE";
    case ProtocolStatus::CantMpxConn: return "FCGI_CANT_MPX_CONN";
    case ProtocolStatus::Overloaded: return "FCGI_OVERLOADED";
    case ProtocolStatus::UnknownRole: return "FCGI_UNKNOWN_ROLE";
    }
    return "unknown protocol status";
}

}  // namespace fastcgi
