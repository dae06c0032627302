// The process manager's loop without httpd: real /bin/sh apps spawned on
// their listening socket, reaped and restarted, a datagram from a "child",
// an exec failure with its likely fix, httpd's RLimit* on an instance, and a
// spawn whose pre-exec step (initgroups() with a slow NSS lookup, here a
// sleep injected before the identity change) takes seconds while the loop
// goes on serving messages and reaping; its part of the status counters
// (app_stats.hpp); a rolling reload (SIGUSR2, -autoUpdate) that swaps the
// socket and never swaps in a broken version.
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fastcgi/pm_message.hpp"
#include "fastcgi/socket_names.hpp"
#include "manager.hpp"

using namespace fastcgi;
using namespace fastcgi::pm;
namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;

namespace {

/// Runs in a spawned child before its identity change: three seconds for
/// an app in a directory named "slow", as a slow initgroups() would.
void slow_in_slow_dirs() {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) return;
    const std::size_t n = std::strlen(cwd);
    if (n >= 5 && std::strcmp(cwd + n - 5, "/slow") == 0) ::sleep(3);
}

class ManagerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/fcgi_pm_test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        fs::create_directories(dir_ + "/ipc/dynamic");
        cfg_.ipc_dir = dir_ + "/ipc";
        cfg_.dynamic_dir = cfg_.ipc_dir + "/dynamic";
        cfg_.pm_socket = cfg_.ipc_dir + "/pm.sock";
        cfg_.user_id = ::geteuid();  // as root the PM "drops" to root: the test keeps its privileges
        cfg_.group_id = ::getegid();
        const passwd* pw = ::getpwuid(::geteuid());
        cfg_.user_name = pw ? pw->pw_name : "";
    }

    void TearDown() override {
        manager_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    /// An executable /bin/sh script at dir_/rel that runs `body`.
    std::string script(const std::string& rel, const std::string& body, mode_t mode = 0755) {
        const std::string path = dir_ + "/" + rel;
        fs::create_directories(fs::path(path).parent_path());
        std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
        ::chmod(path.c_str(), mode);
        return path;
    }

    void add_static(const std::string& path, unsigned processes = 1) {
        StaticApp a;
        a.filename = path;
        a.socket_path = cfg_.ipc_dir + "/s" + std::to_string(cfg_.statics.size());
        a.processes = processes;
        a.spawn.init_start_delay = 0;
        a.spawn.restart_delay = 0;
        cfg_.statics.push_back(a);
    }

    Manager& start() {
        manager_ = std::make_unique<Manager>(cfg_, [this](LogLevel, int, const char*, int, const std::string& m) {
            lines_.push_back(m);
        });
        manager_->start();
        return *manager_;
    }

    /// Iterates the loop until `done` or `timeout`; whether `done` held.
    bool run_until(const std::function<bool()>& done, Ms timeout = Ms(5000)) {
        const auto give_up = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > give_up) return false;
            manager_->iterate(50);
        }
        return true;
    }

    /// The pid in the first log line matching `re` (its group 1), or 0.
    /// Whether a log line contains `text`.
    bool logged(const std::string& text) const {
        for (const std::string& l : lines_)
            if (l.find(text) != std::string::npos) return true;
        return false;
    }
    /// The number right after `prefix` in the first line that has it, or 0.
    int logged_pid(const std::string& prefix) const {
        for (const std::string& l : lines_)
            if (const auto at = l.find(prefix); at != std::string::npos)
                return std::atoi(l.c_str() + at + prefix.size());
        return 0;
    }

    std::string log() const {
        std::string all;
        for (const std::string& l : lines_) all += l + "\n";
        return all;
    }

    void send(const PmMessage& m) {
        const auto bytes = encode_pm_message(m);
        ASSERT_TRUE(bytes);
        const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strcpy(sa.sun_path, cfg_.pm_socket.c_str());
        EXPECT_EQ(::sendto(fd, bytes->data(), bytes->size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
                  static_cast<ssize_t>(bytes->size()));
        ::close(fd);
    }

    static std::string fd0_of(int pid) {
        std::error_code ec;
        return fs::read_symlink("/proc/" + std::to_string(pid) + "/fd/0", ec).string();
    }

    std::string dir_;
    PmConfig cfg_;
    std::vector<std::string> lines_;
    std::unique_ptr<Manager> manager_;
};

TEST_F(ManagerTest, StaticAppRunsOnItsSocketIsReapedAndRestarted) {
    const std::string app = script("fast/app.sh", "exec sleep 30");
    add_static(app);
    Manager& m = start();
    EXPECT_TRUE(logged("process manager initialized"));
    const std::string started = "server \"" + app + "\" started (pid ";
    ASSERT_TRUE(run_until([&] { return logged(started); })) << log();
    const int pid = logged_pid(started);
    EXPECT_EQ(fd0_of(pid).rfind("socket:", 0), 0u) << "fd 0 of the instance: " << fd0_of(pid);
    EXPECT_TRUE(fs::is_socket(cfg_.statics[0].socket_path));
    EXPECT_EQ(m.launching(), 0u);

    ::kill(pid, SIGKILL);
    const std::string died =
        "server \"" + app + "\" (pid " + std::to_string(pid) + ") terminated due to uncaught signal '9' (Killed)";
    ASSERT_TRUE(run_until([&] { return logged(died); })) << log();
    const std::string restarted = "server \"" + app + "\" restarted (pid ";
    ASSERT_TRUE(run_until([&] { return logged(restarted); })) << log();
    const int again = logged_pid(restarted);
    EXPECT_NE(again, pid);

    m.end_instances();
    EXPECT_TRUE(logged("process manager (pid " + std::to_string(::getpid()) + ") exiting"));
    EXPECT_FALSE(fs::exists(cfg_.statics[0].socket_path));
    EXPECT_NE(::kill(again, 0), 0) << "the instance survived end_instances()";
}

TEST_F(ManagerTest, DatagramStartsADynamicAppOnItsNamedSocket) {
    const std::string app = script("fast/dyn.sh", "exec sleep 30");
    start();
    PmMessage msg;
    msg.type = PmMessageType::Start;
    msg.path = app;
    msg.user = "-";
    msg.group = "-";
    send(msg);
    ASSERT_TRUE(run_until([&] { return logged("(dynamic) server \"" + app + "\" started (pid "); }))
        << log();
    EXPECT_TRUE(fs::is_socket(dynamic_socket_path(cfg_.ipc_dir, app, "-", "-")));
    manager_->end_instances();
}

TEST_F(ManagerTest, ExecFailureIsAFailedStartNotAnExit) {
    const std::string app = script("fast/noexec.sh", "exit 0", 0644);
    add_static(app);
    start();
    ASSERT_TRUE(run_until([&] { return logged("can't start server \"" + app + "\": execve(): Permission denied"); }))
        << log();
    EXPECT_TRUE(logged("execve(): Permission denied; likely fix: make the file executable by httpd's User (chmod +x)"))
        << log();
    // give reap() a chance to (wrongly) see the child's exit 127
    run_until([] { return false; }, Ms(300));
    EXPECT_FALSE(logged("terminated by calling exit")) << log();
    EXPECT_FALSE(logged("\"" + app + "\" started")) << log();
    EXPECT_EQ(manager_->launching(), 0u);
    manager_->end_instances();
}

// RLimitCPU/RLimitMEM/RLimitNPROC travel in PmConfig and are set in the
// child before the exec: the instance's /proc/<pid>/limits shows them.
TEST_F(ManagerTest, SpawnLimitsReachTheInstance) {
    cfg_.limits.cpu = {true, 50, 60};
    cfg_.limits.mem = {true, 1073741824, 2147483648};
    cfg_.limits.nproc = {true, 4000, 5000};
    const std::string app = script("fast/limited.sh", "exec sleep 30");
    add_static(app);
    start();
    const std::string started = "server \"" + app + "\" started (pid ";
    ASSERT_TRUE(run_until([&] { return logged(started); })) << log();
    const int pid = logged_pid(started);
    std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
    std::string line, cpu, mem, nproc;
    while (std::getline(in, line)) {
        if (line.rfind("Max cpu time", 0) == 0) cpu = line;
        if (line.rfind("Max address space", 0) == 0) mem = line;
        if (line.rfind("Max processes", 0) == 0) nproc = line;
    }
    EXPECT_NE(cpu.find(" 50 "), std::string::npos) << cpu;
    EXPECT_NE(cpu.find(" 60 "), std::string::npos) << cpu;
    EXPECT_NE(mem.find(" 1073741824 "), std::string::npos) << mem;
    EXPECT_NE(mem.find(" 2147483648 "), std::string::npos) << mem;
    EXPECT_NE(nproc.find(" 4000 "), std::string::npos) << nproc;
    EXPECT_NE(nproc.find(" 5000 "), std::string::npos) << nproc;
    manager_->end_instances();
}

// Issue 14, defect 6: the PM waited on the exec-status pipe while the child
// ran initgroups(); a slow NSS lookup froze reaping and messages.
TEST_F(ManagerTest, SlowSpawnDoesNotStallMessagesOrReaping) {
    const std::string slow = script("slow/app.sh", "exec sleep 30");
    const std::string dyn = script("fast/dyn.sh", "exec sleep 30");
    add_static(slow);
    Manager& m = start();
    m.set_before_identity(slow_in_slow_dirs);
    const auto t0 = std::chrono::steady_clock::now();
    m.iterate(0);  // spawns the slow one
    ASSERT_EQ(m.launching(), 1u);

    PmMessage msg;
    msg.type = PmMessageType::Start;
    msg.path = dyn;
    msg.user = "-";
    msg.group = "-";
    send(msg);
    const std::string dyn_started = "(dynamic) server \"" + dyn + "\" started (pid ";
    ASSERT_TRUE(run_until([&] { return logged(dyn_started); }, Ms(1500))) << "a message waited for a slow spawn:\n"
                                                                          << log();
    const int pid = logged_pid(dyn_started);
    ::kill(pid, SIGKILL);
    ASSERT_TRUE(run_until([&] { return logged("(pid " + std::to_string(pid) + ") terminated due to uncaught signal"); },
                          Ms(1000)))
        << log();
    const auto meanwhile = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(meanwhile, Ms(2500)) << "message and reaping happened after the slow spawn";
    EXPECT_EQ(m.launching(), 1u) << "the slow spawn is still between fork and exec";
    EXPECT_FALSE(logged("server \"" + slow + "\" started")) << log();

    // ... and when its exec is done it is logged as started, once.
    ASSERT_TRUE(run_until([&] { return logged("server \"" + slow + "\" started (pid "); }, Ms(5000)))
        << log();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, Ms(2900));
    EXPECT_EQ(m.launching(), 0u);
    m.end_instances();
}

/// Connects to the Unix socket at `path`; the fd, or -1.
int connect_to(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strcpy(sa.sun_path, path.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// An app that accepts on fd 0 and reads each connection until it closes.
const char* kAcceptingApp = "exec perl -e 'open(L, \"<&=\", 0) or die; while (accept(C, L)) { 1 while sysread(C, my $b, 100); close C }'";

// A graceful restart (SIGUSR1): the instance holding a connection lives on
// while its socket's name leads elsewhere, ends once the connection closes,
// and the PM is then drained; its record moved to pm.instances.<pid>.
TEST_F(ManagerTest, DrainEndsAnInstanceOnlyOnceItHoldsNoConnection) {
    const std::string app = script("drain/app.sh", kAcceptingApp);
    add_static(app);
    Manager& m = start();
    const std::string started = "server \"" + app + "\" started (pid ";
    ASSERT_TRUE(run_until([&] { return logged(started); })) << log();
    const int pid = logged_pid(started);
    const std::string sock = cfg_.statics[0].socket_path;
    const int held = connect_to(sock);
    ASSERT_GE(held, 0);
    ::usleep(300 * 1000);  // accepted by the instance
    // a new PM takes over the name
    ::unlink(sock.c_str());
    ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
    run_until([] { return false; }, Ms(1500));
    EXPECT_TRUE(m.draining());
    EXPECT_TRUE(logged("draining: 1 instance(s) finish their requests (at most 30 s)")) << log();
    EXPECT_TRUE(fs::exists(cfg_.ipc_dir + "/pm.instances." + std::to_string(::getpid())));
    EXPECT_FALSE(fs::exists(cfg_.ipc_dir + "/pm.instances"));
    EXPECT_EQ(::kill(pid, 0), 0) << "the instance holding a connection was ended";
    EXPECT_FALSE(m.drained());
    ::close(held);
    EXPECT_TRUE(run_until([&] { return m.drained(); }, Ms(3000))) << "not drained once the connection closed";
    EXPECT_FALSE(m.stopping());
    m.end_instances();
    EXPECT_FALSE(fs::exists(cfg_.ipc_dir + "/pm.instances." + std::to_string(::getpid())));
}

// While the socket's name still leads to the old instance, a connection may
// still arrive: the drain waits; with the name gone it ends the idle
// instance; a drain that outlives its time makes the PM stop.
TEST_F(ManagerTest, DrainWaitsWhileTheNameIsOursAndStopsAtItsDeadline) {
    const std::string app = script("drain/idle.sh", kAcceptingApp);
    add_static(app);
    cfg_.drain_timeout_s = 3;
    Manager& m = start();
    const std::string started = "server \"" + app + "\" started (pid ";
    ASSERT_TRUE(run_until([&] { return logged(started); })) << log();
    const int pid = logged_pid(started);
    ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
    run_until([] { return false; }, Ms(1000));
    EXPECT_EQ(::kill(pid, 0), 0) << "ended while its socket could still be reached";
    // nobody took the name over: after 2 s the PM removes it and ends the instance
    EXPECT_TRUE(run_until([&] { return m.drained(); }, Ms(3000))) << log();
    EXPECT_FALSE(fs::exists(cfg_.statics[0].socket_path));
    EXPECT_FALSE(m.stopping());
    run_until([&] { return m.stopping(); }, Ms(2500));
    EXPECT_TRUE(m.stopping()) << "the drain time is over";
    m.end_instances();
}

// A rolling reload (SIGUSR2): the new instance starts on a new socket that
// takes the app's name once it runs; the old instance holding a connection
// lives on until it is closed, then ends; no ".next" socket is left.
TEST_F(ManagerTest, RollingReloadSwapsTheSocketAndEndsTheOldInstanceOnceIdle) {
    const std::string app = script("reload/app.sh", kAcceptingApp);
    add_static(app);
    Manager& m = start();
    const std::string started = "server \"" + app + "\" started (pid ";
    ASSERT_TRUE(run_until([&] { return logged(started); })) << log();
    const int old_pid = logged_pid(started);
    const std::string sock = cfg_.statics[0].socket_path;
    struct stat before{};
    ASSERT_EQ(::stat(sock.c_str(), &before), 0);
    EXPECT_TRUE(fs::exists(cfg_.ipc_dir + "/pm.pid"));
    const int held = connect_to(sock);
    ASSERT_GE(held, 0);
    ::usleep(300 * 1000);  // accepted by the old instance

    ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);
    ASSERT_TRUE(run_until([&] { return logged("take the requests"); })) << log();
    struct stat after{};
    ASSERT_EQ(::stat(sock.c_str(), &after), 0);
    EXPECT_NE(after.st_ino, before.st_ino) << "the app's socket name leads to the new socket";
    EXPECT_FALSE(fs::exists(sock + ".next"));
    const int new_pid = m.apps()[0]->state.slots[0].pid;
    EXPECT_GT(new_pid, 0);
    EXPECT_NE(new_pid, old_pid);
    run_until([] { return false; }, Ms(800));
    EXPECT_EQ(::kill(old_pid, 0), 0) << "the old instance holding a connection was ended";
    EXPECT_FALSE(logged("rolling reload done"));

    ::close(held);
    EXPECT_TRUE(run_until([&] { return logged("rolling reload done"); }, Ms(3000))) << log();
    EXPECT_FALSE(m.apps()[0]->retiring.has_value());
    EXPECT_EQ(m.apps()[0]->state.slots[0].pid, new_pid);
    const int fresh = connect_to(sock);
    EXPECT_GE(fresh, 0) << "the new instance listens on the name";
    if (fresh >= 0) ::close(fresh);
    m.end_instances();
    EXPECT_FALSE(fs::exists(cfg_.ipc_dir + "/pm.pid"));
    EXPECT_NE(::kill(new_pid, 0), 0);
}

// -autoUpdate: a newer file starts the reload; a version that exits at once
// is never swapped in (the old instance stays), and a newer file replaces it.
TEST_F(ManagerTest, AutoUpdateNeverSwapsInAVersionThatDoesNotRun) {
    const std::string app = script("reload/auto.sh", "exec sleep 30");
    add_static(app);
    cfg_.statics[0].auto_update = true;
    Manager& m = start();
    const std::string started = "server \"" + app + "\" started (pid ";
    ASSERT_TRUE(run_until([&] { return logged(started); })) << log();
    const int old_pid = logged_pid(started);
    // /bin/sh reads its script after exec: replace the file only once the
    // old instance has become `sleep`.
    auto is_sleep = [&] {
        std::ifstream f("/proc/" + std::to_string(old_pid) + "/cmdline");
        std::string arg0;
        std::getline(f, arg0, '\0');
        return arg0 == "sleep";
    };
    ASSERT_TRUE(run_until(is_sleep, Ms(3000))) << log();

    const std::string tmp = app + ".new";
    std::ofstream(tmp) << "#!/bin/sh\nexit 3\n";
    ::chmod(tmp.c_str(), 0755);
    ASSERT_EQ(::rename(tmp.c_str(), app.c_str()), 0);
    ASSERT_TRUE(run_until([&] { return logged("newer version found (-autoUpdate)"); }, Ms(3000))) << log();
    run_until([] { return false; }, Ms(2500));
    EXPECT_TRUE(logged("terminated by calling exit with status '3'")) << log();
    EXPECT_FALSE(logged("take the requests")) << log();
    EXPECT_EQ(::kill(old_pid, 0), 0) << "the old instance was ended for a version that does not run\n" << log();

    std::ofstream(tmp) << "#!/bin/sh\nexec sleep 30\n";
    ::chmod(tmp.c_str(), 0755);
    ASSERT_EQ(::rename(tmp.c_str(), app.c_str()), 0);
    ASSERT_TRUE(run_until([&] { return logged("rolling reload done"); }, Ms(6000))) << log();
    EXPECT_TRUE(logged("a newer version replaces the one not yet swapped in"));
    EXPECT_NE(m.apps()[0]->state.slots[0].pid, old_pid);
    m.end_instances();
}

}  // namespace

// The PM's part of the status counters: its static app's slot shows the
// process starting, then running; a restart and a failed start are counted.
TEST(ManagerStats, PublishesProcessesRestartsAndSpawnFailures) {
    char tmpl[] = "/tmp/fcgi_pm_stats.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    fs::create_directories(dir + "/ipc/dynamic");
    const std::string good = dir + "/good.sh", bad = dir + "/bad.sh";
    std::ofstream(good) << "#!/bin/sh\nexec sleep 30\n";
    std::ofstream(bad) << "#!/bin/sh\nexit 0\n";
    ::chmod(good.c_str(), 0755);
    ::chmod(bad.c_str(), 0644);
    std::vector<char> mem(stats::StatsTable::bytes_for(2, 0) + 64);
    void* aligned = mem.data() + (64 - reinterpret_cast<std::uintptr_t>(mem.data()) % 64) % 64;
    stats::StatsTable* table = stats::StatsTable::create(aligned, 2, 0);
    PmConfig cfg;
    cfg.ipc_dir = dir + "/ipc";
    cfg.dynamic_dir = cfg.ipc_dir + "/dynamic";
    cfg.pm_socket = cfg.ipc_dir + "/pm.sock";
    cfg.user_id = ::geteuid();
    cfg.group_id = ::getegid();
    cfg.stats = table;
    for (const std::string* p : {&good, &bad}) {
        StaticApp a;
        a.filename = *p;
        a.socket_path = cfg.ipc_dir + "/s" + std::to_string(cfg.statics.size());
        a.spawn.init_start_delay = 0;
        a.spawn.restart_delay = 0;
        a.stats_slot = static_cast<int>(cfg.statics.size());
        table->publish_fixed(cfg.statics.size(), AppKind::Static, *p, "unix:" + a.socket_path);
        cfg.statics.push_back(a);
    }
    std::string log;
    Manager m(cfg, [&log](LogLevel, int, const char*, int, const std::string& line) { log += line + "\n"; });
    m.start();
    stats::AppSlot& g = table->slot(0);
    stats::AppSlot& b = table->slot(1);
    auto run_until = [&m](const std::function<bool()>& done) {
        const auto give_up = std::chrono::steady_clock::now() + Ms(5000);
        while (!done() && std::chrono::steady_clock::now() < give_up) m.iterate(50);
        return done();
    };
    ASSERT_TRUE(run_until([&] { return g.running.load() == 1 && g.starting.load() == 0; })) << log;
    EXPECT_EQ(g.managed.load(), 1u);
    EXPECT_EQ(g.restarts.load(), 0u);
    ASSERT_TRUE(run_until([&] { return b.spawn_failures.load() >= 1; })) << log;
    EXPECT_EQ(b.running.load(), 0u);
    const int pid = m.apps()[0]->state.slots[0].pid;
    ASSERT_GT(pid, 0);
    ::kill(pid, SIGKILL);
    ASSERT_TRUE(run_until([&] { return g.restarts.load() == 1 && g.running.load() == 1; })) << log;
    m.end_instances();
    std::error_code ec;
    fs::remove_all(dir, ec);
}
