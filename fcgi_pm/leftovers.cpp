// See leftovers.hpp.
#include "leftovers.hpp"

#include "proc_file.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace fastcgi::pm {

namespace {

/// Whether process `pid` is still the instance of `path`: its argv[0] (or,
/// for a script, the interpreter's next arguments) is the path, or the
/// basename a wrapper exec'd as "./basename".
bool runs(pid_t pid, const std::string& path) {
    std::istringstream in(read_proc_file("/proc/" + std::to_string(pid) + "/cmdline"));
    const std::string base = path.substr(path.rfind('/') + 1);
    std::string arg;
    for (int i = 0; i < 3 && std::getline(in, arg, '\0'); ++i)
        if (arg == path || arg == "./" + base || arg == base) return true;
    return false;
}

/// Whether `pid` is a live process manager other than this one (a
/// draining PM of an earlier generation still owns its instances).
bool live_pm(pid_t pid) {
    if (pid <= 1 || pid == ::getpid() || ::kill(pid, 0) != 0) return false;
    return read_proc_file("/proc/" + std::to_string(pid) + "/comm") == "fcgi-pm\n";
}

/// The process groups recorded in `file` whose leader still runs the
/// recorded path; none when the file's owner is a live PM.
std::vector<pid_t> recorded_groups(const std::string& file, bool& owned_by_live_pm) {
    std::vector<pid_t> groups;
    std::ifstream in(file);
    std::string line;
    owned_by_live_pm = false;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        if (line.rfind("pm ", 0) == 0) {
            std::string tag;
            pid_t owner = 0;
            if (fields >> tag >> owner && live_pm(owner)) {
                owned_by_live_pm = true;
                return {};
            }
            continue;
        }
        pid_t pid = 0;
        std::string path;
        if (fields >> pid && std::getline(fields >> std::ws, path) && pid > 1 && runs(pid, path)) groups.push_back(pid);
    }
    return groups;
}

}  // namespace

void record_instances(const std::string& file, const std::vector<std::pair<pid_t, std::string>>& instances) {
    const std::string tmp = file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "pm " << ::getpid() << '\n';
        for (const auto& [pid, path] : instances) out << pid << ' ' << path << '\n';
    }
    ::rename(tmp.c_str(), file.c_str());
}

bool recorded_by_me(const std::string& file) {
    std::ifstream in(file);
    std::string tag;
    pid_t owner = 0;
    return in >> tag >> owner && tag == "pm" && owner == ::getpid();
}

int end_leftovers(const std::string& file, const std::string& dynamic_dir, int grace_ms) {
    // The current record and those of draining PMs ("<file>.<pid>").
    std::vector<std::string> files = {file};
    const std::string dir = file.substr(0, file.rfind('/'));
    const std::string prefix = file.substr(file.rfind('/') + 1) + ".";
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name.rfind(prefix, 0) == 0 && name.find(".tmp") == std::string::npos) files.push_back(dir + "/" + name);
        }
        ::closedir(d);
    }
    std::vector<pid_t> groups;
    std::vector<std::string> done;
    for (const std::string& f : files) {
        bool live = false;
        for (pid_t g : recorded_groups(f, live)) groups.push_back(g);
        if (!live) done.push_back(f);
    }
    for (pid_t g : groups) ::kill(-g, SIGTERM);
    for (int waited = 0; waited < grace_ms; waited += 20) {
        bool any = false;
        for (pid_t g : groups) any = any || ::kill(-g, 0) == 0;
        if (!any) break;
        ::usleep(20 * 1000);
    }
    for (pid_t g : groups) ::kill(-g, SIGKILL);
    for (const std::string& f : done) ::unlink(f.c_str());
    // A draining PM's instances keep their listening sockets open: removing
    // the names only sends new connections to this PM's new sockets.
    if (DIR* d = ::opendir(dynamic_dir.c_str())) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ::unlink((dynamic_dir + "/" + e->d_name).c_str());
        ::closedir(d);
    }
    return static_cast<int>(groups.size());
}

}  // namespace fastcgi::pm
