// See status_handler.hpp.
#include "status_handler.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "admission.hpp"
#include "app_stats.hpp"
#include "balancer.hpp"
#include "fastcgi/status_render.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

namespace {

constexpr const char* kHandlerName = "fastcgi-status";

enum class Form { Html, Auto, OpenMetrics, Prometheus };

struct Query {
    Form form = Form::Html;
    unsigned refresh = 0;
    std::string app;  ///< only apps whose filename contains this
};

/// ?auto, ?metrics, ?format=html|auto|openmetrics|metrics|prometheus, ?refresh=N
/// (1..3600), ?app=TEXT (URL-encoded), separated by & or ;, as mod_status
/// reads its query.
Query parse_query(const char* args) {
    Query q;
    std::string_view rest = args ? args : "";
    while (!rest.empty()) {
        const std::size_t end = rest.find_first_of("&;");
        const std::string_view item = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        if (item == "auto" || item == "format=auto") {
            q.form = Form::Auto;
        } else if (item == "metrics" || item == "format=openmetrics" || item == "format=metrics") {
            q.form = Form::OpenMetrics;
        } else if (item == "format=prometheus") {
            q.form = Form::Prometheus;
        } else if (item == "format=html") {
            q.form = Form::Html;
        } else if (item.substr(0, 8) == "refresh=") {
            const std::string n(item.substr(8));
            const long v = std::strtol(n.c_str(), nullptr, 10);
            q.refresh = v < 1 ? 1 : v > 3600 ? 3600 : static_cast<unsigned>(v);
        } else if (item.substr(0, 4) == "app=") {
            std::string v(item.substr(4));
            // '+' and every %XX (%2F included); shortens in place
            if (ap_unescape_urlencoded(v.data()) == OK) q.app = v.c_str();
        } else if (item == "refresh") {
            q.refresh = 1;  // as mod_status: a bare refresh is every second
        }
    }
    return q;
}

/// The counters, with what lives in the rooms that keep it: the requests
/// queued at each app's cap (admission.cpp) and the state of a balanced
/// app's members (balancer.cpp, health checks included).
std::vector<stats::AppSnapshot> snapshot() {
    const stats::StatsTable* t = AppStats::table();
    std::vector<stats::AppSnapshot> apps = t ? t->snapshot() : std::vector<stats::AppSnapshot>();
    for (const AppLoad& load : admission_loads()) {
        for (stats::AppSnapshot& a : apps)
            if (a.name == load.name && (a.kind == AppKind::Dynamic) == load.dynamic) a.queued = load.counters.queued;
    }
    for (const App* app : AppRegistry::current().apps()) {
        if (app->members.empty() || app->stats_slot < 0) continue;
        const std::vector<Balancer::MemberStatus> members = Balancer::status(*app);
        for (stats::AppSnapshot& a : apps) {
            if (a.name != app->config.filename || a.kind != AppKind::External) continue;
            for (std::size_t i = 0; i < members.size() && i < a.members.size(); ++i) {
                const std::string_view word = members[i].word ? members[i].word : "";
                a.members[i].state = word == "down"      ? stats::MemberState::Down
                                     : word == "unknown" ? stats::MemberState::Unknown
                                                         : stats::MemberState::Up;
            }
        }
    }
    return apps;
}

int handle(request_rec* r) {
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
    const Query q = parse_query(r->args);
    std::vector<stats::AppSnapshot> apps = snapshot();
    if (!q.app.empty())
        std::erase_if(apps, [&q](const stats::AppSnapshot& a) { return a.name.find(q.app) == std::string::npos; });
    std::string body;
    switch (q.form) {
    case Form::Html:
        ap_set_content_type(r, "text/html; charset=utf-8");
        body = stats::render_html_page(apps, q.refresh, ap_get_server_name(r));
        break;
    case Form::Auto:
        ap_set_content_type(r, "text/plain; charset=utf-8");
        body = stats::render_auto(apps);
        break;
    case Form::OpenMetrics:
        ap_set_content_type(r, apr_pstrmemdup(r->pool, stats::kOpenMetricsType.data(), stats::kOpenMetricsType.size()));
        body = stats::render_openmetrics(apps);
        break;
    case Form::Prometheus:
        ap_set_content_type(r, apr_pstrmemdup(r->pool, stats::kPrometheusType.data(), stats::kPrometheusType.size()));
        body = stats::render_openmetrics(apps, true);
        break;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
}

/// mod_status's hook: our section of server-status, as HTML or (with
/// ?auto) as key: value lines.
int status_section(request_rec* r, int flags) {
    return guard_request(r, [&] {
        const std::vector<stats::AppSnapshot> apps = snapshot();
        if (flags & AP_STATUS_SHORT) {
            const std::string t = stats::render_auto(apps);
            ap_rwrite(t.data(), static_cast<int>(t.size()), r);
            return OK;
        }
        std::string h = "<hr>\n<h2>FastCGI applications</h2>\n<style>";
        h += stats::kStyle;
        h += "</style>\n";
        h += stats::render_html_apps(apps);
        ap_rwrite(h.data(), static_cast<int>(h.size()), r);
        return OK;
    });
}

}  // namespace

int fastcgi_status_handler(request_rec* r) {
    if (!r->handler || std::strcmp(r->handler, kHandlerName) != 0) return DECLINED;
    return guard_request(r, [r] { return handle(r); });
}

void register_status_hooks() {
    APR_OPTIONAL_HOOK(ap, status_hook, status_section, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace fastcgi::httpd
