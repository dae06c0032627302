// The module's shared memory: every room that counts across httpd's
// children (connection reuse, the caps, the balancer, the status counters)
// makes its segment the same way, here.
//
// Lifetime: an anonymous apr_shm segment in pconf, made in post_config
// before the process manager and the children fork, so that all of them
// share it; nothing in the file system to clean up or to collide with
// another httpd. When pconf goes (graceful restart, stop) `forget` resets
// the room's pointers in the parent; a child or a draining process manager
// keeps the mapping it inherited for as long as it runs.
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {

/// `size` zeroed bytes shared by every process forked after this call, or
/// nullptr after logging which room (`what`) could not have them.
void* create_shared_segment(apr_pool_t* pconf, server_rec* s, apr_size_t size, const char* what,
                            void (*forget)() noexcept);

}  // namespace fastcgi::httpd
