// The "fastcgi-script" handler and the fixup that routes requests for a
// defined application to it. A request flows one way: resolve the app,
// prepare the body, build the params, run the exchange, let the responder
// turn the outcome into the answer.
#include <cstring>
#include <string>

#include "app_registry.hpp"
#include "exchange.hpp"
#include "handler.hpp"
#include "hook_guard.hpp"
#include "params.hpp"
#include "request_body.hpp"
#include "responder.hpp"

namespace fastcgi::httpd {

namespace {

constexpr const char* kHandlerName = "fastcgi-script";

bool is_nph(const App& app, const char* filename) {
    if (app.config.nph) return true;
    const char* base = std::strrchr(filename, '/');
    base = base ? base + 1 : filename;
    return std::strncmp(base, "nph-", 4) == 0;
}

/// A fastcgi-script request for a file that no directive defines: the
/// original's dynamic application. Checks as the original does; starting
/// dynamic applications is the process manager's job.
int undefined_app(request_rec* r) {
    if (r->finfo.filetype == APR_NOFILE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_ENOENT, r, "FastCGI: stat() of \"%s\" failed", r->filename);
        return HTTP_NOT_FOUND;
    }
    if (r->finfo.filetype == APR_DIR) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FastCGI: invalid (dynamic) server \"%s\": script is a directory!", r->filename);
        return HTTP_FORBIDDEN;
    }
    if (!(ap_allow_options(r) & OPT_EXECCGI)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FastCGI: \"ExecCGI Option\" is off in this directory: %s",
                      r->uri);
        return HTTP_FORBIDDEN;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "FastCGI: no FastCgiExternalServer defines \"%s\", and dynamic applications are not "
                  "supported by this build",
                  r->filename);
    return HTTP_INTERNAL_SERVER_ERROR;
}

int handle(request_rec* r) {
    const App* app = r->filename ? AppRegistry::current().find(r->filename) : nullptr;
    if (!app) return undefined_app(r);

    RequestBody body(r);
    if (const int st = body.prepare(); st != OK) return st;

    std::string head;
    append_request_head(r, *app, Role::Responder, body.spooled_length(), head);

    Responder responder(r, *app, is_nph(*app, r->filename));
    Outcome outcome;
    {
        Exchange exchange(r, *app, responder, &body);
        outcome = exchange.run(std::move(head));
    }  // the app connection is closed here, before any redirect runs
    if (outcome.failure == Failure::ClientBodyError && !responder.sent()) return body.status_for(outcome.rv);
    return responder.finish(outcome);
}

}  // namespace

int fastcgi_handler(request_rec* r) {
    if (!r->handler || std::strcmp(r->handler, kHandlerName) != 0) return DECLINED;
    return guard_request(r, [r] { return handle(r); });
}

int fastcgi_fixups(request_rec* r) {
    return guard_request(r, [r] {
        // As the original: a request for a defined application goes to it
        // without SetHandler/AddHandler.
        if (r->filename && AppRegistry::current().find(r->filename)) r->handler = kHandlerName;
        return DECLINED;
    });
}

}  // namespace fastcgi::httpd
