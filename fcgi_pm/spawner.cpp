// See spawner.hpp.
#include "spawner.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace fastcgi::pm {

namespace {

constexpr std::size_t kExecStatusMax = 512;  ///< one message on the exec-status pipe (< PIPE_BUF)

/// The likely fix for the common failures of a start (docs/troubleshooting.md).
const char* fix_hint(const char* what, int e) {
    if (std::strcmp(what, "execve()") == 0) {
        if (e == EACCES)
            return "; likely fix: make the file executable by httpd's User (chmod +x), its directories searchable, "
                   "on a file system not mounted noexec";
        if (e == ENOENT) return "; likely fix: check the path and the interpreter on the script's #! line";
        if (e == ENOEXEC) return "; likely fix: a script needs a #! line naming its interpreter";
    }
    if (std::strcmp(what, "chdir()") == 0 && e == EACCES)
        return "; likely fix: let httpd's User search the application's directory (chmod o+x, or its group)";
    if (std::strncmp(what, "setrlimit(", 10) == 0 && e == EPERM)
        return "; likely fix: a hard RLimit* above the limit httpd was started with cannot be set";
    return "";
}

/// In the child: report `what`, errno and the likely fix through `fd`, then
/// exit.
[[noreturn]] void child_fail(int fd, const char* what) {
    char buf[kExecStatusMax];
    const int e = errno;
    const int n = std::snprintf(buf, sizeof buf, "%s: %s%s", what, std::strerror(e), fix_hint(what, e));
    if (n > 0) (void)!::write(fd, buf, static_cast<size_t>(n));
    _exit(127);
}

void close_from(int lowest, int keep) {
    const int max = static_cast<int>(::sysconf(_SC_OPEN_MAX));
    for (int fd = lowest; fd < (max > 0 ? max : 1024) && fd < 65536; ++fd)
        if (fd != keep) ::close(fd);
}

/// In the child: setrlimit for each configured limit, or fail.
void apply_limits(int fd, const SpawnLimits& l) {
    const struct {
        int resource;
        const SpawnLimits::Limit& limit;
        const char* what;
    } all[] = {{RLIMIT_CPU, l.cpu, "setrlimit(RLIMIT_CPU) (RLimitCPU)"},
               {RLIMIT_AS, l.mem, "setrlimit(RLIMIT_AS) (RLimitMEM)"},
               {RLIMIT_NPROC, l.nproc, "setrlimit(RLIMIT_NPROC) (RLimitNPROC)"}};
    for (const auto& a : all) {
        if (!a.limit.set) continue;
        const rlimit r{a.limit.soft, a.limit.hard};
        if (::setrlimit(a.resource, &r) != 0) child_fail(fd, a.what);
    }
}

}  // namespace

Spawned spawn(const SpawnRequest& req, std::string& error) {
    // Everything the child needs is prepared before fork: no allocation
    // between fork and exec.
    std::string dir = req.path.substr(0, req.path.rfind('/'));
    if (dir.empty()) dir.push_back('/');
    const std::string base = req.path.substr(req.path.rfind('/') + 1);
    std::vector<char*> argv;
    if (req.wrapper.empty()) {
        argv = {const_cast<char*>(req.path.c_str()), nullptr};
    } else {
        argv = {const_cast<char*>(req.wrapper.c_str()), const_cast<char*>(req.wrapper_user.c_str()),
                const_cast<char*>(req.wrapper_group.c_str()), const_cast<char*>(base.c_str()), nullptr};
    }
    std::vector<char*> envp;
    if (req.env)
        for (const std::string& e : *req.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const char* exe = req.wrapper.empty() ? req.path.c_str() : req.wrapper.c_str();

    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        error = std::string("pipe() failed: ") + std::strerror(errno);
        return {};
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        error = std::string("fork() failed: ") + std::strerror(errno);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        return {};
    }
    if (pid == 0) {
        ::close(pipefd[0]);
        ::setpgid(0, 0);
        sigset_t all;
        sigemptyset(&all);
        ::sigprocmask(SIG_SETMASK, &all, nullptr);
        for (int sig : {SIGTERM, SIGHUP, SIGUSR1, SIGCHLD, SIGALRM, SIGINT}) ::signal(sig, SIG_DFL);
        ::signal(SIGPIPE, SIG_IGN);  // as the original: apps see EPIPE, not a signal
        if (::chdir(dir.c_str()) != 0) child_fail(pipefd[1], "chdir()");
        if (req.priority) {
            // As the original: lower the priority by -priority steps.
            errno = 0;
            if (::nice(static_cast<int>(req.priority)) == -1 && errno != 0) child_fail(pipefd[1], "nice()");
        }
        if (::dup2(req.listen_fd, 0) < 0) child_fail(pipefd[1], "dup2()");
        if (::dup2(2, 1) < 0) child_fail(pipefd[1], "dup2()");
        close_from(3, pipefd[1]);
        if (req.limits) apply_limits(pipefd[1], *req.limits);
        if (req.before_identity) req.before_identity();
        if (req.drop_to_user) {
            if (::setgid(req.gid) != 0) child_fail(pipefd[1], "setgid()");
            if (::initgroups(req.user_name.c_str(), req.gid) != 0) child_fail(pipefd[1], "initgroups()");
            if (::setuid(req.uid) != 0) child_fail(pipefd[1], "setuid()");
        }
        // After the identity change, which clears it. (A setuid wrapper
        // such as suexec clears it again at exec: the next PM ends such
        // leftovers, see leftovers.hpp.)
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) _exit(0);  // the PM died before prctl
        ::execve(exe, argv.data(), envp.data());
        child_fail(pipefd[1], "execve()");
    }
    ::close(pipefd[1]);
    // Also here, so that a kill(-pid) right after spawn() reaches the child
    // even before it ran its own setpgid().
    ::setpgid(pid, pid);
    ::fcntl(pipefd[0], F_SETFL, ::fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
    return {pid, pipefd[0]};
}

std::optional<std::string> exec_result(int status_fd) {
    char buf[kExecStatusMax];
    ssize_t n;
    do {
        n = ::read(status_fd, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
        return std::string("read() of the exec status failed: ") + std::strerror(errno);
    }
    return std::string(buf, static_cast<std::size_t>(n));  // "" at EOF: exec succeeded
}

}  // namespace fastcgi::pm
