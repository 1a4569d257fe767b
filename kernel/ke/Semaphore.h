// Semaphores (NtCreateSemaphore): a count between 0 and a maximum; signalled while above 0,
// and each satisfied wait takes one.
#pragma once

#include <cstdint>
#include <expected>

#include "kernel/ke/Dispatcher.h"
#include "kernel/ke/Wait.h"

namespace ntoy::ke {

class Semaphore final : public DispatcherObject {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::Semaphore;

    // NtCreateSemaphore's checks: STATUS_INVALID_PARAMETER unless 0 < maximum and
    // 0 <= initial <= maximum.
    static std::expected<std::shared_ptr<Semaphore>, NtStatus> create(std::int32_t initial,
                                                                      std::int32_t maximum);

    Semaphore(std::int32_t initial, std::int32_t maximum)
        : DispatcherObject(kObjectType), count_(initial), maximum_(maximum) {}

    std::int32_t count() const { return count_; }
    std::int32_t maximum() const { return maximum_; }

    // NtReleaseSemaphore: adds `count` and wakes as many waiters as it can take. Returns the
    // count before; STATUS_INVALID_PARAMETER for a count below 1, and
    // STATUS_SEMAPHORE_LIMIT_EXCEEDED (nothing changed) past the maximum.
    std::expected<std::int32_t, NtStatus> release(std::int32_t count, WaitManager& waits);

    bool signaledFor(const ps::Thread&) const override { return count_ > 0; }
    Satisfaction satisfy(ps::Thread&) override {
        --count_;
        return Satisfaction::Normal;
    }

private:
    std::int32_t count_;
    std::int32_t maximum_;
};

}  // namespace ntoy::ke
