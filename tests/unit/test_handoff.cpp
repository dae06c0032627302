// handoff_path.hpp and the X-Sendfile / X-Accel-Redirect options of
// app_options.hpp (-x-sendfile, -x-accel-redirect, -sendfile-root,
// -sendfile-root-follow).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/app_options.hpp"
#include "fastcgi/handoff_path.hpp"

using namespace fastcgi;

namespace {

std::vector<SendfileRoot> roots() {
    return {SendfileRoot{"/srv/files", "/data/files", false}, SendfileRoot{"/srv/linked", "/srv/linked", true}};
}

TEST(HandoffPath, IsUnder) {
    EXPECT_TRUE(is_under("/srv/files", "/srv/files"));
    EXPECT_TRUE(is_under("/srv/files/a", "/srv/files"));
    EXPECT_FALSE(is_under("/srv/filesx/a", "/srv/files")) << "a sibling with a longer name is not below";
    EXPECT_FALSE(is_under("/srv", "/srv/files"));
    EXPECT_TRUE(is_under("/anything", "/"));
    EXPECT_FALSE(is_under("relative", "/"));
}

TEST(HandoffPath, DotDotSegments) {
    for (std::string_view p : {"/a/../b", "/..", "/a/..", "../a", "/a/b/../../c"})
        EXPECT_TRUE(has_dot_dot_segment(p)) << p;
    for (std::string_view p : {"/a/..b", "/a/b..", "/a/.../b", "/a/./b", "/a/.b", "/"})
        EXPECT_FALSE(has_dot_dot_segment(p)) << p;
    EXPECT_FALSE(has_dot_dot_segment("/a/%2e%2e/b")) << "a file path is not percent-decoded";
    for (std::string_view p : {"/a/%2e%2e/b", "/a/%2E./b", "/a/.%2e", "/a/.."})
        EXPECT_TRUE(has_dot_dot_segment(p, true)) << p;
    EXPECT_FALSE(has_dot_dot_segment("/a/%2e%2ex/b", true));
}

TEST(HandoffPath, SendfileAllowed) {
    const auto r = roots();
    auto v = check_sendfile_path("/srv/files/a/b.bin", r);
    EXPECT_EQ(v.refusal, HandoffRefusal::None);
    EXPECT_EQ(v.root, &r[0]);
    v = check_sendfile_path("/data/files/b.bin", r);
    EXPECT_EQ(v.refusal, HandoffRefusal::None) << "the resolved spelling of a root is a root too";
    EXPECT_EQ(v.root, &r[0]);
    v = check_sendfile_path("/srv/linked/x", r);
    EXPECT_EQ(v.root, &r[1]);
}

TEST(HandoffPath, SendfileRefused) {
    const auto r = roots();
    EXPECT_EQ(check_sendfile_path("", r).refusal, HandoffRefusal::NotAbsolute);
    EXPECT_EQ(check_sendfile_path("files/a", r).refusal, HandoffRefusal::NotAbsolute);
    EXPECT_EQ(check_sendfile_path("/srv/files/../etc/passwd", r).refusal, HandoffRefusal::DotSegment);
    EXPECT_EQ(check_sendfile_path("/srv/files/a/..", r).refusal, HandoffRefusal::DotSegment);
    EXPECT_EQ(check_sendfile_path("/etc/passwd", r).refusal, HandoffRefusal::OutsideRoots);
    EXPECT_EQ(check_sendfile_path("/srv/filesx/a", r).refusal, HandoffRefusal::OutsideRoots);
    EXPECT_EQ(check_sendfile_path("/srv/files/a", {}).refusal, HandoffRefusal::OutsideRoots);
}

TEST(HandoffPath, RealPathAllowed) {
    const auto r = roots();
    EXPECT_TRUE(real_path_allowed("/data/files/a", r, &r[0]));
    EXPECT_TRUE(real_path_allowed("/srv/linked/a", r, &r[0])) << "another root's real tree is fine";
    EXPECT_FALSE(real_path_allowed("/etc/passwd", r, &r[0])) << "a symlink leaving a strict root";
    EXPECT_FALSE(real_path_allowed("/srv/files/a", r, &r[0])) << "the unresolved name of a resolved root is not real";
    EXPECT_TRUE(real_path_allowed("/etc/passwd", r, &r[1])) << "-sendfile-root-follow";
    EXPECT_FALSE(real_path_allowed("/etc/passwd", r, nullptr));
}

TEST(HandoffPath, AccelUri) {
    EXPECT_EQ(check_accel_uri("/protected/a.bin"), HandoffRefusal::None);
    EXPECT_EQ(check_accel_uri("/p/a.bin?x=../y"), HandoffRefusal::None) << "the query is not a path";
    EXPECT_EQ(check_accel_uri("/"), HandoffRefusal::None);
    EXPECT_EQ(check_accel_uri(""), HandoffRefusal::NotAbsolute);
    EXPECT_EQ(check_accel_uri("p/a"), HandoffRefusal::NotAbsolute);
    EXPECT_EQ(check_accel_uri("http://x/a"), HandoffRefusal::NotAbsolute);
    EXPECT_EQ(check_accel_uri("//evil/a"), HandoffRefusal::NotAbsolute);
    EXPECT_EQ(check_accel_uri("/p/../secret"), HandoffRefusal::DotSegment);
    EXPECT_EQ(check_accel_uri("/p/%2E%2e/secret"), HandoffRefusal::DotSegment);
}

// ---------------------------------------------------------------- options

std::optional<ConfigError> ext(std::vector<std::string_view> args, AppConfig& app) {
    return parse_external_server(std::span<const std::string_view>(args.data(), args.size()), app);
}

TEST(HandoffOptions, OffByDefault) {
    AppConfig app;
    ASSERT_FALSE(ext({"-socket", "s"}, app));
    EXPECT_FALSE(app.handoff.x_sendfile);
    EXPECT_FALSE(app.handoff.x_accel_redirect);
    EXPECT_TRUE(app.handoff.roots.empty());
    DynamicConfig dyn;
    EXPECT_FALSE(dyn.handoff.x_sendfile);
    EXPECT_FALSE(dyn.handoff.x_accel_redirect);
}

TEST(HandoffOptions, External) {
    AppConfig app;
    ASSERT_FALSE(ext({"-socket", "s", "-X-Sendfile", "-sendfile-root", "/srv/a/", "-SENDFILE-ROOT-FOLLOW", "/srv/b",
                      "-x-accel-redirect"},
                     app));
    EXPECT_TRUE(app.handoff.x_sendfile);
    EXPECT_TRUE(app.handoff.x_accel_redirect);
    ASSERT_EQ(app.handoff.roots.size(), 2u);
    EXPECT_EQ(app.handoff.roots[0].path, "/srv/a") << "trailing slash dropped";
    EXPECT_FALSE(app.handoff.roots[0].follow_symlinks);
    EXPECT_EQ(app.handoff.roots[1].path, "/srv/b");
    EXPECT_TRUE(app.handoff.roots[1].follow_symlinks);
}

TEST(HandoffOptions, StaticAndConfig) {
    AppConfig app;
    std::vector<std::string_view> a{"-x-sendfile", "-sendfile-root", "/", "-processes", "1"};
    ASSERT_FALSE(parse_static_server(std::span<const std::string_view>(a.data(), a.size()), app));
    EXPECT_TRUE(app.handoff.x_sendfile);
    EXPECT_EQ(app.handoff.roots.at(0).path, "/");
    DynamicConfig dyn;
    std::vector<std::string_view> d{"-x-accel-redirect", "-sendfile-root", "/srv", "-x-sendfile"};
    ASSERT_FALSE(parse_fastcgi_config(std::span<const std::string_view>(d.data(), d.size()), dyn));
    EXPECT_TRUE(dyn.handoff.x_sendfile);
    EXPECT_TRUE(dyn.handoff.x_accel_redirect);
    EXPECT_EQ(dyn.handoff.roots.size(), 1u);
}

TEST(HandoffOptions, SendfileNeedsARoot) {
    AppConfig app;
    auto e = ext({"-socket", "s", "-x-sendfile"}, app);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->option, "-x-sendfile");
    EXPECT_NE(e->message.find("-sendfile-root"), std::string::npos) << e->message;
    DynamicConfig dyn;
    std::vector<std::string_view> d{"-x-sendfile"};
    e = parse_fastcgi_config(std::span<const std::string_view>(d.data(), d.size()), dyn);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->option, "-x-sendfile");
    AppConfig accel;
    EXPECT_FALSE(ext({"-socket", "s", "-x-accel-redirect"}, accel)) << "X-Accel-Redirect needs no root";
}

TEST(HandoffOptions, BadRoots) {
    struct Case {
        std::vector<std::string_view> args;
        std::string option, text;
    };
    const std::vector<Case> cases = {
            {{"-socket", "s", "-sendfile-root"}, "-sendfile-root", "missing value"},
            {{"-socket", "s", "-sendfile-root-follow"}, "-sendfile-root-follow", "missing value"},
            {{"-socket", "s", "-sendfile-root", "files"}, "-sendfile-root", "\"files\" must be an absolute directory"},
            {{"-socket", "s", "-sendfile-root", "/srv/../etc"}, "-sendfile-root", "must not contain \"..\""},
            {{"-socket", "s", "-sendfile-root-follow", "rel"}, "-sendfile-root-follow", "absolute"},
    };
    for (const Case& c : cases) {
        AppConfig app;
        const auto e = ext(c.args, app);
        ASSERT_TRUE(e) << c.text;
        EXPECT_EQ(e->option, c.option);
        EXPECT_NE(e->message.find(c.text), std::string::npos) << e->message;
    }
}

}  // namespace
