// The kernel's clock, in Windows' units: interrupt time (100 ns since boot), system time
// (100 ns since 1601-01-01 UTC) and the tick count (ms since boot). Interrupt time never goes
// backwards, and system time is always boot system time + interrupt time (no one sets the
// clock).
//
// Two kinds:
//   - host: interrupt time follows the host's steady clock since boot, and system time starts
//     at the host's UTC time at boot;
//   - deterministic: interrupt time moves only when the kernel says so (advance, skipTo), and
//     system time starts at a fixed instant, so that a run is a function of the program alone.
// Either way, skipTo() moves interrupt time forward to a deadline: when every thread waits
// with a timeout, the scheduler jumps to the earliest one instead of letting the host wait.
//
// Interrupt times are plain std::uint64_t counts of 100 ns, as ke::ThreadWait's deadline.
#pragma once

#include <chrono>
#include <cstdint>

namespace ntoy::ke {

// Windows' unit of time.
using NtDuration = std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>;

// 100 ns intervals from 1601-01-01 to 1970-01-01 UTC: FILETIME's epoch against Unix's.
inline constexpr std::uint64_t kUnixEpochAsSystemTime = 116'444'736'000'000'000ull;
// The deterministic clock's boot: 2026-01-01 00:00:00 UTC.
inline constexpr std::uint64_t kDeterministicBootSystemTime =
    kUnixEpochAsSystemTime + 1'767'225'600ull * 10'000'000ull;

class Clock {
public:
    enum class Kind : std::uint8_t { Host, Deterministic };

    // Starts now, at interrupt time 0.
    static Clock host();
    static Clock deterministic();

    Kind kind() const { return kind_; }

    // 100 ns since boot.
    std::uint64_t interruptTime() const;
    // 100 ns since 1601-01-01 UTC.
    std::uint64_t systemTime() const { return bootSystemTime_ + interruptTime(); }
    // Milliseconds since boot.
    std::uint64_t tickCount() const { return interruptTime() / 10'000; }
    std::uint64_t bootSystemTime() const { return bootSystemTime_; }

    // Moves time forward by `d` (negative durations are ignored): the deterministic clock's
    // only way forward besides skipTo, and for the host clock time the guest spent waiting
    // that the host did not.
    void advance(NtDuration d);
    // Moves interrupt time forward to `interruptTime` if it is later than now; never back.
    void skipTo(std::uint64_t interruptTime);

    // The interrupt time at which an NT timeout (a LARGE_INTEGER in 100 ns units) expires:
    // negative is relative to now, positive is an absolute system time, zero is now. An
    // absolute time already past, and a relative one that would overflow, are clamped (to
    // now, and to the end of time).
    std::uint64_t deadlineFor(std::int64_t ntTimeout) const;

private:
    Clock(Kind kind, std::uint64_t bootSystemTime)
        : kind_(kind), bootSystemTime_(bootSystemTime), boot_(std::chrono::steady_clock::now()) {}

    Kind kind_;
    std::uint64_t bootSystemTime_;
    std::chrono::steady_clock::time_point boot_;
    // Time added by advance() and skipTo(), on top of the host's for the host clock.
    std::uint64_t skipped_ = 0;
};

}  // namespace ntoy::ke
