// See params.hpp.
#include "params.hpp"

#include <cstring>

#include "fastcgi/nvpair.hpp"
#include "fastcgi/record.hpp"

namespace fastcgi::httpd {

std::string header_env_name(const char* header) {
    std::string name = "HTTP_";
    for (const char* c = header; *c; ++c)
        name.push_back(apr_isalnum(*c) ? static_cast<char>(apr_toupper(*c)) : '_');
    return name;
}

namespace {

/// Environment names as ap_create_environment makes them: anything but
/// letters and digits becomes '_', and so does a leading digit.
void sanitize_name(const char* key, std::string& out) {
    out.assign(key);
    for (char& c : out)
        if (!apr_isalnum(c)) c = '_';
    if (!out.empty() && apr_isdigit(out[0])) out[0] = '_';
}

/// Variables that must never reach an app whatever the configuration:
/// HTTP_PROXY (httpoxy), and credentials that an internal redirect copied
/// under a REDIRECT_ prefix (the app gets them only through -pass-header or
/// CGIPassAuth, for this request).
bool is_forbidden(std::string_view name) {
    const bool redirected = name.starts_with("REDIRECT_");
    while (name.starts_with("REDIRECT_")) name.remove_prefix(9);
    if (name == "HTTP_PROXY") return true;
    return redirected && (name == "HTTP_AUTHORIZATION" || name == "HTTP_PROXY_AUTHORIZATION");
}

}  // namespace

/// The reduced CGI set of the authorizer roles: no PATH_TRANSLATED, and
/// with -compat neither SCRIPT_NAME, PATH_INFO nor CONTENT_LENGTH (the
/// FastCGI specification's rule).
void add_authorizer_vars(request_rec* r, const ParamsFor& what) {
    apr_table_t* env = r->subprocess_env;
    apr_table_setn(env, "GATEWAY_INTERFACE", "CGI/1.1");
    apr_table_setn(env, "SERVER_PROTOCOL", r->protocol);
    apr_table_setn(env, "REQUEST_METHOD", r->method);
    apr_table_setn(env, "QUERY_STRING", r->args ? r->args : "");
    apr_table_setn(env, "REQUEST_URI", r->unparsed_uri);
    if (what.compat) {
        apr_table_unset(env, "CONTENT_LENGTH");
    } else if (r->path_info && *r->path_info) {
        const int start = ap_find_path_info(r->uri, r->path_info);
        apr_table_setn(env, "SCRIPT_NAME", apr_pstrndup(r->pool, r->uri, start));
        apr_table_setn(env, "PATH_INFO", r->path_info);
    } else {
        apr_table_setn(env, "SCRIPT_NAME", r->uri);
    }
    apr_table_setn(env, "FCGI_APACHE_ROLE", what.apache_role);
    if (what.password) apr_table_setn(env, "REMOTE_PASSWD", what.password);
}

void append_request_head(request_rec* r, const App& app, const ParamsFor& what, std::string& out) {
    apr_table_t* env = r->subprocess_env;
    ap_add_common_vars(r);
    // -pass-header reaches the app whatever httpd's own filters think of the
    // header (Authorization is the usual reason for it).
    for (const std::string& h : app.config.pass_headers) {
        if (const char* v = apr_table_get(r->headers_in, h.c_str()))
            apr_table_set(env, header_env_name(h.c_str()).c_str(), v);
    }
    if (what.role == Role::Responder)
        ap_add_cgi_vars(r);
    else
        add_authorizer_vars(r, what);
    if (what.spooled_length) {
        apr_table_setn(env, "CONTENT_LENGTH", what.spooled_length);
        apr_table_unset(env, "HTTP_TRANSFER_ENCODING");
    }

    const apr_array_header_t* arr = apr_table_elts(env);
    const auto* elts = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    // One allocation for the whole head: BEGIN_REQUEST, the pairs (at most 8
    // bytes of lengths each), their record headers, and the empty FCGI_STDIN
    // that converse() appends for a request without a body.
    std::size_t pairs = 0;
    for (int i = 0; i < arr->nelts; ++i)
        if (elts[i].key) pairs += std::strlen(elts[i].key) + (elts[i].val ? std::strlen(elts[i].val) : 0) + 8;
    out.reserve(out.size() + 2 * kHeaderSize + pairs + kHeaderSize * (pairs / kMaxContent + 3));
    append_begin_request(out, kRequestId, what.role);

    PairPacker packer(out, kRequestId, RecordType::Params);
    // Kept by the thread between requests: a name longer than the string's
    // inline buffer costs no allocation once the thread has seen one.
    thread_local std::string name;
    for (int i = 0; i < arr->nelts; ++i) {
        if (!elts[i].key) continue;
        sanitize_name(elts[i].key, name);
        if (is_forbidden(name)) continue;
        const char* v = elts[i].val ? elts[i].val : "";
        if (packer.add(name, std::string_view(v, std::strlen(v))) != Errc::ok)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "FastCGI: server \"%s\": variable %s too long, not sent", app.config.filename.c_str(),
                          name.c_str());
    }
    packer.finish();
}

}  // namespace fastcgi::httpd
