// The C boundary. Every function whose address goes to httpd or APR calls
// one of these guards, so that no C++ exception ever unwinds into httpd:
// a request hook answers 500 (an authorization hook therefore fails closed),
// a directive handler answers an error string, a cleanup answers success.
#pragma once

#include <exception>
#include <new>

#include "httpd.hpp"

namespace fastcgi::httpd {

template <class Fn>
int guard_request(request_rec* r, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const std::bad_alloc&) {
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, 0, r, "FastCGI: out of memory");
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

template <class Fn>
const char* guard_directive(cmd_parms* cmd, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const std::exception& e) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": internal error: ", e.what(), nullptr);
    } catch (...) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": internal error", nullptr);
    }
}

template <class Fn>
int guard_server(server_rec* s, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "FastCGI: internal error: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "FastCGI: internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

/// Builds a C++ object in pool memory whose destructor runs when the pool
/// is cleared or destroyed.
template <class T, class... Args>
T* pool_new(apr_pool_t* p, Args&&... args) {
    void* mem = apr_palloc(p, sizeof(T));
    T* obj = new (mem) T(static_cast<Args&&>(args)...);
    apr_pool_cleanup_register(
        p, obj,
        [](void* o) noexcept -> apr_status_t {
            static_cast<T*>(o)->~T();
            return APR_SUCCESS;
        },
        apr_pool_cleanup_null);
    return obj;
}

}  // namespace fastcgi::httpd
