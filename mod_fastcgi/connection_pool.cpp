// See connection_pool.hpp.
#include "connection_pool.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <algorithm>
#include <string>
#include <utility>
#include <vector>


#include "get_values_probe.hpp"
#include "shared_segment.hpp"
#include "hook_guard.hpp"

namespace fastcgi::httpd {

/// One application's counters, shared by every child of a generation.
struct ConnectionPool::Shared {
    std::atomic<int> open{0};      ///< kept connections, in use or idle
    std::atomic<int> waiting{0};   ///< one-off connections in flight
    std::atomic<unsigned> wanted{0};  ///< one-off connections ever opened (seen by sweepers)
    std::atomic<int> capacity{0};  ///< 0 unknown, -1 being asked, else the bound
    std::atomic<apr_time_t> next_question{0};  ///< when to ask an app that was not up
    std::atomic<int> closed_by_app{0};  ///< kept connections the app closed after an exchange
};
static_assert(std::atomic<int>::is_always_lock_free, "shared counters need lock-free atomics");

namespace {
constexpr int kClosesBeforeGivingUp = 3;
}

struct ConnectionPool::Idle {
    struct Entry {
        int fd;
        apr_time_t since;
    };
    std::mutex mutex;
    std::vector<Entry> entries;  ///< most recently used last
    unsigned wanted_seen = 0;    ///< other children's one-offs at the last sweep
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
            g_sweeper_wake.wait_for(lock, std::chrono::milliseconds(any_idle ? 5 : 100),
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
    while (!idle->entries.empty()) {
        const Idle::Entry e = idle->entries.back();
        idle->entries.pop_back();
        if (still_open(e.fd)) return e.fd;
        // The app closed it (or broke the protocol): never reused. Right
        // after an exchange, that is an app that does not keep connections.
        close_fd(e.fd);
        --shared->open;
        if (apr_time_now() - e.since < apr_time_from_sec(1) && note_closed_by_app()) gave_up = true;
    }
    return -1;
}

bool ConnectionPool::reserve() noexcept {
    const int cap = shared->capacity.load();
    if (cap <= 0) return false;  // not known yet: this request goes without
    int open = shared->open.load();
    while (open < cap)
        if (shared->open.compare_exchange_weak(open, open + 1)) return true;
    return false;
}

void ConnectionPool::give_back(int fd) noexcept {
    if (shared->waiting.load() > 0) {
        discard(fd);
        return;
    }
    std::lock_guard<std::mutex> lock(idle->mutex);
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
    // Another child's one-off connection since the last sweep (however
    // short it was) means the kept ones are in somebody's way; this
    // child's own one-offs get its kept connections when they are free.
    const unsigned seen = shared->wanted.load() - idle->own_wanted.load();
    const bool wanted = seen != idle->wanted_seen || shared->waiting.load() > 0;
    std::lock_guard<std::mutex> lock(idle->mutex);
    idle->wanted_seen = seen;
    if (idle->entries.empty()) return false;
    std::size_t keep = 0;
    for (const Idle::Entry& e : idle->entries) {
        if (wanted || now - e.since > kIdleExpiry) {
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

