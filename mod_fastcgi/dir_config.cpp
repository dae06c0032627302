// See dir_config.hpp.
#include "dir_config.hpp"

namespace fastcgi::httpd {

void* create_dir_config(apr_pool_t* p, char*) {
    void* mem = apr_pcalloc(p, sizeof(DirConfig));
    return new (mem) DirConfig();
}

void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
    const auto* base = static_cast<const DirConfig*>(base_v);
    const auto* add = static_cast<const DirConfig*>(add_v);
    auto* out = static_cast<DirConfig*>(create_dir_config(p, nullptr));
    for (int i = 0; i < kAuthRoles; ++i) merge_auth_setting(base->roles[i], add->roles[i], out->roles[i]);
    out->internal_only = add->internal_only != -1 ? add->internal_only : base->internal_only;
    merge_stderr_dir_config(p, base->stderr_log, add->stderr_log, out->stderr_log);
    merge_handoff_dir_config(base->handoff, add->handoff, out->handoff);
    return out;
}

const DirConfig* dir_config_of(const request_rec* r) noexcept {
    return static_cast<const DirConfig*>(ap_get_module_config(r->per_dir_config, &fastcgi_module));
}

}  // namespace fastcgi::httpd
