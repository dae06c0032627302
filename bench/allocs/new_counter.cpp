// An LD_PRELOAD shim for bench/allocs/run: counts the calls of the global
// operator new in each process and, at exit, appends "pid calls bytes" to
// $NEW_COUNTER_FILE. With NEW_COUNTER_TRACE set, every call also writes a
// backtrace to stderr (the error log, for httpd's children), which
// bench/allocs/run turns into source lines with addr2line.
#include <execinfo.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
std::atomic<unsigned long> g_calls{0};
std::atomic<unsigned long> g_bytes{0};
const bool g_trace = std::getenv("NEW_COUNTER_TRACE") != nullptr;
}  // namespace

void* operator new(std::size_t n) {
    g_calls.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(n, std::memory_order_relaxed);
    if (g_trace) {
        void* frames[10];
        const int k = backtrace(frames, 10);
        backtrace_symbols_fd(frames, k, 2);
        if (write(2, "--\n", 3) < 0) {}
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

__attribute__((destructor)) static void report() {
    const char* file = std::getenv("NEW_COUNTER_FILE");
    if (!file) return;
    if (FILE* out = std::fopen(file, "a")) {
        std::fprintf(out, "%d %lu %lu\n", static_cast<int>(getpid()), g_calls.load(), g_bytes.load());
        std::fclose(out);
    }
}
