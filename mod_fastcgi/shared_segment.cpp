// See shared_segment.hpp.
#include "shared_segment.hpp"

#include <apr_shm.h>

#include <cstring>

namespace fastcgi::httpd {

namespace {
struct Forget {
    void (*fn)() noexcept;
};
}  // namespace

void* create_shared_segment(apr_pool_t* pconf, server_rec* s, apr_size_t size, const char* what,
                            void (*forget)() noexcept) {
    apr_shm_t* shm = nullptr;
    const apr_status_t rv = apr_shm_create(&shm, size, nullptr, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "FastCGI: cannot create %" APR_SIZE_T_FMT " bytes of shared memory %s",
                     size, what);
        return nullptr;
    }
    void* base = apr_shm_baseaddr_get(shm);
    std::memset(base, 0, size);
    auto* f = static_cast<Forget*>(apr_palloc(pconf, sizeof(Forget)));
    f->fn = forget;
    apr_pool_cleanup_register(
        pconf, f,
        [](void* data) noexcept -> apr_status_t {
            static_cast<Forget*>(data)->fn();
            return APR_SUCCESS;
        },
        apr_pool_cleanup_null);
    return base;
}

}  // namespace fastcgi::httpd
