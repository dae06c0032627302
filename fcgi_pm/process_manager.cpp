// See process_manager.hpp.
#include "process_manager.hpp"

#include <unistd.h>

#include "manager.hpp"

namespace fastcgi::pm {

void run_process_manager(const PmConfig& cfg, LogSink sink) {
    {
        Manager m(cfg, std::move(sink));
        m.start();
        while (!m.stopping() && !m.drained()) m.iterate();
        m.end_instances();
    }
    _exit(0);
}

}  // namespace fastcgi::pm
