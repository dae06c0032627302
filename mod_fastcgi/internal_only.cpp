// See internal_only.hpp.
#include "internal_only.hpp"

#include "dir_config.hpp"
#include "file_handoff.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

namespace {

/// Whether `r`, or the request it is a subrequest of, is the target of an
/// X-Accel-Redirect (or of a redirect from such a target).
bool reached_by_accel_redirect(const request_rec* r) {
    for (const request_rec* q = r; q; q = q->main)
        if (q->prev && apr_table_get(q->prev->notes, kAccelRedirectNote)) return true;
    return false;
}

int check(request_rec* r) {
    const DirConfig* conf = dir_config_of(r);
    if (!conf || conf->internal_only != 1) return DECLINED;
    if (reached_by_accel_redirect(r)) {
        // Redirects onward from an admitted target are admitted too.
        apr_table_setn(r->notes, kAccelRedirectNote, "1");
        return DECLINED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "FastCGI: \"%s\" is FastCgiInternalOnly: only X-Accel-Redirect may reach it (404)", r->uri);
    return HTTP_NOT_FOUND;
}

int check_hook(request_rec* r) { return guard_request(r, [r] { return check(r); }); }

}  // namespace

const char* internal_only_directive(cmd_parms* cmd, void* cfg, int on) {
    dir_config_arg(cfg).internal_only = on ? 1 : 0;
    return nullptr;
}

void register_internal_only_hooks() {
    ap_hook_access_checker(check_hook, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(check_hook, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
}

}  // namespace fastcgi::httpd
