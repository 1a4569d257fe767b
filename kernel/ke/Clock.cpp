#include "kernel/ke/Clock.h"

#include <limits>

namespace ntoy::ke {

Clock Clock::host() {
    const auto sinceUnixEpoch =
        std::chrono::duration_cast<NtDuration>(std::chrono::system_clock::now().time_since_epoch());
    return Clock(Kind::Host,
                 kUnixEpochAsSystemTime + static_cast<std::uint64_t>(sinceUnixEpoch.count()));
}

Clock Clock::deterministic() {
    return Clock(Kind::Deterministic, kDeterministicBootSystemTime);
}

std::uint64_t Clock::interruptTime() const {
    if (kind_ == Kind::Deterministic)
        return skipped_;
    const auto elapsed =
        std::chrono::duration_cast<NtDuration>(std::chrono::steady_clock::now() - boot_);
    return static_cast<std::uint64_t>(elapsed.count()) + skipped_;
}

void Clock::advance(NtDuration d) {
    if (d.count() > 0)
        skipped_ += static_cast<std::uint64_t>(d.count());
}

void Clock::skipTo(std::uint64_t interruptTime) {
    const std::uint64_t now = this->interruptTime();
    if (interruptTime > now)
        skipped_ += interruptTime - now;
}

std::uint64_t Clock::deadlineFor(std::int64_t ntTimeout) const {
    const std::uint64_t now = interruptTime();
    if (ntTimeout < 0) {
        // -INT64_MIN does not exist; its magnitude is one more than INT64_MAX.
        const std::uint64_t wait = ntTimeout == std::numeric_limits<std::int64_t>::min()
                                       ? std::uint64_t{1} << 63
                                       : static_cast<std::uint64_t>(-ntTimeout);
        return wait > std::numeric_limits<std::uint64_t>::max() - now
                   ? std::numeric_limits<std::uint64_t>::max()
                   : now + wait;
    }
    // An absolute system time: as far from now in interrupt time as it is in system time.
    // The system time read here is boot + now, so the deadline is the absolute time less boot.
    const auto absolute = static_cast<std::uint64_t>(ntTimeout);
    if (absolute <= bootSystemTime_ + now)
        return now;
    return absolute - bootSystemTime_;
}

}  // namespace ntoy::ke
