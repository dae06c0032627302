// See leftovers.hpp.
#include "leftovers.hpp"

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
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    const std::string base = path.substr(path.rfind('/') + 1);
    std::string arg;
    for (int i = 0; i < 3 && std::getline(in, arg, '\0'); ++i)
        if (arg == path || arg == "./" + base || arg == base) return true;
    return false;
}

}  // namespace

void record_instances(const std::string& file, const std::vector<std::pair<pid_t, std::string>>& instances) {
    const std::string tmp = file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        for (const auto& [pid, path] : instances) out << pid << ' ' << path << '\n';
    }
    ::rename(tmp.c_str(), file.c_str());
}

int end_leftovers(const std::string& file, const std::string& dynamic_dir, int grace_ms) {
    std::vector<pid_t> groups;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        pid_t pid = 0;
        std::string path;
        if (fields >> pid && std::getline(fields >> std::ws, path) && pid > 1 && runs(pid, path)) groups.push_back(pid);
    }
    for (pid_t g : groups) ::kill(-g, SIGTERM);
    for (int waited = 0; waited < grace_ms; waited += 20) {
        bool any = false;
        for (pid_t g : groups) any = any || ::kill(-g, 0) == 0;
        if (!any) break;
        ::usleep(20 * 1000);
    }
    for (pid_t g : groups) ::kill(-g, SIGKILL);
    ::unlink(file.c_str());
    if (DIR* d = ::opendir(dynamic_dir.c_str())) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ::unlink((dynamic_dir + "/" + e->d_name).c_str());
        ::closedir(d);
    }
    return static_cast<int>(groups.size());
}

}  // namespace fastcgi::pm
