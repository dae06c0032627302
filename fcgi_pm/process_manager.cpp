// See process_manager.hpp.
#include "process_manager.hpp"

#include <unistd.h>

#include "health_checker.hpp"
#include "manager.hpp"

namespace fastcgi::pm {

void run_process_manager(const PmConfig& cfg, LogSink sink) {
    {
        LogSink health_sink = sink;
        Manager m(cfg, std::move(sink));
        m.start();
        // After start(): the thread runs with the PM's identity and signal setup.
        HealthChecker::run_in_background(cfg.health_targets, std::move(health_sink));
        while (!m.stopping() && !m.drained()) m.iterate();
        m.end_instances();
    }
    _exit(0);
}

}  // namespace fastcgi::pm
