// gather_queue.hpp: spans written in order across partial writes, record
// framing identical to append_stream() for any split of the stream into
// pieces, the room limits.
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/gather_queue.hpp"
#include "fastcgi/record.hpp"

using namespace fastcgi;

namespace {

/// What a writev of the whole queue would write, without consuming it.
std::string flatten(const GatherQueue& q) {
    std::vector<iovec> iov(GatherQueue::kMaxSpans);
    const std::size_t n = q.to_iovec(iov.data(), iov.size());
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    return out;
}

/// Drains the queue `step` bytes at a time, the way short writes would.
std::string drain(GatherQueue& q, std::size_t step) {
    std::string out;
    while (!q.empty()) {
        iovec iov[3];
        const std::size_t n = q.to_iovec(iov, 3);
        std::size_t want = step;
        for (std::size_t i = 0; i < n && want > 0; ++i) {
            const std::size_t k = iov[i].iov_len < want ? iov[i].iov_len : want;
            out.append(static_cast<const char*>(iov[i].iov_base), k);
            want -= k;
        }
        q.consume(step - want);
    }
    return out;
}

std::string body(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 23);
    return s;
}

std::span<const std::uint8_t> sp(const std::string& s, std::size_t from, std::size_t n) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()) + from, n};
}

std::string expected_stream(const std::string& content) {
    std::string out;
    append_stream(out, RecordType::Stdin, 1,
                  Bytes(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
    return out;
}

TEST(GatherQueue, SpansInOrderAcrossShortWrites) {
    const std::string a = "head:", b = body(1000), c = "tail";
    for (std::size_t step : {1u, 3u, 7u, 999u, 5000u}) {
        GatherQueue q;
        ASSERT_TRUE(q.push(a.data(), a.size()));
        ASSERT_TRUE(q.push(b.data(), b.size()));
        ASSERT_TRUE(q.push(c.data(), 0));  // empty spans are no spans
        ASSERT_TRUE(q.push(c.data(), c.size()));
        EXPECT_EQ(q.size(), a.size() + b.size() + c.size());
        EXPECT_EQ(drain(q, step), a + b + c) << "step " << step;
        EXPECT_TRUE(q.empty());
    }
}

TEST(GatherQueue, EmptiedQueueGetsItsRoomBack) {
    GatherQueue q;
    const char x = 'x';
    for (std::size_t i = 0; i < GatherQueue::kMaxSpans; ++i) ASSERT_TRUE(q.push(&x, 1));
    EXPECT_FALSE(q.push(&x, 1));
    EXPECT_FALSE(q.has_room(1, 0));
    q.consume(GatherQueue::kMaxSpans - 1);
    EXPECT_FALSE(q.push(&x, 1)) << "room comes back only once empty";
    q.consume(1);
    EXPECT_TRUE(q.empty());
    EXPECT_TRUE(q.push(&x, 1));
    EXPECT_EQ(flatten(q), "x");
}

TEST(GatherQueue, HeadersAreStoredInTheQueue) {
    GatherQueue q;
    ASSERT_TRUE(q.push_header(RecordType::Stdin, 1, 0));
    std::string want;
    append_record(want, RecordType::Stdin, 1, {});
    EXPECT_EQ(flatten(q), want);
    for (std::size_t i = 1; i < GatherQueue::kMaxHeaders; ++i) ASSERT_TRUE(q.push_header(RecordType::Stdin, 1, 0));
    EXPECT_FALSE(q.push_header(RecordType::Stdin, 1, 0));
}

TEST(FrameStream, SameBytesAsAppendStreamForAnySplit) {
    for (std::size_t total : {1u, 8000u, 65535u, 65536u, 131070u, 131071u, 200000u}) {
        const std::string b = body(total);
        const std::string want = expected_stream(b);
        // one piece, 8000-byte pieces (core's socket reads), pieces that
        // straddle the 65535-byte record boundaries
        for (std::size_t piece : {total, std::size_t{8000}, std::size_t{65534}, std::size_t{65536}, std::size_t{1}}) {
            if (total / piece > 40) continue;  // more pieces than the queue has room for
            std::vector<std::span<const std::uint8_t>> pieces;
            for (std::size_t at = 0; at < total; at += piece) pieces.push_back(sp(b, at, std::min(piece, total - at)));
            GatherQueue q;
            ASSERT_TRUE(frame_stream(q, RecordType::Stdin, 1, pieces)) << total << "/" << piece;
            EXPECT_EQ(flatten(q), want) << total << " bytes in pieces of " << piece;
            EXPECT_EQ(drain(q, 4099), want);
        }
    }
}

TEST(FrameStream, NothingQueuedWithoutRoom) {
    const std::string b = body(64);
    std::vector<std::span<const std::uint8_t>> pieces(GatherQueue::kMaxSpans, sp(b, 0, 1));
    GatherQueue q;
    EXPECT_FALSE(frame_stream(q, RecordType::Stdin, 1, pieces));
    EXPECT_TRUE(q.empty());
    EXPECT_TRUE(frame_stream(q, RecordType::Stdin, 1, std::span(pieces).first(10)));
    EXPECT_EQ(q.size(), kHeaderSize + 10);
}

TEST(FrameStream, EmptyStreamQueuesNothing) {
    GatherQueue q;
    EXPECT_TRUE(frame_stream(q, RecordType::Stdin, 1, {}));
    EXPECT_TRUE(q.empty());
}

}  // namespace
