// libFuzzer target for the name-value pair decoder and PairPacker.
//
// Input: byte 0 picks a small max_length (0..255) and a record size for
// PairPacker; the rest is a pair stream (a PARAMS or GET_VALUES body).
// Checks: for_each_pair with the default bound and with the small bound
// agree; decoded pairs re-encoded with append_pair decode to the same pairs;
// the same pairs packed by PairPacker into small records and decoded with
// RecordDecoder come back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fastcgi/nvpair.hpp"
#include "fastcgi/record.hpp"
#include "fuzz_common.hpp"

using namespace fastcgi;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Errc collect(Bytes in, Pairs& out, std::size_t max_length) {
    return for_each_pair(
        in,
        [&](std::string_view n, std::string_view v) {
            FUZZ_CHECK(n.size() <= max_length && v.size() <= max_length);
            // Views lie inside the input.
            const auto* lo = reinterpret_cast<const char*>(in.data());
            FUZZ_CHECK(n.data() >= lo && n.data() + n.size() <= lo + in.size());
            FUZZ_CHECK(v.data() >= lo && v.data() + v.size() <= lo + in.size());
            out.emplace_back(n, v);
        },
        max_length);
}

bool is_decode_error(Errc e) {
    return e == Errc::truncated || e == Errc::pair_overrun || e == Errc::pair_too_long;
}

Bytes as_bytes(const std::string& s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t small = data[0];
    const std::size_t max_record = data[0] % 97 + 1;
    const auto buf = fuzzutil::exact_copy(data + 1, size - 1);
    const Bytes in(buf.data(), buf.size());

    Pairs all, bounded;
    const Errc e_all = collect(in, all, kMaxPairLength);
    const Errc e_small = collect(in, bounded, small);
    FUZZ_CHECK(e_all == Errc::ok || is_decode_error(e_all));
    FUZZ_CHECK(e_small == Errc::ok || is_decode_error(e_small));
    FUZZ_CHECK(e_all != Errc::pair_too_long);  // nothing above 2^31-1 can be written
    // The bound only ever stops earlier, never changes what was decoded.
    FUZZ_CHECK(bounded.size() <= all.size());
    for (std::size_t i = 0; i < bounded.size(); ++i) FUZZ_CHECK(bounded[i] == all[i]);
    if (e_all == Errc::ok) FUZZ_CHECK(e_small == Errc::ok || e_small == Errc::pair_too_long);
    if (e_small == Errc::ok) FUZZ_CHECK(e_all == Errc::ok && bounded.size() == all.size());

    // Single decode_pair on the raw input never reads past it.
    {
        std::size_t used = 0;
        std::string_view n, v;
        if (decode_pair(in, used, n, v) == Errc::ok) FUZZ_CHECK(used <= in.size() && used >= 2);
    }

    // Re-encode what was decoded.
    std::string re;
    std::size_t expect_size = 0;
    for (const auto& [n, v] : all) {
        FUZZ_CHECK(append_pair(re, n, v) == Errc::ok);
        expect_size += encoded_pair_size(n, v);
    }
    FUZZ_CHECK(re.size() == expect_size);
    Pairs again;
    FUZZ_CHECK(collect(as_bytes(re), again, kMaxPairLength) == Errc::ok);
    FUZZ_CHECK(again == all);

    // Pack into small PARAMS records and decode them back.
    std::string wire;
    {
        PairPacker pk(wire, 1, RecordType::Params, max_record);
        for (const auto& [n, v] : all) FUZZ_CHECK(pk.add(n, v) == Errc::ok);
        pk.finish();
    }
    RecordDecoder dec;
    Bytes w = as_bytes(wire);
    std::string payload;
    bool terminated = false;
    while (true) {
        std::size_t used = 0;
        Fragment f;
        const Errc e = dec.next(w, used, f);
        w = w.subspan(used);
        if (e == Errc::need_more) break;
        FUZZ_CHECK(e == Errc::ok);
        FUZZ_CHECK(f.type == RecordType::Params && f.request_id == 1);
        FUZZ_CHECK(!terminated);
        FUZZ_CHECK(f.data.size() <= max_record);
        if (f.empty_record) terminated = true;
        payload.append(reinterpret_cast<const char*>(f.data.data()), f.data.size());
    }
    FUZZ_CHECK(terminated && w.empty() && dec.at_boundary());
    FUZZ_CHECK(payload == re);
    return 0;
}
