// libFuzzer target for the response path: the records an application sends
// in, what httpd would send out. It drives RecordDecoder, HeaderBlockParser
// (the module's default limits) and LineSplitter + escape_control the way
// mod_fastcgi/exchange.cpp dispatches records for request id 1: STDOUT to
// the header parser and then the body, STDERR to log lines, END_REQUEST
// ends the exchange, a record for another id or of an unexpected type is a
// protocol error, management records with id 0 are skipped.
//
// Input: byte 0 seeds the read sizes (the exchange sees the stream in
// arbitrary pieces: a socket read can end anywhere); the rest is the stream.
// Properties: every way of cutting the stream gives the same answer; an
// answer that goes out has headers without CR, LF, NUL or control bytes, a
// Status in 200..599, a body that is exactly the STDOUT bytes after the
// header block; nothing after END_REQUEST is ever used; log lines carry no
// control byte and are at most 8191 bytes of the application's text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fastcgi/header_block.hpp"
#include "fastcgi/line_splitter.hpp"
#include "fastcgi/record.hpp"
#include "fuzz_common.hpp"

using namespace fastcgi;

namespace {

constexpr std::uint16_t kId = 1;

enum class End { NeedMore, Complete, ProtocolError, BadHeaders, IncompleteHeaders };

struct Answer {
    End end = End::NeedMore;
    int status = 200;
    HeaderList headers;
    std::string body;
    std::vector<std::string> log;  ///< stderr lines as they would be logged
    std::size_t after_end = 0;     ///< bytes read after END_REQUEST (ignored)
    std::size_t stdout_total = 0;  ///< STDOUT bytes before the end
    bool operator==(const Answer& o) const {
        if (end != o.end || log != o.log) return false;
        if (end != End::Complete) return true;  // where a failure stops depends on the pieces
        if (status != o.status || body != o.body || after_end != o.after_end || stdout_total != o.stdout_total ||
            headers.size() != o.headers.size())
            return false;
        for (std::size_t i = 0; i < headers.size(); ++i)
            if (headers[i].name != o.headers[i].name || headers[i].value != o.headers[i].value) return false;
        return true;
    }
};

class Exchange {
public:
    /// One socket read; returns false once the exchange has ended.
    bool read(const std::uint8_t* p, std::size_t n) {
        if (a_.end != End::NeedMore) {
            if (a_.end == End::Complete) a_.after_end += n;
            return false;
        }
        const auto buf = fuzzutil::exact_copy(p, n);
        Bytes in(buf.data(), buf.size());
        std::size_t pos = 0;
        while (pos < in.size()) {
            std::size_t used = 0;
            Fragment f;
            const Errc e = dec_.next(in.subspan(pos), used, f);
            FUZZ_CHECK(used <= in.size() - pos);
            pos += used;
            if (e == Errc::need_more) break;
            if (e != Errc::ok) return stop(End::ProtocolError);
            if (f.request_id != kId) {
                if (f.request_id == kNullRequestId && is_management(f.type)) continue;
                return stop(End::ProtocolError);
            }
            const std::string_view sv(reinterpret_cast<const char*>(f.data.data()), f.data.size());
            switch (f.type) {
            case RecordType::Stdout:
                if (!on_stdout(sv)) return false;
                break;
            case RecordType::Stderr:
                err_.feed(sv, [this](std::string_view l) { log(l); });
                break;
            case RecordType::EndRequest: {
                const EndRequestBody end = parse_end_request(f.data);
                if (end.protocol_status != static_cast<std::uint8_t>(ProtocolStatus::RequestComplete))
                    return stop(End::ProtocolError);
                if (!parser_.done()) return stop(End::IncompleteHeaders);
                a_.after_end += in.size() - pos;
                return stop(End::Complete);
            }
            case RecordType::GetValuesResult:
            case RecordType::UnknownType:
                break;
            default:
                return stop(End::ProtocolError);
            }
        }
        return true;
    }

    /// The connection was closed.
    Answer close() {
        if (a_.end == End::NeedMore) {
            // as the exchange: cut inside a record, before or after the headers
            a_.end = !parser_.done() ? End::IncompleteHeaders : End::ProtocolError;
            err_.finish([this](std::string_view l) { log(l); });
        }
        return a_;
    }

private:
    bool stop(End e) {
        a_.end = e;
        err_.finish([this](std::string_view l) { log(l); });
        return false;
    }

    bool on_stdout(std::string_view s) {
        a_.stdout_total += s.size();
        if (parser_.done()) {
            a_.body.append(s);
            return true;
        }
        std::size_t used = 0;
        const Errc e = parser_.feed(s, used);
        FUZZ_CHECK(used <= s.size());
        if (e == Errc::need_more) return true;
        if (e != Errc::ok) return stop(End::BadHeaders);
        header_bytes_ = parser_.bytes_seen();
        for (const auto& h : parser_.headers()) {
            if (h.name.size() == 6 && (h.name == "Status" || h.name == "status" || h.name == "STATUS")) {
                int code = 0;
                std::string_view reason;
                // as the glue's parse_final_status(): 1xx is never a final status
                if (parse_status(h.value, code, reason) != Errc::ok || code < 200) return stop(End::BadHeaders);
                a_.status = code;
            }
        }
        a_.headers = parser_.headers();
        a_.body.append(s.substr(used));
        return true;
    }

    void log(std::string_view line) {
        FUZZ_CHECK(line.size() <= 8191);
        a_.log.push_back(escape_control(line));
    }

public:
    std::size_t header_bytes_ = 0;

private:
    RecordDecoder dec_;
    HeaderBlockParser parser_{HeaderLimits{}};
    LineSplitter err_;
    Answer a_;
};

Answer run(const std::uint8_t* data, std::size_t size, std::uint32_t seed, std::size_t& header_bytes) {
    Exchange x;
    std::size_t off = 0;
    while (off < size) {
        // read sizes 1..64 from a small LCG, or everything at once for seed 0
        std::size_t n = size - off;
        if (seed != 0) {
            seed = seed * 1103515245u + 12345u;
            n = std::min<std::size_t>(n, 1 + (seed >> 16) % 64);
        }
        const bool go_on = x.read(data + off, n);
        off += n;
        if (!go_on) {
            if (off < size) x.read(data + off, size - off);  // counted as after the end
            break;
        }
    }
    Answer a = x.close();
    header_bytes = x.header_bytes_;
    return a;
}

bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t* body = data + 1;
    const std::size_t rest = size - 1;

    std::size_t hb_whole = 0, hb_split = 0;
    const Answer whole = run(body, rest, 0, hb_whole);
    const Answer split = run(body, rest, data[0] + 1u, hb_split);
    FUZZ_CHECK(whole == split);
    FUZZ_CHECK(hb_whole == hb_split);

    for (const auto& l : whole.log)
        for (unsigned char c : l) FUZZ_CHECK(!is_ctl(c));

    if (whole.end == End::Complete) {
        // what httpd would send: a status line, these headers, this body
        FUZZ_CHECK(whole.status >= 200 && whole.status <= 599);
        for (const auto& h : whole.headers) {
            FUZZ_CHECK(!h.name.empty());
            for (unsigned char c : h.name) FUZZ_CHECK(!is_ctl(c) && c != ':' && c != ' ');
            for (unsigned char c : h.value) FUZZ_CHECK(c == '\t' || !is_ctl(c));
        }
        FUZZ_CHECK(whole.headers.size() <= HeaderLimits{}.max_count);
        FUZZ_CHECK(hb_whole <= HeaderLimits{}.max_block);
        FUZZ_CHECK(whole.body.size() + hb_whole == whole.stdout_total);
    }
    return 0;
}
