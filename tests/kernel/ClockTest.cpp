// ke::Clock: Windows' units, a deterministic clock that moves only when told, a host clock
// that follows the host's, skipping forward to a deadline, and NT timeouts turned into
// interrupt-time deadlines.
#include "kernel/ke/Clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace ntoy::ke {
namespace {

using namespace std::chrono_literals;

TEST(ClockTest, DeterministicClockBootsAtNewYear2026) {
    const Clock clock = Clock::deterministic();
    EXPECT_EQ(clock.kind(), Clock::Kind::Deterministic);
    EXPECT_EQ(clock.interruptTime(), 0u);
    EXPECT_EQ(clock.tickCount(), 0u);
    // 2026-01-01 00:00 UTC as a FILETIME.
    EXPECT_EQ(clock.systemTime(), 134'116'992'000'000'000u);
    EXPECT_EQ(clock.bootSystemTime(), kDeterministicBootSystemTime);
}

TEST(ClockTest, DeterministicClockMovesOnlyWhenAdvanced) {
    Clock clock = Clock::deterministic();
    EXPECT_EQ(clock.interruptTime(), clock.interruptTime());
    clock.advance(NtDuration(15'625'0));  // 15.625 ms
    EXPECT_EQ(clock.interruptTime(), 156'250u);
    EXPECT_EQ(clock.tickCount(), 15u);
    EXPECT_EQ(clock.systemTime(), kDeterministicBootSystemTime + 156'250u);
    clock.advance(-1s);  // never backwards
    EXPECT_EQ(clock.interruptTime(), 156'250u);
    clock.advance(std::chrono::duration_cast<NtDuration>(2s));
    EXPECT_EQ(clock.tickCount(), 2015u);
}

TEST(ClockTest, SkipToMovesForwardOnly) {
    Clock clock = Clock::deterministic();
    clock.skipTo(50'000'000);
    EXPECT_EQ(clock.interruptTime(), 50'000'000u);
    clock.skipTo(10);
    EXPECT_EQ(clock.interruptTime(), 50'000'000u);
    clock.skipTo(50'000'000);
    EXPECT_EQ(clock.interruptTime(), 50'000'000u);
}

TEST(ClockTest, HostClockStartsAtTheHostsUtcTime) {
    const auto before = std::chrono::system_clock::now();
    const Clock clock = Clock::host();
    const auto after = std::chrono::system_clock::now();
    const auto asSystemTime = [](std::chrono::system_clock::time_point t) {
        return kUnixEpochAsSystemTime +
               static_cast<std::uint64_t>(
                   std::chrono::duration_cast<NtDuration>(t.time_since_epoch()).count());
    };
    EXPECT_EQ(clock.kind(), Clock::Kind::Host);
    EXPECT_GE(clock.bootSystemTime(), asSystemTime(before));
    EXPECT_LE(clock.bootSystemTime(), asSystemTime(after));
    // System time is boot plus interrupt time, read a moment later.
    const std::uint64_t interrupt = clock.interruptTime();
    EXPECT_GE(clock.systemTime(), clock.bootSystemTime() + interrupt);
}

TEST(ClockTest, HostClockIsMonotonicAndSkipsAhead) {
    Clock clock = Clock::host();
    const std::uint64_t first = clock.interruptTime();
    EXPECT_GE(clock.interruptTime(), first);
    // An hour ahead of the host, at once, and it stays ahead.
    const std::uint64_t hour = 36'000'000'000;
    clock.skipTo(first + hour);
    EXPECT_GE(clock.interruptTime(), first + hour);
    EXPECT_GE(clock.tickCount(), 3'600'000u);
    const std::uint64_t later = clock.interruptTime();
    clock.skipTo(first);
    EXPECT_GE(clock.interruptTime(), later);
}

TEST(ClockTest, RelativeTimeoutIsCountedFromNow) {
    Clock clock = Clock::deterministic();
    clock.advance(NtDuration(1000));
    EXPECT_EQ(clock.deadlineFor(-10'000'000), 10'001'000u);  // one second
    EXPECT_EQ(clock.deadlineFor(-1), 1001u);
}

TEST(ClockTest, ZeroTimeoutIsNow) {
    Clock clock = Clock::deterministic();
    clock.advance(NtDuration(777));
    EXPECT_EQ(clock.deadlineFor(0), 777u);
}

TEST(ClockTest, AbsoluteTimeoutIsAsFarAsItIsInSystemTime) {
    Clock clock = Clock::deterministic();
    clock.advance(NtDuration(5000));
    const auto at = static_cast<std::int64_t>(clock.systemTime() + 20'000'000);
    EXPECT_EQ(clock.deadlineFor(at), 5000u + 20'000'000u);
}

TEST(ClockTest, AbsoluteTimeoutInThePastIsNow) {
    Clock clock = Clock::deterministic();
    clock.advance(NtDuration(5000));
    EXPECT_EQ(clock.deadlineFor(static_cast<std::int64_t>(clock.systemTime())), 5000u);
    EXPECT_EQ(clock.deadlineFor(1), 5000u);  // 1601
}

TEST(ClockTest, HugeRelativeTimeoutSaturates) {
    Clock clock = Clock::deterministic();
    clock.advance(NtDuration(5));
    EXPECT_EQ(clock.deadlineFor(std::numeric_limits<std::int64_t>::min()),
              5u + (std::uint64_t{1} << 63));
    clock.skipTo(std::numeric_limits<std::uint64_t>::max() - 10);
    EXPECT_EQ(clock.deadlineFor(-100), std::numeric_limits<std::uint64_t>::max());
}

}  // namespace
}  // namespace ntoy::ke
