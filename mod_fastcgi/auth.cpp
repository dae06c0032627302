// See auth.hpp.
#include "auth.hpp"

#include <mod_auth.h>

#include <string>
#include <vector>

#include "app_registry.hpp"
#include "auth_config.hpp"
#include "dir_config.hpp"
#include "dynamic_app.hpp"
#include "exchange_with.hpp"
#include "exchange.hpp"
#include "fastcgi/header_block.hpp"
#include "hook_guard.hpp"
#include "params.hpp"
#include "response_headers.hpp"

namespace fastcgi::httpd {

namespace {

/// The answer of an authorizer app: its headers and (bounded) body.
class AuthSink final : public ResponseSink {
public:
    static constexpr std::size_t kMaxBody = 1024 * 1024;  ///< a denial page, kept in memory

    Step on_stdout(apr_bucket*, apr_size_t, std::string_view in) override {
        if (!parser_.done()) {
            std::size_t used = 0;
            const Errc e = parser_.feed(in, used);
            if (e == Errc::need_more) return Step::Continue;
            if (e != Errc::ok) {
                error_ = std::string(to_string(e));
                return Step::Stop;
            }
            in.remove_prefix(used);
        }
        const std::size_t room = kMaxBody - body_.size();
        truncated_ = truncated_ || in.size() > room;
        body_.append(in.substr(0, room));
        return Step::Continue;
    }
    Step on_batch_end() override { return Step::Continue; }
    bool headers_done() const override { return parser_.done(); }
    std::size_t header_bytes() const override { return parser_.bytes_seen(); }
    bool headers_invalid() const override { return !error_.empty(); }

    const HeaderList& headers() const { return parser_.headers(); }
    const std::string& body() const { return body_; }
    const std::string& error() const { return error_; }
    bool truncated() const { return truncated_; }

private:
    HeaderBlockParser parser_;
    std::string body_;
    std::string error_;
    bool truncated_ = false;
};

struct Verdict {
    bool ok = false;     ///< the exchange worked (else fail_status, fail closed)
    int fail_status = HTTP_INTERNAL_SERVER_ERROR;  ///< 503 when the app is overloaded (Retry-After set)
    int status = HTTP_OK;
    CgiHeaders headers;  ///< what the app's headers mean
};

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

/// Runs the authorizer exchange for `role` against the app at `path`.
Verdict run_authorizer(request_rec* r, AuthRole role, const AuthSetting& setting, const char* password,
                       AuthSink& sink) {
    Verdict v;
    const App* app = AppRegistry::current().find(setting.path);
    DynamicApp* dynamic = nullptr;
    if (!app) {
        apr_finfo_t finfo{};
        if (apr_stat(&finfo, setting.path, APR_FINFO_NORM, r->pool) != APR_SUCCESS) finfo.filetype = APR_NOFILE;
        int status = OK;
        dynamic = pool_new<DynamicApp>(r->pool, r, setting.path, finfo, false, status);
        if (!dynamic->valid()) return v;
        app = &dynamic->app();
    }
    // The role's variables must not leak into later phases or the handler.
    apr_table_t* saved_env = apr_table_copy(r->pool, r->subprocess_env);
    ParamsFor what;
    what.role = Role::Authorizer;
    what.apache_role = role_env_name(role);
    what.password = password;
    what.compat = setting.is_compat();
    std::string head;
    append_request_head(r, *app, what, head);
    r->subprocess_env = saved_env;

    const Outcome outcome = exchange_with(r, *app, dynamic, sink, nullptr, std::move(head));
    if (outcome.failure == Failure::Overloaded) v.fail_status = HTTP_SERVICE_UNAVAILABLE;
    if (outcome.failure != Failure::None) return v;
    if (!sink.error().empty() || !sink.headers_done()) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FastCGI: comm with authorizer \"%s\" aborted: error parsing headers: %s", setting.path,
                      sink.error().empty() ? "incomplete headers" : sink.error().c_str());
        return v;
    }
    v.headers = read_cgi_headers(r, sink.headers());
    if (!v.headers.valid()) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: authorizer \"%s\" sent an %s", setting.path,
                      v.headers.error.c_str());
        return v;
    }
    // A Location without a Status is a redirect (CGI/1.1), never a grant.
    v.status = v.headers.effective_status();
    if (sink.truncated())
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "FastCGI: authorizer \"%s\": response body over %zu bytes, truncated", setting.path,
                      AuthSink::kMaxBody);
    v.ok = true;
    return v;
}

/// 200: the app's headers become variables of the request.
void grant(request_rec* r, const AuthSetting& setting, const AuthSink& sink) {
    for (const Header& h : sink.headers()) {
        if (!strcasecmp(h.name.c_str(), "Status")) continue;
        const bool variable = starts_with_nocase(h.name, "Variable-");
        if (setting.is_compat() && !variable) continue;
        const std::string name(std::string_view(h.name).substr(variable ? 9 : 0));
        if (name.empty()) continue;
        apr_table_set(r->subprocess_env, name.c_str(), h.value.c_str());
    }
}

/// A denial relayed to the client: the app's status, headers and body.
int relay_denial(request_rec* r, const Verdict& v, const AuthSink& sink, bool basic_challenge) {
    bool has_challenge = false;
    const CgiHeaders& h = v.headers;
    for (const auto& [name, value] : h.others) {
        if (!strcasecmp(name, "WWW-Authenticate")) has_challenge = true;
        apr_table_add(r->err_headers_out, name, value);
    }
    if (h.location) apr_table_set(r->headers_out, "Location", h.location);
    if (h.last_modified) apr_table_set(r->err_headers_out, "Last-Modified", h.last_modified);
    if (v.status == HTTP_UNAUTHORIZED && basic_challenge && !has_challenge) ap_note_auth_failure(r);
    // Without a body (or in a subrequest) httpd builds the response, and
    // ErrorDocument applies; with one, the app's page is sent as it is.
    if (sink.body().empty() || r->main) return v.status;
    r->status = v.status;
    r->status_line = h.has_status ? h.status_line : nullptr;
    ap_set_content_type(r, h.content_type ? h.content_type : "text/html");
    apr_table_setn(r->headers_out, "Content-Length", apr_off_t_toa(r->pool, static_cast<apr_off_t>(sink.body().size())));
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (!r->header_only)
        apr_brigade_write(bb, nullptr, nullptr, sink.body().data(), sink.body().size());
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
    ap_discard_request_body(r);
    ap_pass_brigade(r->output_filters, bb);
    return DONE;
}

int authorize(request_rec* r, AuthRole role) {
    const DirConfig* conf = dir_config_of(r);
    if (!conf) return DECLINED;
    const AuthSetting& setting = (*conf)[role];
    if (!setting.path) return DECLINED;

    const char* password = nullptr;
    if (role == AuthRole::Authenticator) {
        // Basic only, as the original: no credentials means 401 without
        // bothering the app.
        const int rc = ap_get_basic_auth_pw(r, &password);
        if (rc != OK) return rc;
    }
    AuthSink sink;
    const Verdict v = run_authorizer(r, role, setting, password, sink);
    if (!v.ok) {
        // Fail closed, whatever ...Authoritative says.
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: %s \"%s\" failed; access refused: %s",
                      role == AuthRole::Authenticator ? "authenticator"
                      : role == AuthRole::Authorizer  ? "authorizer"
                                                      : "access checker",
                      setting.path, r->uri);
        return v.fail_status;
    }
    if (v.status == HTTP_OK) {
        grant(r, setting, sink);
        return OK;
    }
    switch (role) {
    case AuthRole::Authenticator:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: authentication failed for user \"%s\": %s",
                      r->user ? r->user : "", r->uri);
        break;
    case AuthRole::Authorizer:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: authorization failed for user \"%s\": %s",
                      r->user ? r->user : "", r->uri);
        break;
    case AuthRole::AccessChecker:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: access denied: %s", r->uri);
        break;
    }
    if (!setting.is_authoritative()) return DECLINED;
    return relay_denial(r, v, sink, role != AuthRole::AccessChecker);
}

int check_user_id(request_rec* r) {
    return guard_request(r, [r] { return authorize(r, AuthRole::Authenticator); });
}
int auth_checker(request_rec* r) {
    return guard_request(r, [r] { return authorize(r, AuthRole::Authorizer); });
}
int access_checker(request_rec* r) {
    return guard_request(r, [r] { return authorize(r, AuthRole::AccessChecker); });
}

}  // namespace

void register_auth_hooks() {
    // First in each phase: configurations written for the original work
    // whatever the LoadModule order (mod_auth_basic hooks MIDDLE).
    ap_hook_check_authn(check_user_id, nullptr, nullptr, APR_HOOK_FIRST, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authz(auth_checker, nullptr, nullptr, APR_HOOK_FIRST, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_access(access_checker, nullptr, nullptr, APR_HOOK_FIRST, AP_AUTH_INTERNAL_PER_CONF);
}

}  // namespace fastcgi::httpd
