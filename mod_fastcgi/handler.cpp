// The "fastcgi-script" handler and the fixup that routes requests for a
// defined application to it. A request flows one way: resolve the app,
// prepare the body, build the params, run the exchange, let the responder
// turn the outcome into the answer.
#include <cstring>
#include <string>

#include "app_registry.hpp"
#include "dynamic_app.hpp"
#include "exchange_with.hpp"
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

/// Runs one request against `app`; `dynamic` is set for an application the
/// process manager starts on demand.
int serve(request_rec* r, const App& app, DynamicApp* dynamic) {
    RequestBody body(r);
    if (const int st = body.prepare(); st != OK) return st;

    std::string head;
    ParamsFor what;
    what.spooled_length = body.spooled_length();
    append_request_head(r, app, what, head);

    Responder responder(r, app, is_nph(app, r->filename));
    const Outcome outcome = exchange_with(r, app, dynamic, responder, &body, std::move(head));
    if (outcome.failure == Failure::ClientBodyError && !responder.sent()) return body.status_for(outcome.rv);
    return responder.finish(outcome);
}

int handle(request_rec* r) {
    if (const App* app = r->filename ? AppRegistry::current().find(r->filename) : nullptr)
        return serve(r, *app, nullptr);
    int status = OK;
    DynamicApp dynamic(r, r->filename, r->finfo, true, status);
    if (!dynamic.valid()) return status;
    return serve(r, dynamic.app(), &dynamic);
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
