// The host allocates (and zeroes) a page of the guest-RAM file the first time it is touched,
// and that is most of what a demand-zero fault costs. Fresh frames leave the kernel's zeroed
// list in ascending order, so a background thread can allocate the host pages just ahead of
// them, on another core: the host side of Windows' zero page thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace ntoy::emu {

class FramePrefetcher {
public:
    FramePrefetcher(int ramFd, std::uint64_t ramBytes);
    ~FramePrefetcher();
    FramePrefetcher(const FramePrefetcher&) = delete;
    FramePrefetcher& operator=(const FramePrefetcher&) = delete;

    // Frames up to this offset in the RAM file are about to be used.
    void touchedUpTo(std::uint64_t offset);
    // How far ahead of the highest frame in use the host pages are made ready.
    static constexpr std::uint64_t kAhead = 8ull << 20;

private:
    void run();

    int fd_;
    std::uint64_t bytes_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t target_ = 0;  // allocate up to here
    std::uint64_t done_ = 0;    // allocated up to here
    bool stop_ = false;
    std::thread thread_;  // last: starts after the fields it reads
};

}  // namespace ntoy::emu
