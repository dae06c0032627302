// status_render.hpp: every name is escaped in each form, the HTML has the
// viewport and (only when asked) the refresh, and a bar whose parts have
// the widths of busy/idle/starting; ?auto is one "key: value" per line with
// nothing that could fake a line; OpenMetrics has _total counters, a
// cumulative histogram whose +Inf bucket is its count, and ends in # EOF.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/status_render.hpp"

using namespace fastcgi;
using namespace fastcgi::stats;

namespace {

AppSnapshot sample_app() {
    AppSnapshot a;
    a.kind = AppKind::Static;
    a.name = "/srv/<b>\"x\"\n&y.fcgi";
    a.address = "unix:/run/a\\b.sock";
    a.managed = true;
    a.busy = 1;
    a.idle = 2;
    a.starting = 1;
    a.served = 10;
    a.in_flight = 1;
    a.errors[static_cast<std::size_t>(Cause::Unreachable)] = 3;
    a.restarts = 2;
    a.spawn_failures = 1;
    a.service.counts[1] = 4;  // (0.5, 1] ms
    a.service.counts[kBuckets - 1] = 1;
    a.service.sum_us = 4000 + 70000000;
    a.members.push_back({a.address, MemberState::Up});
    return a;
}

std::map<std::string, std::string> parse_auto(const std::string& t) {
    std::map<std::string, std::string> kv;
    std::istringstream in(t);
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(": ");
        EXPECT_NE(colon, std::string::npos) << "not key: value: " << line;
        if (colon != std::string::npos) kv[line.substr(0, colon)] = line.substr(colon + 2);
    }
    return kv;
}

TEST(HtmlEscape, EntitiesAndControlBytes) {
    EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    EXPECT_EQ(html_escape(std::string("a\nb\0c", 5)), "a&#xFFFD;b&#xFFFD;c");
}

TEST(Html, PageHasViewportRefreshOnlyWhenAskedAndEscapedNames) {
    const std::vector<AppSnapshot> apps = {sample_app()};
    const std::string page = render_html_page(apps, 0, "host<1>");
    EXPECT_NE(page.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"), std::string::npos);
    EXPECT_EQ(page.find("http-equiv=\"refresh\""), std::string::npos);
    EXPECT_NE(render_html_page(apps, 5, "h").find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
    EXPECT_EQ(page.find("<b>"), std::string::npos);
    EXPECT_EQ(page.find("host<1>"), std::string::npos);
    EXPECT_NE(page.find("/srv/&lt;b&gt;&quot;x&quot;&#xFFFD;&amp;y.fcgi"), std::string::npos);
    EXPECT_NE(page.find("host&lt;1&gt;"), std::string::npos);
}

TEST(Html, BarPartsHaveTheShareOfEachState) {
    const std::string h = render_html_app(sample_app(), 0);
    EXPECT_NE(h.find("data-busy=\"1\" data-idle=\"2\" data-starting=\"1\""), std::string::npos) << h;
    EXPECT_NE(h.find("<span class=\"busy\" style=\"width:25.0%\">"), std::string::npos) << h;
    EXPECT_NE(h.find("<span class=\"idle\" style=\"width:50.0%\">"), std::string::npos) << h;
    EXPECT_NE(h.find("<span class=\"starting\" style=\"width:25.0%\">"), std::string::npos) << h;
    EXPECT_NE(h.find("unreachable: 3"), std::string::npos);
}

TEST(Html, AnExternalAppHasNoBar) {
    AppSnapshot a = sample_app();
    a.managed = false;
    const std::string h = render_html_app(a, 0);
    EXPECT_EQ(h.find("class=\"bar\""), std::string::npos);
    EXPECT_NE(h.find("not managed by this server"), std::string::npos);
}

TEST(Html, SeveralAppsGetAnOverviewLinkingToEachSection) {
    AppSnapshot ext = sample_app();
    ext.managed = false;
    ext.name = "/ext.fcgi";
    const std::string h = render_html_apps({sample_app(), ext});
    EXPECT_NE(h.find("<ul class=\"overview\">"), std::string::npos);
    EXPECT_NE(h.find("<li><a href=\"#app-0\">/srv/&lt;b&gt;&quot;x&quot;&#xFFFD;&amp;y.fcgi</a> 10 served, 3 errors, "
                     "1 in flight, 1/3 busy</li>"),
              std::string::npos)
        << h;
    EXPECT_NE(h.find("<li><a href=\"#app-1\">/ext.fcgi</a> 10 served, 3 errors, 1 in flight</li>"), std::string::npos);
    EXPECT_NE(h.find("<section class=\"app\" id=\"app-1\">"), std::string::npos);
    EXPECT_EQ(render_html_apps({sample_app()}).find("overview"), std::string::npos) << "none for one app";
}

TEST(Html, NoAppsSaysSo) {
    EXPECT_NE(render_html_apps({}).find("No FastCGI application"), std::string::npos);
}

TEST(Auto, KeyValueLinesPerApp) {
    const auto kv = parse_auto(render_auto({sample_app()}));
    EXPECT_EQ(kv.at("FastCGIApps"), "1");
    EXPECT_EQ(kv.at("FastCGIApp[0]Name"), "/srv/<b>\"x\"?&y.fcgi");  // the newline cannot start a line
    EXPECT_EQ(kv.at("FastCGIApp[0]Kind"), "static");
    EXPECT_EQ(kv.at("FastCGIApp[0]ProcessesBusy"), "1");
    EXPECT_EQ(kv.at("FastCGIApp[0]ProcessesIdle"), "2");
    EXPECT_EQ(kv.at("FastCGIApp[0]Served"), "10");
    EXPECT_EQ(kv.at("FastCGIApp[0]Errors"), "3");
    EXPECT_EQ(kv.at("FastCGIApp[0]Errors[unreachable]"), "3");
    EXPECT_EQ(kv.at("FastCGIApp[0]Errors[idle_timeout]"), "0");
    EXPECT_EQ(kv.at("FastCGIApp[0]Restarts"), "2");
    EXPECT_EQ(kv.at("FastCGIApp[0]SpawnFailures"), "1");
    EXPECT_EQ(kv.at("FastCGIApp[0]ServiceTimeP50"), "0.0008125");  // rank 2.5 of 5: 0.5 ms + 0.5 ms * 2.5/4
    EXPECT_EQ(kv.at("FastCGIApp[0]ServiceTimeP99"), "60");
    EXPECT_EQ(kv.at("FastCGIApp[0]Member[0]State"), "up");
}

TEST(OpenMetrics, CountersHistogramAndEof) {
    const std::string t = render_openmetrics({sample_app()});
    ASSERT_GE(t.size(), 6u);
    EXPECT_EQ(t.substr(t.size() - 6), "# EOF\n");
    EXPECT_EQ(t.find("# EOF"), t.size() - 6) << "one # EOF, at the end";
    const std::string l = "app=\"/srv/<b>\\\"x\\\"\\n&y.fcgi\",kind=\"static\"";
    EXPECT_NE(t.find("# TYPE fastcgi_requests counter\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_requests_total{" + l + "} 10\n"), std::string::npos) << t;
    EXPECT_NE(t.find("fastcgi_errors_total{" + l + ",cause=\"unreachable\"} 3\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_processes{" + l + ",state=\"busy\"} 1\n"), std::string::npos);
    EXPECT_NE(t.find("address=\"unix:/run/a\\\\b.sock\""), std::string::npos);
    EXPECT_NE(t.find("fastcgi_service_seconds_bucket{" + l + ",le=\"0.0005\"} 0\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_service_seconds_bucket{" + l + ",le=\"0.001\"} 4\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_service_seconds_bucket{" + l + ",le=\"60\"} 4\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_service_seconds_bucket{" + l + ",le=\"+Inf\"} 5\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_service_seconds_count{" + l + "} 5\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_service_seconds_sum{" + l + "} 70.004\n"), std::string::npos);
    EXPECT_NE(t.find("fastcgi_member_up{" + l + ",member=\"unix:/run/a\\\\b.sock\",state=\"up\"} 1\n"),
              std::string::npos);
    EXPECT_EQ(std::string(kOpenMetricsType), "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

TEST(OpenMetrics, ExternalAppsHaveNoProcessSamples) {
    AppSnapshot a = sample_app();
    a.managed = false;
    const std::string t = render_openmetrics({a});
    EXPECT_EQ(t.find("fastcgi_processes{"), std::string::npos);
    EXPECT_EQ(t.find("fastcgi_restarts_total{"), std::string::npos);
}

}  // namespace

TEST(Prometheus, CounterFamiliesAreNamedByTheirSamplesAndNoEof) {
    const std::string t = render_openmetrics({sample_app()}, true);
    EXPECT_NE(t.find("# TYPE fastcgi_requests_total counter\n# HELP fastcgi_requests_total "), std::string::npos);
    EXPECT_EQ(t.find("# TYPE fastcgi_requests counter"), std::string::npos);
    EXPECT_NE(t.find("# TYPE fastcgi_service_seconds histogram\n"), std::string::npos);
    EXPECT_EQ(t.find("# EOF"), std::string::npos);
}
