// A std::pmr::memory_resource over an APR pool, so that the request path's
// containers (the CGI header parser, the header list) take their memory from
// the request's pool instead of the heap: nothing is freed one by one, all
// of it goes with the pool.
#pragma once

#include <apr_pools.h>

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>

namespace fastcgi::httpd {

class PoolResource final : public std::pmr::memory_resource {
public:
    explicit PoolResource(apr_pool_t* pool) noexcept : pool_(pool) {}

private:
    void* do_allocate(std::size_t bytes, std::size_t align) override {
        // apr_palloc aligns to 8 (APR_ALIGN_DEFAULT); more is done by hand.
        const std::size_t extra = align > 8 ? align : 0;
        void* p = apr_palloc(pool_, bytes + extra);
        if (!p) throw std::bad_alloc();
        if (!extra) return p;
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        return reinterpret_cast<void*>((a + align - 1) & ~(std::uintptr_t{align} - 1));
    }
    void do_deallocate(void*, std::size_t, std::size_t) override {}  // freed with the pool
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }

    apr_pool_t* pool_;
};

/// A PoolResource living in `pool` itself (it owns nothing, so it needs no
/// destructor call): for containers whose owner does not outlive the pool.
inline PoolResource* pool_resource(apr_pool_t* pool) {
    return new (apr_palloc(pool, sizeof(PoolResource))) PoolResource(pool);
}

}  // namespace fastcgi::httpd
