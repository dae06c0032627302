// libFuzzer target for the process-manager datagram codec (pm_message.hpp).
//
// Input: one datagram, as the PM's recv() would return it.
// Checks: decode_pm_message never reads past the input (exact heap copy);
// a decoded message has every field within its bound and no NUL, encodes
// again, and the encoding equals the input byte for byte (the format has
// exactly one spelling per message), and decodes to the same message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fastcgi/pm_message.hpp"
#include "fuzz_common.hpp"

using namespace fastcgi;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzzutil::exact_copy(data, size);
    const auto m = decode_pm_message(Bytes(buf.data(), buf.size()));
    if (!m) return 0;

    FUZZ_CHECK(size <= kPmMaxDatagram);
    FUZZ_CHECK(!m->path.empty() && m->path.size() <= kPmMaxPath);
    FUZZ_CHECK(m->user.size() <= kPmMaxName && m->group.size() <= kPmMaxName);
    for (const std::string* s : {&m->path, &m->user, &m->group})
        FUZZ_CHECK(s->find('\0') == std::string::npos);
    const auto t = static_cast<char>(m->type);
    FUZZ_CHECK(t == 'S' || t == 'R' || t == 'T' || t == 'C');

    const auto enc = encode_pm_message(*m);
    FUZZ_CHECK(enc.has_value());
    FUZZ_CHECK(*enc == std::string_view(reinterpret_cast<const char*>(data), size));

    const auto again = decode_pm_message(Bytes(reinterpret_cast<const std::uint8_t*>(enc->data()), enc->size()));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->type == m->type && again->path == m->path && again->user == m->user &&
               again->group == m->group && again->queue_us == m->queue_us && again->service_us == m->service_us);
    return 0;
}
