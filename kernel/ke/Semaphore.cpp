#include "kernel/ke/Semaphore.h"

#include <memory>

namespace ntoy::ke {

std::expected<std::shared_ptr<Semaphore>, NtStatus> Semaphore::create(std::int32_t initial,
                                                                      std::int32_t maximum) {
    if (maximum <= 0 || initial < 0 || initial > maximum)
        return std::unexpected(NtStatus::InvalidParameter);
    return std::make_shared<Semaphore>(initial, maximum);
}

std::expected<std::int32_t, NtStatus> Semaphore::release(std::int32_t count, WaitManager& waits) {
    if (count <= 0)
        return std::unexpected(NtStatus::InvalidParameter);
    // In 64 bits: count_ + count cannot overflow there, so one comparison covers both the
    // maximum and the wrap KeReleaseSemaphore also checks.
    if (std::int64_t{count_} + count > maximum_)
        return std::unexpected(NtStatus::SemaphoreLimitExceeded);
    const std::int32_t before = count_;
    count_ += count;
    waits.signaled(*this);
    return before;
}

}  // namespace ntoy::ke
