#include "emulator/FramePrefetcher.h"

#include <fcntl.h>

#include <algorithm>

namespace ntoy::emu {

FramePrefetcher::FramePrefetcher(int ramFd, std::uint64_t ramBytes)
    : fd_(ramFd), bytes_(ramBytes), thread_([this] { run(); }) {}

FramePrefetcher::~FramePrefetcher() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void FramePrefetcher::touchedUpTo(std::uint64_t offset) {
    const std::uint64_t want = std::min(bytes_, offset + kAhead);
    {
        std::lock_guard lock(mutex_);
        if (want <= target_)
            return;
        target_ = want;
    }
    wake_.notify_one();
}

void FramePrefetcher::run() {
    // In chunks, so that a stop is noticed soon and the guest's own faults on pages not yet
    // reached are not held up behind a long call.
    constexpr std::uint64_t kChunk = 256 << 10;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stop_ || done_ < target_; });
        if (stop_)
            return;
        const std::uint64_t from = done_;
        const std::uint64_t to = std::min(target_, from + kChunk);
        lock.unlock();
        // Failure (no space, an old kernel) only means the guest's faults do the work.
        (void)fallocate(fd_, 0, static_cast<off_t>(from), static_cast<off_t>(to - from));
        lock.lock();
        done_ = std::max(done_, to);
    }
}

}  // namespace ntoy::emu
