// The entry of every exchange, for the handler and the authorizer roles
// alike: how long to wait for the application to be ready, the exchange
// itself, closing the connection, and what the process manager is told.
#pragma once

#include <string>

#include "app_registry.hpp"
#include "dynamic_app.hpp"
#include "exchange.hpp"
#include "outcome.hpp"
#include "request_body.hpp"
#include "response_sink.hpp"

namespace fastcgi::httpd {

/// How an exchange with `app` waits for it to be ready: a dynamic app is
/// asked for and waited for (DynamicApp::prepare); a static app's socket
/// may be missing for a moment while a new process manager starts (after a
/// restart), so a refused connect is retried for -appConnTimeout or 5 s; an
/// external app is not waited for.
Exchange::Waiting waiting_for(const App& app, DynamicApp* dynamic);

/// One whole exchange with `app`: takes a slot under its caps (admission.hpp;
/// Failure::Overloaded when refused), waits for it as waiting_for() says, runs
/// it, closes the connection (before any internal redirect runs), and
/// reports the service time of a dynamic app to the process manager; the
/// exchange is counted on the status page (app_stats.hpp).
Outcome exchange_with(request_rec* r, const App& app, DynamicApp* dynamic, ResponseSink& sink, RequestBody* body,
                      std::string head);

}  // namespace fastcgi::httpd
