// Admission control of requests to applications, across every thread of
// every httpd child: the caps of -max-in-flight, -queue-depth and
// -queue-timeout (FastCgiServer, FastCgiExternalServer, FastCgiConfig).
// The decision policy is include/fastcgi/admission.hpp; this file owns its
// counters in shared memory, the bounded wait of a queued request (a futex
// on the counters' wake word, woken by each release, rechecked every
// kWaitSlice so that a lost wake-up or a vanished client costs little), the
// 503 + Retry-After answer's header, and the rate-limited log line.
//
// Shared memory: one AdmissionCounters per defined app (App::admission_slot),
// a fixed table of dynamic classes keyed by a hash of the class's socket
// path (claimed lock-free by the first request of a class), and one total
// for the dynamic apps (-maxProcesses). Created in post_config in pconf, one
// set per configuration generation: after a graceful restart the old
// children finish with the old set.
//
// A request holds its slots in an AdmissionTicket, which releases them when
// it goes out of scope (normal end, app failure, client abort, exception).
// Only a child that dies abruptly (SIGKILL, a crash) while holding slots
// leaks them, until the next restart.
#pragma once

#include <string>
#include <vector>

#include "app_registry.hpp"
#include "fastcgi/admission.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// post_config, in the parent: the shared counters for this generation.
int create_admission(apr_pool_t* pconf, server_rec* s);

/// The caps of a dynamic app from FastCgiConfig: -max-in-flight per class,
/// by default -maxClassProcesses (an instance serves one request at a time).
AdmissionLimits dynamic_class_limits(const DynamicConfig& dyn);

/// The slots one request holds; released on destruction.
class AdmissionTicket {
public:
    AdmissionTicket() = default;
    AdmissionTicket(const AdmissionTicket&) = delete;
    AdmissionTicket& operator=(const AdmissionTicket&) = delete;
    ~AdmissionTicket();

    /// Takes `app`'s slot, waiting in its queue at most -queue-timeout (and
    /// for a dynamic app the dynamic total's too, within the same time).
    /// Anything but Admitted: nothing is held; a refusal (QueueFull,
    /// QueueTimeout) has set Retry-After in r->err_headers_out and logged.
    Admission enter(request_rec* r, const App& app);

private:
    struct Held {
        AdmissionCounters* counters = nullptr;
        AdmissionLimits limits;
    };
    void release(Held& h) noexcept;

    Held app_, total_;
};

/// What the status page shows for one application or dynamic class.
struct AppLoad {
    std::string name;       ///< the app's filename (a dynamic class: its script)
    bool dynamic = false;
    unsigned max_in_flight = AdmissionLimits::kUnlimited;
    AdmissionSnapshot counters;
};

/// Every defined app, every dynamic class seen, and the dynamic total
/// (named "(all dynamic applications)"), as this child sees them now.
std::vector<AppLoad> admission_loads();

}  // namespace fastcgi::httpd
