// FastCGI records: encoding of record headers and discrete bodies, and the
// incremental RecordDecoder that turns an arbitrarily split byte stream into
// record fragments.
//
// Lifetime: fragments returned by RecordDecoder::next() point either into
// the caller's input span or into the decoder's own small buffer; they are
// valid until the next call to next(). The decoder holds no other memory
// than that buffer (at most one discrete record body, 65535 bytes).
// Threading: one decoder per connection, not shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fastcgi/protocol.hpp"
#include "fastcgi/result.hpp"

namespace fastcgi {

using Bytes = std::span<const std::uint8_t>;

struct RecordHeader {
    std::uint8_t version = kVersion;
    RecordType type = RecordType::Stdout;
    std::uint16_t request_id = 1;
    std::uint16_t content_length = 0;
    std::uint8_t padding_length = 0;
};

/// Writes the 8-byte header for `h` into `out`.
inline void encode_header(const RecordHeader& h, std::uint8_t* out) noexcept {
    out[0] = h.version;
    out[1] = static_cast<std::uint8_t>(h.type);
    out[2] = static_cast<std::uint8_t>(h.request_id >> 8);
    out[3] = static_cast<std::uint8_t>(h.request_id & 0xff);
    out[4] = static_cast<std::uint8_t>(h.content_length >> 8);
    out[5] = static_cast<std::uint8_t>(h.content_length & 0xff);
    out[6] = h.padding_length;
    out[7] = 0;
}

inline std::array<std::uint8_t, kHeaderSize> make_header(RecordType type, std::uint16_t request_id,
                                                         std::size_t content_length,
                                                         std::uint8_t padding = 0) noexcept {
    std::array<std::uint8_t, kHeaderSize> out{};
    encode_header({kVersion, type, request_id, static_cast<std::uint16_t>(content_length), padding},
                  out.data());
    return out;
}

/// Reads a header without validating it (validation is the decoder's job).
inline RecordHeader decode_header(const std::uint8_t* in) noexcept {
    RecordHeader h;
    h.version = in[0];
    h.type = static_cast<RecordType>(in[1]);
    h.request_id = static_cast<std::uint16_t>((in[2] << 8) | in[3]);
    h.content_length = static_cast<std::uint16_t>((in[4] << 8) | in[5]);
    h.padding_length = in[6];
    return h;
}

/// Appends a whole record (header, content, padding to a multiple of 8 when
/// `pad` is set) to `out`. `content` must be at most kMaxContent bytes.
inline void append_record(std::string& out, RecordType type, std::uint16_t request_id, Bytes content,
                          bool pad = false) {
    const std::size_t padding = pad ? (8 - content.size() % 8) % 8 : 0;
    const auto h = make_header(type, request_id, content.size(), static_cast<std::uint8_t>(padding));
    out.append(reinterpret_cast<const char*>(h.data()), h.size());
    out.append(reinterpret_cast<const char*>(content.data()), content.size());
    out.append(padding, '\0');
}

/// Appends the records of one stream (PARAMS, STDIN, STDOUT, ...) carrying
/// `content`, split into records of at most `max_record` bytes; does not
/// append the empty terminating record.
inline void append_stream(std::string& out, RecordType type, std::uint16_t request_id, Bytes content,
                          std::size_t max_record = kMaxContent) {
    if (max_record == 0 || max_record > kMaxContent) max_record = kMaxContent;
    while (!content.empty()) {
        const std::size_t n = content.size() < max_record ? content.size() : max_record;
        append_record(out, type, request_id, content.first(n));
        content = content.subspan(n);
    }
}

struct BeginRequestBody {
    Role role = Role::Responder;
    std::uint8_t flags = 0;
};

inline void append_begin_request(std::string& out, std::uint16_t request_id, Role role,
                                 std::uint8_t flags = 0) {
    const auto r = static_cast<std::uint16_t>(role);
    const std::uint8_t body[8] = {static_cast<std::uint8_t>(r >> 8), static_cast<std::uint8_t>(r & 0xff),
                                  flags, 0, 0, 0, 0, 0};
    append_record(out, RecordType::BeginRequest, request_id, Bytes(body, 8));
}

struct EndRequestBody {
    std::uint32_t app_status = 0;
    std::uint8_t protocol_status = 0;  ///< raw; compare with ProtocolStatus
};

inline void append_end_request(std::string& out, std::uint16_t request_id, EndRequestBody e) {
    const std::uint8_t body[8] = {static_cast<std::uint8_t>(e.app_status >> 24),
                                  static_cast<std::uint8_t>(e.app_status >> 16),
                                  static_cast<std::uint8_t>(e.app_status >> 8),
                                  static_cast<std::uint8_t>(e.app_status), e.protocol_status, 0, 0, 0};
    append_record(out, RecordType::EndRequest, request_id, Bytes(body, 8));
}

inline void append_unknown_type(std::string& out, std::uint8_t type) {
    const std::uint8_t body[8] = {type, 0, 0, 0, 0, 0, 0, 0};
    append_record(out, RecordType::UnknownType, kNullRequestId, Bytes(body, 8));
}

/// Parses a discrete body; the caller checked the record is 8 bytes long.
inline EndRequestBody parse_end_request(Bytes body) noexcept {
    EndRequestBody e;
    e.app_status = (std::uint32_t{body[0]} << 24) | (std::uint32_t{body[1]} << 16) |
                   (std::uint32_t{body[2]} << 8) | std::uint32_t{body[3]};
    e.protocol_status = body[4];
    return e;
}

inline BeginRequestBody parse_begin_request(Bytes body) noexcept {
    return {static_cast<Role>((body[0] << 8) | body[1]), body[2]};
}

/// One piece of a record as the decoder hands it out.
/// Stream records (PARAMS, STDIN, STDOUT, STDERR, DATA) are handed out in
/// slices as their bytes arrive; `last` marks the final slice of a record and
/// an empty record yields one empty slice with `last` set (the end-of-stream
/// marker). Discrete records (BEGIN, ABORT, END, GET_VALUES*, UNKNOWN_TYPE)
/// are handed out once, whole, with `last` set.
struct Fragment {
    RecordType type = RecordType::Stdout;
    std::uint16_t request_id = 0;
    Bytes data;
    bool last = false;
    bool empty_record = false;  ///< the record had contentLength 0
};

/// Incremental record decoder. Validates version, type and the lengths of
/// discrete records; skips padding. It does not judge request ids: that is
/// the caller's policy (a client expects exactly one id).
class RecordDecoder {
public:
    /// Consumes bytes from `in`, setting `consumed`. Returns Errc::ok with a
    /// fragment in `out`, Errc::need_more when `in` was used up without
    /// completing a fragment, or an error (after which the decoder is stuck
    /// in that error). Never reads outside `in`.
    Errc next(Bytes in, std::size_t& consumed, Fragment& out) {
        consumed = 0;
        if (error_ != Errc::ok) return error_;
        while (true) {
            switch (state_) {
            case State::Header: {
                const std::size_t want = kHeaderSize - have_;
                const std::size_t n = in.size() - consumed < want ? in.size() - consumed : want;
                for (std::size_t i = 0; i < n; ++i) header_[have_ + i] = in[consumed + i];
                have_ += n;
                consumed += n;
                if (have_ < kHeaderSize) return Errc::need_more;
                have_ = 0;
                current_ = decode_header(header_.data());
                if (current_.version != kVersion) return fail(Errc::bad_version);
                const auto t = static_cast<std::uint8_t>(current_.type);
                if (t == 0 || t > kMaxType) return fail(Errc::unknown_type);
                const bool fixed8 = current_.type == RecordType::BeginRequest ||
                                    current_.type == RecordType::EndRequest ||
                                    current_.type == RecordType::UnknownType;
                if (fixed8 && current_.content_length != 8) return fail(Errc::bad_length);
                remaining_ = current_.content_length;
                padding_ = current_.padding_length;
                body_.clear();
                state_ = State::Content;
                if (remaining_ == 0) {
                    state_ = padding_ ? State::Padding : State::Header;
                    out = {current_.type, current_.request_id, {}, true, true};
                    return Errc::ok;
                }
                break;
            }
            case State::Content: {
                const std::size_t avail = in.size() - consumed;
                if (avail == 0) return Errc::need_more;
                const std::size_t n = avail < remaining_ ? avail : remaining_;
                Bytes slice = in.subspan(consumed, n);
                consumed += n;
                remaining_ -= n;
                const bool done = remaining_ == 0;
                if (done) state_ = padding_ ? State::Padding : State::Header;
                if (is_stream(current_.type)) {
                    out = {current_.type, current_.request_id, slice, done, false};
                    return Errc::ok;
                }
                // A discrete record wholly inside `in` (END_REQUEST, as a
                // rule) is handed out in place, as stream fragments are.
                if (done && body_.empty() && n == current_.content_length) {
                    out = {current_.type, current_.request_id, slice, true, false};
                    return Errc::ok;
                }
                body_.insert(body_.end(), slice.begin(), slice.end());
                if (done) {
                    out = {current_.type, current_.request_id, Bytes(body_.data(), body_.size()), true,
                           false};
                    return Errc::ok;
                }
                break;
            }
            case State::Padding: {
                const std::size_t avail = in.size() - consumed;
                if (avail == 0) return Errc::need_more;
                const std::size_t n = avail < padding_ ? avail : padding_;
                consumed += n;
                padding_ -= n;
                if (padding_ == 0) state_ = State::Header;
                break;
            }
            }
        }
    }

    /// True when the stream is at a record boundary (nothing half-read).
    bool at_boundary() const noexcept { return state_ == State::Header && have_ == 0; }
    /// Padding bytes of the last record still to come (0 at a boundary).
    std::size_t padding_left() const noexcept { return state_ == State::Padding ? padding_ : 0; }
    Errc error() const noexcept { return error_; }

private:
    enum class State { Header, Content, Padding };
    Errc fail(Errc e) noexcept {
        error_ = e;
        return e;
    }

    State state_ = State::Header;
    std::array<std::uint8_t, kHeaderSize> header_{};
    std::size_t have_ = 0;
    RecordHeader current_{};
    std::size_t remaining_ = 0;
    std::size_t padding_ = 0;
    std::vector<std::uint8_t> body_;
    Errc error_ = Errc::ok;
};

}  // namespace fastcgi
