// Sleeping on a 32-bit word until another thread or process changes it
// (Linux futex): the admission queue's wait (a word in memory shared by the
// httpd children) and the connection pool's hand-over (a word per waiting
// request). Unlike std::atomic::wait it takes a timeout, and unlike
// std::binary_semaphore it never spins with sched_yield first, which on a
// machine whose CPUs are all busy hands them to other threads for nothing.
// Waits may end early (a wake, a signal, a spurious wake): callers look at
// their word again.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace fastcgi::httpd {

/// Sleeps while `word` holds `seen`, at most `d`.
inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t seen, std::chrono::nanoseconds d) noexcept {
    if (d.count() <= 0) return;
    timespec ts{static_cast<time_t>(d.count() / 1000000000), static_cast<long>(d.count() % 1000000000)};
    // Not FUTEX_PRIVATE: the admission queue's word is shared by processes.
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, seen, &ts, nullptr, 0);
}

/// Wakes one sleeper of `word` (after the caller changed it).
inline void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

}  // namespace fastcgi::httpd
