// The three forms of the fastcgi-status page, rendered from snapshots of
// the shared counters (app_stats.hpp): HTML for people (a table and a
// busy/idle bar per app, readable on a phone), "?auto" key: value lines as
// mod_status prints them, and the OpenMetrics text format. The HTML body
// and the key: value lines are also what the section in mod_status's
// server-status page shows.
//
// Pure C++ (no APR, no httpd): the status handler (mod_fastcgi/
// status_handler.cpp) writes what these return; unit-tested.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/app_stats.hpp"

namespace fastcgi::stats {

/// `s` with & < > " ' as HTML entities and control bytes as U+FFFD.
inline std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                out += "&#xFFFD;";
            else
                out += c;
        }
    }
    return out;
}

/// An OpenMetrics label value: backslash, double quote and newline escaped.
inline std::string label_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

/// A value of a "key: value" line: anything that could end or fake a line
/// (CR, LF, other control bytes) becomes '?'.
inline std::string line_value(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

/// Microseconds as seconds, shortest form ("0.0025", "1", "60").
inline std::string seconds(double us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", us / 1e6);
    return buf;
}

inline std::string number(std::uint64_t n) { return std::to_string(n); }

/// Percent of `part` in `whole`, one decimal ("33.3"); 0 when whole is 0.
inline std::string percent(std::uint64_t part, std::uint64_t whole) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f", whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
    return buf;
}

// ------------------------------------------------------------------ HTML

/// The CSS of the page and of the server-status section: nothing wider
/// than the screen (long paths wrap anywhere), tables fill the width.
inline constexpr std::string_view kStyle =
    ".fcgi{max-width:48em}"
    ".fcgi section{margin:0 0 1.2em}"
    ".fcgi h2,.fcgi h3{font-size:1.05em;margin:.6em 0 .3em;overflow-wrap:anywhere}"
    ".fcgi table{border-collapse:collapse;width:100%;table-layout:fixed}"
    ".fcgi th,.fcgi td{border-bottom:1px solid #ddd;padding:.2em .4em;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere;word-break:break-word}"
    ".fcgi th{width:38%;font-weight:600}"
    ".fcgi .bar{display:flex;width:100%;height:1.1em;background:#e8e8e8;border-radius:3px;overflow:hidden;"
    "margin:.3em 0}"
    ".fcgi .bar .busy{background:#c0392b}.fcgi .bar .idle{background:#27ae60}"
    ".fcgi .bar .starting{background:#f1c40f}"
    ".fcgi .legend{font-size:.85em;color:#444}"
    ".fcgi .overview{padding-left:1.1em;margin:.4em 0 1em}"
    ".fcgi .overview li{margin:.15em 0;overflow-wrap:anywhere}";

/// One app's section: heading, busy/idle bar, table.
inline std::string render_html_app(const AppSnapshot& a, std::size_t index) {
    std::string h;
    h += "<section class=\"app\" id=\"app-" + number(index) + "\">\n<h3>" + html_escape(a.name);
    if (!a.identity.empty()) h += " <small>(" + html_escape(a.identity) + ")</small>";
    h += "</h3>\n";
    if (a.managed) {
        const std::uint64_t all = std::uint64_t(a.busy) + a.idle + a.starting;
        h += "<div class=\"bar\" role=\"img\" data-busy=\"" + number(a.busy) + "\" data-idle=\"" + number(a.idle) +
             "\" data-starting=\"" + number(a.starting) + "\" aria-label=\"" + number(a.busy) + " busy, " +
             number(a.idle) + " idle, " + number(a.starting) + " starting\">";
        h += "<span class=\"busy\" style=\"width:" + percent(a.busy, all) + "%\"></span>";
        h += "<span class=\"idle\" style=\"width:" + percent(a.idle, all) + "%\"></span>";
        h += "<span class=\"starting\" style=\"width:" + percent(a.starting, all) + "%\"></span></div>\n";
        h += "<div class=\"legend\">" + number(a.busy) + " busy, " + number(a.idle) + " idle, " +
             number(a.starting) + " starting</div>\n";
    }
    h += "<table>\n";
    auto row = [&h](std::string_view k, const std::string& v) {
        h += "<tr><th>";
        h += k;
        h += "</th><td>" + v + "</td></tr>\n";
    };
    row("Kind", std::string(kind_name(a.kind)));
    row("Address", html_escape(a.address));
    row("Processes", a.managed ? number(a.starting) + " starting, " + number(a.idle) + " idle, " + number(a.busy) +
                                     " busy"
                               : std::string("not managed by this server"));
    row("Requests served", number(a.served));
    row("In flight", number(static_cast<std::uint64_t>(a.in_flight)));
    row("Queued", number(static_cast<std::uint64_t>(a.queued)));
    std::string errs = number(a.error_total());
    for (std::size_t c = 0; c < kCauses; ++c)
        if (a.errors[c]) errs += "<br>" + std::string(cause_name(static_cast<Cause>(c))) + ": " + number(a.errors[c]);
    row("Errors", errs);
    row("Restarts", number(a.restarts));
    row("Spawn failures", number(a.spawn_failures));
    const std::uint64_t n = a.service.count();
    row("Service time p50 / p99",
        n ? seconds(a.service.quantile(0.5)) + " s / " + seconds(a.service.quantile(0.99)) + " s" : std::string("-"));
    std::string members;
    for (const auto& m : a.members)
        members += (members.empty() ? "" : "<br>") + html_escape(m.address) + ": " +
                   std::string(member_state_name(m.state));
    row("Members", members.empty() ? std::string("-") : members);
    h += "</table>\n</section>\n";
    return h;
}

/// One line per app, linking to its section: what is served, failing and
/// busy at a glance before the tables.
inline std::string render_html_overview(const std::vector<AppSnapshot>& apps) {
    std::string h = "<ul class=\"overview\">\n";
    for (std::size_t i = 0; i < apps.size(); ++i) {
        const AppSnapshot& a = apps[i];
        h += "<li><a href=\"#app-" + number(i) + "\">" + html_escape(a.name) + "</a> " + number(a.served) +
             " served, " + number(a.error_total()) + " errors, " + number(static_cast<std::uint64_t>(a.in_flight)) +
             " in flight";
        if (a.managed) h += ", " + number(a.busy) + "/" + number(std::uint64_t(a.busy) + a.idle) + " busy";
        h += "</li>\n";
    }
    h += "</ul>\n";
    return h;
}

/// The per-app sections, after an overview when there are several, inside
/// <div class="fcgi"> (the body of the page and the server-status section).
inline std::string render_html_apps(const std::vector<AppSnapshot>& apps) {
    std::string h = "<div class=\"fcgi\">\n";
    if (apps.empty()) h += "<p>No FastCGI application is defined or has been seen yet.</p>\n";
    if (apps.size() > 1) h += render_html_overview(apps);
    for (std::size_t i = 0; i < apps.size(); ++i) h += render_html_app(apps[i], i);
    h += "</div>\n";
    return h;
}

/// The whole HTML page; `refresh` > 0 adds a refresh every so many seconds.
inline std::string render_html_page(const std::vector<AppSnapshot>& apps, unsigned refresh, std::string_view server) {
    std::string h =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    if (refresh) h += "<meta http-equiv=\"refresh\" content=\"" + number(refresh) + "\">\n";
    h += "<title>FastCGI status</title>\n<style>body{font-family:sans-serif;margin:.5em;line-height:1.35}"
         "h1{font-size:1.3em;margin:.2em 0}";
    h += kStyle;
    h += "</style>\n</head>\n<body>\n<h1>FastCGI status</h1>\n<p class=\"legend\">" + html_escape(server) + " &middot; " +
         number(apps.size()) + " application" + (apps.size() == 1 ? "" : "s") +
         " &middot; <a href=\"?auto\">auto</a> &middot; <a href=\"?metrics\">metrics</a></p>\n";
    h += render_html_apps(apps);
    h += "</body>\n</html>\n";
    return h;
}

// ------------------------------------------------------------- ?auto

/// "key: value" lines, one set per app ("FastCGIApp[i]Name: ..."), in the
/// manner of mod_status' ?auto and mod_proxy_balancer's status hook.
inline std::string render_auto(const std::vector<AppSnapshot>& apps) {
    std::string t = "FastCGIApps: " + number(apps.size()) + "\n";
    for (std::size_t i = 0; i < apps.size(); ++i) {
        const AppSnapshot& a = apps[i];
        const std::string p = "FastCGIApp[" + number(i) + "]";
        auto line = [&](std::string_view k, const std::string& v) {
            t += p;
            t += k;
            t += ": " + v + "\n";
        };
        line("Name", line_value(a.name));
        line("Kind", std::string(kind_name(a.kind)));
        line("Address", line_value(a.address));
        if (!a.identity.empty()) line("Identity", line_value(a.identity));
        if (a.managed) {
            line("ProcessesStarting", number(a.starting));
            line("ProcessesIdle", number(a.idle));
            line("ProcessesBusy", number(a.busy));
        }
        line("Served", number(a.served));
        line("InFlight", number(static_cast<std::uint64_t>(a.in_flight)));
        line("Queued", number(static_cast<std::uint64_t>(a.queued)));
        line("Errors", number(a.error_total()));
        for (std::size_t c = 0; c < kCauses; ++c)
            line("Errors[" + std::string(cause_name(static_cast<Cause>(c))) + "]", number(a.errors[c]));
        line("Restarts", number(a.restarts));
        line("SpawnFailures", number(a.spawn_failures));
        line("ServiceTimeP50", seconds(a.service.quantile(0.5)));
        line("ServiceTimeP99", seconds(a.service.quantile(0.99)));
        for (std::size_t m = 0; m < a.members.size(); ++m) {
            line("Member[" + number(m) + "]Address", line_value(a.members[m].address));
            line("Member[" + number(m) + "]State", std::string(member_state_name(a.members[m].state)));
        }
    }
    return t;
}

// ------------------------------------------------------------ OpenMetrics

inline constexpr std::string_view kOpenMetricsType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

inline constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";

/// The OpenMetrics text exposition, ending in "# EOF"; with `prometheus`,
/// Prometheus' older text format (version 0.0.4) of the same samples: the
/// # TYPE/# HELP of a counter name its _total samples, and no # EOF. Every
/// app is labelled app="<filename>",kind="..." (and identity="user group"
/// for a dynamic app started for a suexec identity).
inline std::string render_openmetrics(const std::vector<AppSnapshot>& apps, bool prometheus = false) {
    std::string t;
    auto labels = [](const AppSnapshot& a) {
        std::string l = "app=\"" + label_escape(a.name) + "\",kind=\"" + std::string(kind_name(a.kind)) + "\"";
        if (!a.identity.empty()) l += ",identity=\"" + label_escape(a.identity) + "\"";
        return l;
    };
    auto family = [&t, prometheus](std::string_view family_name, std::string_view type, std::string_view help) {
        std::string name(family_name);
        if (prometheus && type == "counter") name += "_total";
        t += "# TYPE " + name + " ";
        t += type;
        t += "\n# HELP " + name + " ";
        t += help;
        t += '\n';
    };
    auto sample = [&t](std::string_view name, const std::string& l, const std::string& v) {
        t += name;
        t += "{" + l + "} " + v + "\n";
    };
    family("fastcgi_app_info", "gauge", "A FastCGI application and its address (always 1).");
    for (const auto& a : apps) sample("fastcgi_app_info", labels(a) + ",address=\"" + label_escape(a.address) + "\"", "1");
    family("fastcgi_requests", "counter", "Exchanges with the application that ended well.");
    for (const auto& a : apps) sample("fastcgi_requests_total", labels(a), number(a.served));
    family("fastcgi_errors", "counter", "Exchanges that failed, by cause.");
    for (const auto& a : apps)
        for (std::size_t c = 0; c < kCauses; ++c)
            sample("fastcgi_errors_total",
                   labels(a) + ",cause=\"" + std::string(cause_name(static_cast<Cause>(c))) + "\"", number(a.errors[c]));
    family("fastcgi_requests_in_flight", "gauge", "Exchanges running now.");
    for (const auto& a : apps) sample("fastcgi_requests_in_flight", labels(a), number(static_cast<std::uint64_t>(a.in_flight)));
    family("fastcgi_requests_queued", "gauge", "Requests waiting for a free application process.");
    for (const auto& a : apps) sample("fastcgi_requests_queued", labels(a), number(static_cast<std::uint64_t>(a.queued)));
    family("fastcgi_processes", "gauge", "Processes of a managed application by state.");
    for (const auto& a : apps) {
        if (!a.managed) continue;
        sample("fastcgi_processes", labels(a) + ",state=\"starting\"", number(a.starting));
        sample("fastcgi_processes", labels(a) + ",state=\"idle\"", number(a.idle));
        sample("fastcgi_processes", labels(a) + ",state=\"busy\"", number(a.busy));
    }
    family("fastcgi_restarts", "counter", "Processes started again after one had run.");
    for (const auto& a : apps)
        if (a.managed) sample("fastcgi_restarts_total", labels(a), number(a.restarts));
    family("fastcgi_spawn_failures", "counter", "Processes that could not be started.");
    for (const auto& a : apps)
        if (a.managed) sample("fastcgi_spawn_failures_total", labels(a), number(a.spawn_failures));
    family("fastcgi_service_seconds", "histogram", "Time from the connection to the application to the end of the exchange.");
    for (const auto& a : apps) {
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < kBuckets; ++b) {
            cumulative += a.service.counts[b];
            const std::string le = b + 1 < kBuckets ? seconds(static_cast<double>(kBucketBoundsUs[b])) : "+Inf";
            sample("fastcgi_service_seconds_bucket", labels(a) + ",le=\"" + le + "\"", number(cumulative));
        }
        sample("fastcgi_service_seconds_count", labels(a), number(cumulative));
        sample("fastcgi_service_seconds_sum", labels(a), seconds(static_cast<double>(a.service.sum_us)));
    }
    family("fastcgi_member_up", "gauge", "1 when a member (address) of the application is up.");
    for (const auto& a : apps)
        for (const auto& m : a.members)
            sample("fastcgi_member_up",
                   labels(a) + ",member=\"" + label_escape(m.address) + "\",state=\"" +
                       std::string(member_state_name(m.state)) + "\"",
                   m.state == MemberState::Up ? "1" : "0");
    if (!prometheus) t += "# EOF\n";
    return t;
}

}  // namespace fastcgi::stats
