// See exchange_with.hpp.
#include "exchange_with.hpp"

#include "admission.hpp"
#include "app_stats.hpp"

namespace fastcgi::httpd {

Exchange::Waiting waiting_for(const App& app, DynamicApp* dynamic) {
    if (dynamic) return dynamic->prepare();
    Exchange::Waiting w;
    if (app.config.kind == AppKind::Static) {
        const unsigned secs = app.config.app_conn_timeout ? app.config.app_conn_timeout : 5;
        w.connect_deadline = apr_time_now() + apr_time_from_sec(secs);
    }
    return w;
}

Outcome exchange_with(request_rec* r, const App& app, DynamicApp* dynamic, ResponseSink& sink, RequestBody* body,
                      std::string head) {
    // Before anything else: a request refused here costs the app nothing
    // and holds this worker at most -queue-timeout.
    AdmissionTicket ticket;
    switch (const Admission a = ticket.enter(r, app)) {
    case Admission::Admitted: break;
    case Admission::Abandoned: return {Failure::ClientAborted, APR_ECONNABORTED, to_string(a)};
    default:
        AppStats::note_overloaded(app);
        return {Failure::Overloaded, APR_SUCCESS, to_string(a)};
    }
    Outcome outcome;
    apr_time_t connected_at = 0;
    RequestStats counted(app);
    {
        Exchange exchange(r, app, sink, body);
        exchange.set_waiting(waiting_for(app, dynamic));
        outcome = exchange.run(std::move(head));
        connected_at = exchange.connected_at();
    }  // the app connection is closed here
    if (outcome.failure == Failure::None && sink.headers_invalid())
        counted.finish(Outcome{Failure::BadHeaders, APR_SUCCESS, {}}, connected_at);
    else
        counted.finish(outcome, connected_at);
    if (dynamic) dynamic->done(connected_at);
    return outcome;
}

}  // namespace fastcgi::httpd
