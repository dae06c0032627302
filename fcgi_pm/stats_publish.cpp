// The process manager's part of the status counters (app_stats.hpp): after
// every pass of its loop it stores, per application, how many processes
// are starting (scheduled, or spawned with their exec not yet confirmed)
// and how many run. Restarts and spawn failures are counted where they
// happen (manager.cpp). Plain relaxed stores: readers only need a recent
// value, never a consistent set.
#include "manager.hpp"

namespace fastcgi::pm {

void Manager::publish_stats() const {
    constexpr auto r = std::memory_order_relaxed;
    for (const auto& a : apps_) {
        if (!a->stats) continue;
        unsigned launching = 0;
        for (const Launching& l : launching_)
            if (l.app == a.get()) ++launching;
        const unsigned running = a->state.running();
        a->stats->starting.store(a->state.count(SlotState::Starting) + launching, r);
        a->stats->running.store(running > launching ? running - launching : 0, r);
        a->stats->managed.store(1, r);
    }
}

}  // namespace fastcgi::pm
