// See connection_pool.hpp.
#include "connection_pool.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <algorithm>
#include <string>
#include <utility>
#include <vector>


#include "app_stats.hpp"
#include "futex.hpp"
#include "get_values_probe.hpp"
#include "shared_segment.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

/// One application's counters, shared by every child of a generation.
struct ConnectionPool::Shared {
    std::atomic<int> open{0};      ///< kept connections, in use or idle
    std::atomic<int> waiting{0};   ///< one-off connections in flight
    std::atomic<int> owed{0};      ///< kept connections to close: room borrowed beyond the bound
    std::atomic<unsigned> wanted{0};  ///< one-off connections ever opened (seen by sweepers)
    std::atomic<int> capacity{0};  ///< 0 unknown, -1 being asked, else the bound
    std::atomic<apr_time_t> next_question{0};  ///< when to ask an app that was not up
    std::atomic<int> closed_by_app{0};  ///< kept connections the app closed after an exchange
};
static_assert(std::atomic<int>::is_always_lock_free, "shared counters need lock-free atomics");

namespace {
constexpr int kClosesBeforeGivingUp = 3;
/// Idle connections are closed for another child's waiting request only
/// once idle this long: a child with steady traffic would reuse them.
constexpr apr_interval_time_t kIdleBeforeRelease = apr_time_from_msec(10);

/// Whether a kept connection that comes back (or an idle one) is to be
/// closed to pay back room another child borrowed (one close each).
bool pay_owed(ConnectionPool::Shared& shared) noexcept {
    int owed = shared.owed.load();
    while (owed > 0)
        if (shared.owed.compare_exchange_weak(owed, owed - 1)) return true;
    return false;
}
}  // namespace

struct ConnectionPool::Idle {
    struct Entry {
        int fd;
        apr_time_t since;
    };
    std::mutex mutex;
    std::vector<Entry> entries;  ///< most recently used last
    /// A request of this child waiting for one of its kept connections.
    /// Woken through a futex word of its own, after the mutex is released,
    /// so that it never wakes only to wait for the mutex its waker holds.
    struct Waiter {
        int fd = -1;        ///< the connection handed over (under the mutex)
        bool room = false;  ///< one was closed: room to connect anew
        std::atomic<std::uint32_t> ready{0};  ///< 1 once chosen (fd or room set) and the mutex released

        /// Until chosen, at most until `until`; whether it was chosen.
        bool wait_until(std::chrono::steady_clock::time_point until) noexcept {
            while (ready.load(std::memory_order_acquire) == 0) {
                const auto left = until - std::chrono::steady_clock::now();
                if (left <= left.zero()) return false;
                futex_wait(ready, 0, left);
            }
            return true;
        }
        void post() noexcept {
            ready.store(1, std::memory_order_release);
            futex_wake_one(ready);
        }
    };
    int busy = 0;                  ///< this child's kept connections in use
    std::deque<Waiter*> waiters;   ///< first come, first served
    unsigned wanted_seen = 0;    ///< other children's wants at the last sweep
    apr_time_t release_until = 0;  ///< idle connections are released for them until then
    std::atomic<unsigned> own_wanted{0};  ///< this child's one-off connections ever opened
};

namespace {

ConnectionPool::Shared* g_shared = nullptr;   // shared memory, one per slot
std::vector<ConnectionPool>* g_pools = nullptr;  // this child's, one per slot

// The sweeper sleeps long while nothing is kept idle; the first connection
// kept idle wakes it, so that another child's request never waits long
// behind it.
std::mutex g_sweeper_mutex;
std::condition_variable g_sweeper_wake;
bool g_sweeper_dozing = false;

/// Whether an idle connection is still usable: nothing to read (the app
/// closed it, or says something it should not) and no error.
bool still_open(int fd) noexcept {
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, 0);
    return n == 0;
}

void close_fd(int fd) noexcept {
    if (fd >= 0) ::close(fd);
}

}  // namespace

int ConnectionPool::create(apr_pool_t* pconf, server_rec* s) {
    g_shared = nullptr;
    // One slot per address: definitions that share an app's address (a
    // responder and an authorizer, say) share what it can serve, and one
    // that does not keep connections still tells the others when it waits.
    int slots = 0;
    std::vector<std::pair<std::string, int>> by_address;
    auto slot_of = [&](const App* app) -> int {
        for (const auto& [where, slot] : by_address)
            if (where == app->where) return slot;
        return -1;
    };
    for (App* app : AppRegistry::current().endpoints()) {
        app->reuse_slot = -1;
        if (!app->config.reuses_connections()) continue;
        app->reuse_slot = slot_of(app);
        if (app->reuse_slot < 0) {
            app->reuse_slot = slots++;
            by_address.emplace_back(app->where, app->reuse_slot);
        }
    }
    for (App* app : AppRegistry::current().endpoints())
        if (app->reuse_slot < 0) app->reuse_slot = slot_of(app);
    if (slots == 0) return OK;
    const apr_size_t size = sizeof(Shared) * static_cast<apr_size_t>(slots);
    void* base = create_shared_segment(pconf, s, size, "for connection reuse", []() noexcept { g_shared = nullptr; });
    if (!base) return HTTP_INTERNAL_SERVER_ERROR;
    g_shared = static_cast<Shared*>(base);
    for (int i = 0; i < slots; ++i) new (&g_shared[i]) Shared();
    // Known at once: -max-conns, or a static app's -processes (the module
    // starts every one of them; each serves at least one connection).
    for (App* app : AppRegistry::current().endpoints()) {
        if (app->reuse_slot < 0 || !app->config.reuses_connections()) continue;
        if (g_shared[app->reuse_slot].capacity.load() != 0) continue;  // the first definition says
        const unsigned cap = app->config.max_conns          ? app->config.max_conns
                             : app->config.kind == AppKind::Static ? app->config.processes
                                                                   : 0;
        g_shared[app->reuse_slot].capacity = static_cast<int>(cap);
    }
    return OK;
}

namespace {

/// This child's pools and the sweeper thread, ended with pchild.
struct ChildPools {
    std::vector<ConnectionPool> pools;
    std::atomic<bool> stop{false};
    std::thread sweeper;

    explicit ChildPools(std::size_t n) : pools(n) {}
    ~ChildPools() {
        {
            std::lock_guard<std::mutex> lock(g_sweeper_mutex);
            stop = true;
        }
        g_sweeper_wake.notify_all();
        if (sweeper.joinable()) sweeper.join();
    }
    void run(server_rec* s) noexcept {
        std::vector<App*> endpoints;
        try {
            endpoints = AppRegistry::current().endpoints();
        } catch (...) {
        }
        while (!stop) {
            const apr_time_t now = apr_time_now();
            bool any_idle = false;
            for (ConnectionPool& p : pools) any_idle |= p.sweep(now);
            for (const App* app : endpoints)
                if (app->reuse_slot >= 0 && app->config.reuses_connections())
                    pools[static_cast<std::size_t>(app->reuse_slot)].learn_capacity(s, *app);
            // Often while connections are kept idle (one may be in the way
            // of another child's request), else until one is.
            std::unique_lock<std::mutex> lock(g_sweeper_mutex);
            g_sweeper_dozing = !any_idle;
            g_sweeper_wake.wait_for(lock, std::chrono::milliseconds(any_idle ? 1 : 100),
                                    [this, any_idle] { return stop.load() || (!any_idle && !g_sweeper_dozing); });
            g_sweeper_dozing = false;
        }
    }
};

}  // namespace

void ConnectionPool::start_child(apr_pool_t* pchild, server_rec* s) {
    g_pools = nullptr;
    if (!g_shared) return;
    std::size_t slots = 0;
    for (const App* app : AppRegistry::current().endpoints())
        if (app->reuse_slot >= 0) slots = std::max(slots, static_cast<std::size_t>(app->reuse_slot) + 1);
    auto* child = pool_new<ChildPools>(pchild, slots);
    for (const App* app : AppRegistry::current().endpoints()) {
        if (app->reuse_slot < 0) continue;
        ConnectionPool& p = child->pools[static_cast<std::size_t>(app->reuse_slot)];
        if (p.idle) continue;
        p.shared = &g_shared[app->reuse_slot];
        p.idle = new Idle();
        if (const stats::AppSlot* slot = AppStats::slot_of(*app)) p.moving_ = &slot->moving;
    }
    try {
        child->sweeper = std::thread([child, s] { child->run(s); });
    } catch (const std::exception& e) {
        // Without the sweeper, idle connections are still closed by the
        // requests that use the pool; only the prompt release is lost.
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "FastCGI: cannot start the connection sweeper: %s", e.what());
    }
    g_pools = &child->pools;
    apr_pool_cleanup_register(
        pchild, nullptr,
        [](void*) noexcept -> apr_status_t {
            g_pools = nullptr;
            return APR_SUCCESS;
        },
        apr_pool_cleanup_null);
}

ConnectionPool::~ConnectionPool() {
    if (!idle) return;
    for (const Idle::Entry& e : idle->entries) {
        close_fd(e.fd);
        if (shared) --shared->open;
    }
    delete idle;
}

ConnectionPool* ConnectionPool::of(const App& app) noexcept {
    if (app.reuse_slot < 0 || !g_pools) return nullptr;
    return &(*g_pools)[static_cast<std::size_t>(app.reuse_slot)];
}

int ConnectionPool::take_idle(bool& gave_up) noexcept {
    gave_up = false;
    std::lock_guard<std::mutex> lock(idle->mutex);
    if (moving()) return -1;  // the sweeper closes them
    while (!idle->entries.empty()) {
        const Idle::Entry e = idle->entries.back();
        idle->entries.pop_back();
        if (still_open(e.fd)) {
            ++idle->busy;
            return e.fd;
        }
        // The app closed it (or broke the protocol): never reused. Right
        // after an exchange, that is an app that does not keep connections.
        close_fd(e.fd);
        --shared->open;
        if (apr_time_now() - e.since < apr_time_from_sec(1) && note_closed_by_app()) gave_up = true;
    }
    return -1;
}

bool ConnectionPool::reserve() noexcept {
    if (moving()) return false;
    const int cap = shared->capacity.load();
    if (cap <= 0) return false;  // not known yet: this request goes without
    int open = shared->open.load();
    while (open < cap)
        if (shared->open.compare_exchange_weak(open, open + 1)) {
            std::lock_guard<std::mutex> lock(idle->mutex);
            ++idle->busy;
            return true;
        }
    return false;
}

ConnectionPool::Turn ConnectionPool::await_return(apr_time_t deadline, Wait& wait, int& handed) noexcept {
    handed = -1;
    if (shared->capacity.load() <= 0) return Turn::OneOff;  // nothing is kept: nothing to wait for
    std::unique_lock<std::mutex> lock(idle->mutex);
    if (!idle->entries.empty()) return Turn::Retry;
    const apr_time_t now = apr_time_now();
    if (now >= deadline) return Turn::OneOff;
    // A request that already waited a while for its child's: the other
    // children close their idle kept connections for it (their sweepers see
    // `wanted` move), which makes room for reserve().
    if (!wait.announced && (idle->busy == 0 || wait.waited)) {
        ++idle->own_wanted;
        ++shared->wanted;
        wait.announced = true;
    }
    if (idle->busy == 0) {
        // Nothing of this child's will come back. It borrows room beyond
        // the bound and connects (that waits in the app's listen queue, as
        // a one-off would); another child closes one kept connection as
        // soon as one is idle or done, which frees an app process for it
        // and pays the room back.
        ++shared->open;
        ++shared->owed;
        ++idle->busy;
        return Turn::Borrowed;
    }
    Idle::Waiter w;
    idle->waiters.push_back(&w);
    // Room freed by another child is not signalled here: look again now
    // and then.
    const apr_interval_time_t most = std::min<apr_interval_time_t>(deadline - now, apr_time_from_msec(wait.waited ? 50 : 10));
    wait.waited = true;
    lock.unlock();
    if (!w.wait_until(std::chrono::steady_clock::now() + std::chrono::microseconds(most))) {
        lock.lock();
        const bool chosen = w.fd >= 0 || w.room;
        if (!chosen) std::erase(idle->waiters, &w);
        lock.unlock();
        // Chosen just as the wait ended: the waker posts at once, and `w`
        // must outlive its store.
        if (chosen) w.wait_until(std::chrono::steady_clock::time_point::max());
    }
    handed = w.fd;
    return handed >= 0 ? Turn::Handed : Turn::Retry;
}

void ConnectionPool::forgive(bool borrowed) noexcept {
    if (borrowed) pay_owed(*shared);
}

void ConnectionPool::give_back(int fd) noexcept {
    // A one-off connection waits in the app's listen queue (any child's),
    // or a request of a child that keeps none waits for room: they go
    // first, so this one is closed to free an app process.
    if (moving() || shared->waiting.load() > 0 || pay_owed(*shared)) {
        discard(fd);
        return;
    }
    std::unique_lock<std::mutex> lock(idle->mutex);
    if (!idle->waiters.empty()) {
        // Handed over to the request of this child that waited longest
        // (it stays in use: busy does not change).
        Idle::Waiter* w = idle->waiters.front();
        idle->waiters.pop_front();
        w->fd = fd;
        lock.unlock();
        w->post();
        return;
    }
    --idle->busy;
    idle->entries.push_back({fd, apr_time_now()});
    if (idle->entries.size() == 1) {
        std::lock_guard<std::mutex> wake(g_sweeper_mutex);
        if (g_sweeper_dozing) {
            g_sweeper_dozing = false;
            g_sweeper_wake.notify_one();
        }
    }
}

void ConnectionPool::discard(int fd) noexcept {
    close_fd(fd);
    --shared->open;
    std::unique_lock<std::mutex> lock(idle->mutex);
    --idle->busy;
    // Room for a waiting request of this child to connect anew (unless it
    // is meant for a child that keeps none).
    if (!idle->waiters.empty() && shared->owed.load() == 0) {
        Idle::Waiter* w = idle->waiters.front();
        idle->waiters.pop_front();
        w->room = true;
        lock.unlock();
        w->post();
    }
}

bool ConnectionPool::note_closed_by_app() noexcept {
    // A few in a row means the app does not keep connections (raw
    // implementations, some frameworks): stop, rather than race its closes.
    // A capacity of -2 is "never keep" for reserve() and learn_capacity().
    if (++shared->closed_by_app != kClosesBeforeGivingUp) return false;
    shared->capacity = -2;
    return true;
}

void ConnectionPool::waiting(int delta) noexcept {
    shared->waiting += delta;
    if (delta > 0) {
        ++idle->own_wanted;
        ++shared->wanted;
    }
}

void ConnectionPool::learn_capacity(server_rec* s, const App& app) noexcept {
    if (!shared || shared->capacity.load() != 0 || apr_time_now() < shared->next_question.load()) return;
    int expected = 0;
    if (!shared->capacity.compare_exchange_strong(expected, -1)) return;  // another child asks
    std::optional<unsigned> cap;
    try {
        cap = connections_app_serves(s, app);
    } catch (...) {
        cap = 1;
    }
    // Not up yet: ask again in a second (meanwhile nothing is kept).
    if (!cap) shared->next_question = apr_time_now() + apr_time_from_sec(1);
    shared->capacity = cap ? static_cast<int>(*cap) : 0;
}

bool ConnectionPool::sweep(apr_time_t now) noexcept {
    if (!idle) return false;
    // A one-off connection in flight means the kept ones are in its way
    // (it waits in the app's listen queue): all idle ones go. Another
    // child's request that waited for room or for long (or a one-off that
    // came and went) since the last sweep: the ones idle for a while go,
    // for some time; this child's own requests get its connections anyway.
    const unsigned seen = shared->wanted.load() - idle->own_wanted.load();
    const bool one_off = shared->waiting.load() > 0 || moving();
    std::lock_guard<std::mutex> lock(idle->mutex);
    if (seen != idle->wanted_seen) idle->release_until = now + 2 * kIdleBeforeRelease;
    idle->wanted_seen = seen;
    if (idle->entries.empty()) return false;
    const bool wanted = now < idle->release_until;
    std::size_t keep = 0;
    for (const Idle::Entry& e : idle->entries) {
        // Room another child borrowed: one idle connection pays it back.
        if (one_off || now - e.since > kIdleExpiry || (wanted && now - e.since >= kIdleBeforeRelease) ||
            pay_owed(*shared)) {
            close_fd(e.fd);
            --shared->open;
        } else {
            idle->entries[keep++] = e;
        }
    }
    idle->entries.resize(keep);
    return keep > 0;
}

}  // namespace fastcgi::httpd

