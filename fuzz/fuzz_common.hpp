// Shared by the fuzz targets: a check that aborts (so libFuzzer records a
// crash) and exactly sized copies of input slices (so ASan sees any read
// past the end of a chunk, not just past the end of the whole input).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                             \
        }                                                                             \
    } while (0)

namespace fuzzutil {

inline std::vector<std::uint8_t> exact_copy(const std::uint8_t* p, std::size_t n) {
    std::vector<std::uint8_t> v(p, p + n);
    v.shrink_to_fit();
    return v;
}

}  // namespace fuzzutil
