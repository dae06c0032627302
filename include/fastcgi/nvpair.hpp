// FastCGI name-value pairs (PARAMS, GET_VALUES, GET_VALUES_RESULT): the
// 1-byte / 4-byte length rule, encoding into a string, and a bounded decoder
// over a complete buffer.
// Pure C++; no allocation beyond the caller's output string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fastcgi/protocol.hpp"
#include "fastcgi/record.hpp"
#include "fastcgi/result.hpp"

namespace fastcgi {

/// Bytes needed to encode a length: 1 below 128, else 4.
constexpr std::size_t length_size(std::size_t n) noexcept { return n < 128 ? 1 : 4; }

constexpr std::size_t encoded_pair_size(std::string_view name, std::string_view value) noexcept {
    return length_size(name.size()) + length_size(value.size()) + name.size() + value.size();
}

inline void append_length(std::string& out, std::size_t n) {
    if (n < 128) {
        out.push_back(static_cast<char>(n));
    } else {
        out.push_back(static_cast<char>(((n >> 24) & 0x7f) | 0x80));
        out.push_back(static_cast<char>((n >> 16) & 0xff));
        out.push_back(static_cast<char>((n >> 8) & 0xff));
        out.push_back(static_cast<char>(n & 0xff));
    }
}

/// Appends one encoded pair. Returns Errc::pair_too_long (and appends
/// nothing) when a length does not fit in 31 bits.
inline Errc append_pair(std::string& out, std::string_view name, std::string_view value) {
    if (name.size() > kMaxPairLength || value.size() > kMaxPairLength) return Errc::pair_too_long;
    append_length(out, name.size());
    append_length(out, value.size());
    out.append(name);
    out.append(value);
    return Errc::ok;
}

/// Decodes one pair at the start of `in` (a complete buffer). On success
/// sets `name`/`value` as views into `in` and `consumed`. Errc::truncated
/// when `in` ends inside the lengths; Errc::pair_overrun when the lengths
/// claim more bytes than `in` holds; Errc::pair_too_long when a length is
/// above `max_length`.
inline Errc decode_pair(Bytes in, std::size_t& consumed, std::string_view& name, std::string_view& value,
                        std::size_t max_length = kMaxPairLength) noexcept {
    std::size_t pos = 0;
    std::size_t lens[2] = {0, 0};
    for (auto& len : lens) {
        if (pos >= in.size()) return Errc::truncated;
        if (in[pos] & 0x80) {
            if (in.size() - pos < 4) return Errc::truncated;
            len = (std::size_t{in[pos] & 0x7fu} << 24) | (std::size_t{in[pos + 1]} << 16) |
                  (std::size_t{in[pos + 2]} << 8) | std::size_t{in[pos + 3]};
            pos += 4;
        } else {
            len = in[pos];
            pos += 1;
        }
        if (len > max_length) return Errc::pair_too_long;
    }
    const std::size_t left = in.size() - pos;
    if (lens[0] > left || lens[1] > left - lens[0]) return Errc::pair_overrun;
    const char* base = reinterpret_cast<const char*>(in.data());
    name = std::string_view(base + pos, lens[0]);
    value = std::string_view(base + pos + lens[0], lens[1]);
    consumed = pos + lens[0] + lens[1];
    return Errc::ok;
}

/// Calls `fn(name, value)` for every pair of a complete buffer (a GET_VALUES
/// or GET_VALUES_RESULT body, or a whole PARAMS stream). Stops at the first
/// error and returns it.
template <class Fn>
Errc for_each_pair(Bytes in, Fn&& fn, std::size_t max_length = kMaxPairLength) {
    while (!in.empty()) {
        std::size_t used = 0;
        std::string_view n, v;
        if (const Errc e = decode_pair(in, used, n, v, max_length); e != Errc::ok) return e;
        fn(n, v);
        in = in.subspan(used);
    }
    return Errc::ok;
}

/// Packs pairs into PARAMS (or GET_VALUES) records of at most `max_record`
/// content bytes, appended to an output string. A pair may straddle two
/// records, as the protocol allows; records are never padded. Pairs are
/// encoded in place, with no buffer of their own: the open record's header
/// is a placeholder until the record fills or finish() closes it (and, for
/// a stream type, appends the empty terminator). `out` is only valid after
/// finish().
class PairPacker {
public:
    explicit PairPacker(std::string& out, std::uint16_t request_id,
                        RecordType type = RecordType::Params,
                        std::size_t max_record = kMaxContent)
        : out_(out), request_id_(request_id), type_(type),
          max_record_(max_record == 0 || max_record > kMaxContent ? kMaxContent : max_record) {
        open_record();
    }

    /// Encodes the pair straight into `out`, inside the open record.
    Errc add(std::string_view name, std::string_view value) {
        if (const Errc e = append_pair(out_, name, value); e != Errc::ok) return e;
        split_full();
        return Errc::ok;
    }

    /// Closes the open record; a stream (PARAMS) gets its empty terminator.
    void finish() {
        const std::size_t len = out_.size() - open_ - kHeaderSize;
        if (len == 0) {
            if (is_stream(type_))
                close_record(0);  // the open record is the terminator
            else
                out_.resize(open_);
            return;
        }
        close_record(len);
        if (is_stream(type_)) append_record(out_, type_, request_id_, {});
    }

private:
    void open_record() {
        open_ = out_.size();
        out_.append(kHeaderSize, '\0');  // filled in by close_record()
    }
    void close_record(std::size_t len) {
        const auto h = make_header(type_, request_id_, len, 0);
        out_.replace(open_, kHeaderSize, reinterpret_cast<const char*>(h.data()), h.size());
    }
    /// A record past max_record_ is closed there; its overflow (part of the
    /// last pair: pairs may straddle records) moves behind a new header.
    void split_full() {
        while (out_.size() - open_ - kHeaderSize > max_record_) {
            close_record(max_record_);
            const std::size_t at = open_ + kHeaderSize + max_record_;
            out_.insert(at, kHeaderSize, '\0');
            open_ = at;
        }
    }

    std::string& out_;
    std::uint16_t request_id_;
    RecordType type_;
    std::size_t max_record_;
    std::size_t open_ = 0;  ///< where the open record's header is in out_
};

}  // namespace fastcgi
