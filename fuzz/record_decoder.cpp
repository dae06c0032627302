// libFuzzer target for RecordDecoder (and HeaderBlockParser on FCGI_STDOUT).
//
// Input: byte 0 picks the chunk size (0 = the whole rest at once), the rest
// is a FastCGI byte stream. The stream is decoded once in one piece and once
// in chunks, each chunk in its own exactly sized heap buffer; both decodes
// must agree (records, stream data, final error, bytes consumed). STDOUT
// data is fed to a HeaderBlockParser as it arrives and, separately, in one
// piece; both must agree too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fastcgi/header_block.hpp"
#include "fastcgi/nvpair.hpp"
#include "fastcgi/record.hpp"
#include "fuzz_common.hpp"

using namespace fastcgi;

namespace {

struct Rec {
    RecordType type;
    std::uint16_t id;
    std::string content;
    bool empty;
    bool operator==(const Rec&) const = default;
};

struct HeaderRun {
    HeaderBlockParser parser{HeaderLimits{512, 2048, 16}};
    Errc e = Errc::need_more;
    std::size_t consumed = 0;

    void feed(std::string_view s) {
        if (e != Errc::need_more) return;
        std::size_t used = 0;
        e = parser.feed(s, used);
        FUZZ_CHECK(used <= s.size());
        if (e == Errc::need_more) FUZZ_CHECK(used == s.size());
        consumed += used;
        FUZZ_CHECK(parser.bytes_seen() == consumed || e != Errc::ok);
    }
};

struct Run {
    std::vector<Rec> records;
    std::string stdout_data;
    Errc final = Errc::need_more;
    std::size_t consumed = 0;
    HeaderRun headers;
};

void decode(const std::uint8_t* data, std::size_t size, std::size_t chunk, Run& run) {
    RecordDecoder dec;
    std::string pending;
    bool in_record = false;
    for (std::size_t off = 0; off < size; off += chunk) {
        const std::size_t n = size - off < chunk ? size - off : chunk;
        const auto buf = fuzzutil::exact_copy(data + off, n);
        Bytes in(buf.data(), buf.size());
        while (true) {
            std::size_t used = 0;
            Fragment f;
            const Errc e = dec.next(in, used, f);
            FUZZ_CHECK(used <= in.size());
            run.consumed += used;
            in = in.subspan(used);
            if (e != Errc::ok) {
                run.final = e;
                FUZZ_CHECK(dec.error() == (e == Errc::need_more ? Errc::ok : e));
                if (e != Errc::need_more) {
                    // Stuck in the error.
                    std::size_t again = 1;
                    FUZZ_CHECK(dec.next(in, again, f) == e && again == 0);
                    return;
                }
                FUZZ_CHECK(in.empty());
                break;
            }
            const auto t = static_cast<std::uint8_t>(f.type);
            FUZZ_CHECK(t >= 1 && t <= kMaxType);
            FUZZ_CHECK(f.data.size() <= kMaxContent);
            if (f.empty_record) FUZZ_CHECK(f.last && f.data.empty() && !in_record);
            if (!is_stream(f.type)) {
                FUZZ_CHECK(f.last);
                if (f.type == RecordType::BeginRequest || f.type == RecordType::EndRequest ||
                    f.type == RecordType::UnknownType) {
                    FUZZ_CHECK(f.data.size() == 8);
                    (void)parse_begin_request(f.data);
                    (void)parse_end_request(f.data);
                }
                if (is_management(f.type) && f.type != RecordType::UnknownType)
                    (void)for_each_pair(f.data, [](std::string_view, std::string_view) {});
            } else if (!f.empty_record) {
                FUZZ_CHECK(!f.data.empty());
            }
            const std::string_view sv(reinterpret_cast<const char*>(f.data.data()), f.data.size());
            pending.append(sv);
            if (f.type == RecordType::Stdout) {
                run.stdout_data.append(sv);
                run.headers.feed(sv);
            }
            in_record = !f.last;
            if (f.last) {
                run.records.push_back({f.type, f.request_id, pending, f.empty_record});
                pending.clear();
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t rest = size - 1;
    const std::size_t chunk = data[0] == 0 ? (rest ? rest : 1) : data[0];
    const std::uint8_t* body = data + 1;

    Run whole, split;
    decode(body, rest, rest ? rest : 1, whole);
    decode(body, rest, chunk, split);
    FUZZ_CHECK(whole.records == split.records);
    FUZZ_CHECK(whole.stdout_data == split.stdout_data);
    FUZZ_CHECK(whole.final == split.final);
    FUZZ_CHECK(whole.consumed == split.consumed);
    if (whole.final == Errc::need_more) FUZZ_CHECK(whole.consumed == rest);

    // The header block of STDOUT: slices as they came vs. one piece.
    HeaderRun once;
    once.feed(whole.stdout_data);
    FUZZ_CHECK(once.e == split.headers.e);
    if (once.e == Errc::ok) {
        FUZZ_CHECK(once.consumed == split.headers.consumed);
        FUZZ_CHECK(once.parser.headers().size() == split.headers.parser.headers().size());
        for (const auto& h : once.parser.headers()) {
            // Any value through parse_status (only Status matters, but all
            // values are good inputs).
            int code = 0;
            std::string_view reason;
            if (parse_status(h.value, code, reason) == Errc::ok) {
                FUZZ_CHECK(code >= 100 && code <= 599);
                FUZZ_CHECK(reason.size() <= h.value.size() - 3);
            }
        }
    }
    return 0;
}
