// What a new process manager ends as leftovers: the instances recorded by
// a PM that is gone, never those of a PM that still runs (one draining
// after a graceful restart), and the draining PM's own record
// (pm.instances.<pid>) once that PM is gone. Real processes: a fake PM
// (a child named fcgi-pm) and /bin/sleep instances in their own groups.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "leftovers.hpp"

using namespace fastcgi::pm;
namespace fs = std::filesystem;

namespace {

pid_t start_instance() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        ::execl("/bin/sleep", "/bin/sleep", "30", static_cast<char*>(nullptr));
        _exit(127);
    }
    ::setpgid(pid, pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // exec'd
    return pid;
}

/// A child named fcgi-pm that writes `file` as its record of `instance`,
/// then waits to be killed.
pid_t start_fake_pm(const std::string& file, pid_t instance) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_NAME, "fcgi-pm");
        record_instances(file, {{instance, "/bin/sleep"}});
        while (true) ::pause();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return pid;
}

bool alive(pid_t pid) {
    return ::waitpid(pid, nullptr, WNOHANG) == 0;
}

class LeftoversTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/fcgi_leftovers.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        fs::create_directories(dir_ + "/dynamic");
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string dir_;
};

TEST_F(LeftoversTest, InstancesOfALivePmAreKeptThoseOfAGonePmAreEnded) {
    const pid_t instance = start_instance();
    const std::string record = dir_ + "/pm.instances";
    const pid_t pm = start_fake_pm(record, instance);
    EXPECT_TRUE(recorded_by_me(record) == false) << "the fake PM owns the record";

    EXPECT_EQ(end_leftovers(record, dir_ + "/dynamic", 500), 0);
    EXPECT_TRUE(alive(instance)) << "an instance of a PM that still runs (draining) was ended";
    EXPECT_TRUE(fs::exists(record)) << "the live PM's record was removed";

    ::kill(pm, SIGKILL);
    ::waitpid(pm, nullptr, 0);
    EXPECT_EQ(end_leftovers(record, dir_ + "/dynamic", 500), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(alive(instance)) << "the gone PM's instance survived";
    EXPECT_FALSE(fs::exists(record));
}

TEST_F(LeftoversTest, TheRecordOfADrainingPmThatDiedIsFound) {
    const pid_t instance = start_instance();
    const pid_t pm = start_fake_pm(dir_ + "/pm.instances.12345", instance);
    ::kill(pm, SIGKILL);
    ::waitpid(pm, nullptr, 0);
    EXPECT_EQ(end_leftovers(dir_ + "/pm.instances", dir_ + "/dynamic", 500), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(alive(instance));
    EXPECT_FALSE(fs::exists(dir_ + "/pm.instances.12345"));
}

TEST_F(LeftoversTest, ARecordNamesItsWriter) {
    record_instances(dir_ + "/pm.instances", {});
    EXPECT_TRUE(recorded_by_me(dir_ + "/pm.instances"));
}

}  // namespace
