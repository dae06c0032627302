// GatherQueue: the bytes still to be written to an application, as a list of
// spans for one writev/sendmsg, so that the request body goes out framed in
// FCGI_STDIN records without being copied: the spans point into the body's
// own buffers (the input filters' buckets) and the record headers are kept
// in the queue itself.
//
// Lifetime: the queue does not own what the spans point to; the caller keeps
// it valid until those bytes are consumed. Header storage lives in the queue
// and is reused once the queue has been emptied.
// Threading: one per exchange, not shared.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fastcgi/protocol.hpp"
#include "fastcgi/record.hpp"

namespace fastcgi {

class GatherQueue {
public:
    static constexpr std::size_t kMaxSpans = 64;
    static constexpr std::size_t kMaxHeaders = 16;

    /// Queues `n` bytes at `data` (not copied). False, and nothing queued,
    /// when the queue has no room for another span.
    bool push(const void* data, std::size_t n) noexcept {
        if (n == 0) return true;
        if (end_ == kMaxSpans) return false;
        spans_[end_++] = {static_cast<const std::uint8_t*>(data), n};
        bytes_ += n;
        return true;
    }

    /// Queues a record header, kept in the queue. False when full.
    bool push_header(RecordType type, std::uint16_t request_id, std::size_t content_length) noexcept {
        if (headers_used_ == kMaxHeaders || end_ == kMaxSpans) return false;
        std::uint8_t* h = headers_[headers_used_++].data();
        encode_header({kVersion, type, request_id, static_cast<std::uint16_t>(content_length), 0}, h);
        return push(h, kHeaderSize);
    }

    /// Room for `spans` more spans of which `headers` are record headers.
    bool has_room(std::size_t spans, std::size_t headers) const noexcept {
        return end_ + spans <= kMaxSpans && headers_used_ + headers <= kMaxHeaders;
    }

    /// Fills `out` with up to `max` iovecs over the unsent bytes, in order;
    /// returns how many.
    std::size_t to_iovec(iovec* out, std::size_t max) const noexcept {
        std::size_t k = 0;
        for (std::size_t i = first_; i < end_ && k < max; ++i, ++k) {
            const std::size_t skip = i == first_ ? offset_ : 0;
            out[k].iov_base = const_cast<std::uint8_t*>(spans_[i].data + skip);
            out[k].iov_len = spans_[i].size - skip;
        }
        return k;
    }

    /// `n` bytes (at most size()) were written: drops them. An emptied
    /// queue starts over, with all its room.
    void consume(std::size_t n) noexcept {
        if (n > bytes_) n = bytes_;
        bytes_ -= n;
        while (n > 0) {
            const std::size_t left = spans_[first_].size - offset_;
            if (n < left) {
                offset_ += n;
                return;
            }
            n -= left;
            ++first_;
            offset_ = 0;
        }
        if (bytes_ == 0) clear();
    }

    void clear() noexcept { first_ = end_ = offset_ = headers_used_ = bytes_ = 0; }
    bool empty() const noexcept { return bytes_ == 0; }
    /// Unsent bytes.
    std::size_t size() const noexcept { return bytes_; }

private:
    struct Span {
        const std::uint8_t* data;
        std::size_t size;
    };
    std::array<Span, kMaxSpans> spans_{};
    std::array<std::array<std::uint8_t, kHeaderSize>, kMaxHeaders> headers_{};
    std::size_t first_ = 0;    ///< first span with unsent bytes
    std::size_t end_ = 0;      ///< one past the last span
    std::size_t offset_ = 0;   ///< bytes of spans_[first_] already sent
    std::size_t headers_used_ = 0;
    std::size_t bytes_ = 0;
};

/// Frames `pieces` (consecutive parts of one stream, `total` bytes in all) as
/// records of `type` of at most kMaxContent bytes each, no padding: the
/// bytes that append_stream() would produce for their concatenation. Spans
/// point into the pieces. False, with nothing queued, when `q` lacks room.
inline bool frame_stream(GatherQueue& q, RecordType type, std::uint16_t request_id,
                         std::span<const std::span<const std::uint8_t>> pieces) noexcept {
    std::size_t total = 0;
    for (const auto& p : pieces) total += p.size();
    if (total == 0) return true;
    const std::size_t records = (total + kMaxContent - 1) / kMaxContent;
    // every record boundary inside a piece splits it once more
    if (!q.has_room(pieces.size() + 2 * records, records)) return false;
    std::size_t left_in_record = 0;
    std::size_t left = total;
    for (auto p : pieces) {
        while (!p.empty()) {
            if (left_in_record == 0) {
                left_in_record = left < kMaxContent ? left : kMaxContent;
                q.push_header(type, request_id, left_in_record);
            }
            const std::size_t n = p.size() < left_in_record ? p.size() : left_in_record;
            q.push(p.data(), n);
            p = p.subspan(n);
            left_in_record -= n;
            left -= n;
        }
    }
    return true;
}

}  // namespace fastcgi
