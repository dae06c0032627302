// Helpers shared by the unit tests: byte literals, exactly-sized buffers
// (so that ASan catches any read past the end of the input), and a
// normalised view of what RecordDecoder produced.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/record.hpp"
#include "fastcgi/result.hpp"

namespace fastcgi {
// Pretty names in gtest failure messages.
inline void PrintTo(Errc e, std::ostream* os) { *os << "Errc(" << int(e) << ": " << to_string(e) << ")"; }
inline void PrintTo(RecordType t, std::ostream* os) { *os << to_string(t) << "(" << int(t) << ")"; }
}  // namespace fastcgi

namespace fcgitest {

using fastcgi::Bytes;

inline std::string bytes(std::initializer_list<int> v) {
    std::string s;
    for (int b : v) s.push_back(static_cast<char>(b));
    return s;
}

inline Bytes as_bytes(std::string_view s) {
    return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

inline std::string hex(std::string_view s) {
    static const char* d = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (!out.empty()) out.push_back(' ');
        out.push_back(d[c >> 4]);
        out.push_back(d[c & 15]);
    }
    return out;
}

/// A heap buffer of exactly s.size() bytes: reading one byte past the end is
/// a heap-buffer-overflow under ASan. (An empty input gets a null span.)
class Exact {
public:
    explicit Exact(std::string_view s) : v_(s.begin(), s.end()) { v_.shrink_to_fit(); }
    Bytes span() const { return Bytes(v_.data(), v_.size()); }
    std::string_view view() const { return {reinterpret_cast<const char*>(v_.data()), v_.size()}; }

private:
    std::vector<std::uint8_t> v_;
};

/// One whole record as the decoder reported it, slices concatenated.
struct DecodedRecord {
    fastcgi::RecordType type;
    std::uint16_t request_id;
    std::string content;
    bool empty_record;
    bool operator==(const DecodedRecord&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const DecodedRecord& r) {
    return os << "{" << fastcgi::to_string(r.type) << " id=" << r.request_id << " len=" << r.content.size()
              << (r.empty_record ? " empty" : "") << " [" << hex(r.content.substr(0, 16)) << "]}";
}

struct DecodeResult {
    std::vector<DecodedRecord> records;
    std::map<int, std::string> stream_data;  ///< per record type, all slices
    fastcgi::Errc final = fastcgi::Errc::need_more;  ///< last non-ok result
    std::size_t consumed = 0;                         ///< total bytes consumed
    std::size_t fragments = 0;
};

/// Feeds `chunks` one after the other, each in its own exactly sized heap
/// buffer, and collects the decoder's output. Checks the per-fragment
/// invariants on the way (via EXPECT).
inline DecodeResult decode_chunks(const std::vector<std::string>& chunks) {
    fastcgi::RecordDecoder dec;
    DecodeResult r;
    std::string pending;  // slices of the record in progress
    bool in_record = false;
    fastcgi::RecordType cur_type{};
    std::uint16_t cur_id = 0;
    for (const auto& chunk : chunks) {
        Exact buf(chunk);
        Bytes in = buf.span();
        while (true) {
            std::size_t used = 12345;
            fastcgi::Fragment f;
            const fastcgi::Errc e = dec.next(in, used, f);
            EXPECT_LE(used, in.size());
            r.consumed += used;
            in = in.subspan(used);
            if (e != fastcgi::Errc::ok) {
                r.final = e;
                if (e != fastcgi::Errc::need_more) return r;
                EXPECT_TRUE(in.empty()) << "need_more left input unread";
                break;
            }
            ++r.fragments;
            const bool stream = fastcgi::is_stream(f.type);
            if (!stream) {
                EXPECT_TRUE(f.last) << "discrete record handed out in pieces";
            }
            if (f.empty_record) {
                EXPECT_TRUE(f.last);
                EXPECT_TRUE(f.data.empty());
                EXPECT_FALSE(in_record) << "empty record in the middle of a record";
            } else if (stream) {
                EXPECT_FALSE(f.data.empty()) << "empty slice of a non-empty stream record";
            }
            if (in_record) {
                EXPECT_EQ(f.type, cur_type);
                EXPECT_EQ(f.request_id, cur_id);
            }
            in_record = !f.last;
            cur_type = f.type;
            cur_id = f.request_id;
            pending.append(reinterpret_cast<const char*>(f.data.data()), f.data.size());
            if (stream) r.stream_data[int(f.type)].append(reinterpret_cast<const char*>(f.data.data()), f.data.size());
            if (f.last) {
                r.records.push_back({f.type, f.request_id, pending, f.empty_record});
                pending.clear();
            }
        }
    }
    return r;
}

inline DecodeResult decode_all(std::string_view s) { return decode_chunks({std::string(s)}); }

/// Anonymous PROT_NONE mapping: a valid address range of `n` bytes that
/// costs no memory and faults if anything reads it. Used to hand a 2 GiB
/// string_view to an encoder that must refuse it without looking at it.
class Reserved {
public:
    explicit Reserved(std::size_t n) : n_(n) {
        p_ = ::mmap(nullptr, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }
    ~Reserved() {
        if (ok()) ::munmap(p_, n_);
    }
    Reserved(const Reserved&) = delete;
    Reserved& operator=(const Reserved&) = delete;
    bool ok() const { return p_ != MAP_FAILED; }
    std::string_view view() const { return {static_cast<const char*>(p_), n_}; }

private:
    void* p_;
    std::size_t n_;
};

}  // namespace fcgitest
