// Mutants (NtCreateMutant; kernel32's mutexes): owned by one thread at a time, recursively.
// Signalled for a waiter when unowned or owned by the waiter itself. Its count is NT's
// SignalState: 1 when free, 0 owned once, -1 owned twice, and so on down to MINLONG, past
// which its owner cannot acquire it again (STATUS_MUTANT_LIMIT_EXCEEDED). When its owner
// thread ends it is abandoned: freed, and the next thread to acquire it is told
// (STATUS_ABANDONED_WAIT_0 + index).
#pragma once

#include <cstdint>
#include <expected>
#include <memory>

#include "kernel/ke/Dispatcher.h"
#include "kernel/ke/Wait.h"

namespace ntoy::ke {

class Mutant final : public DispatcherObject {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::Mutant;
    // Acquisitions by its owner: SignalState goes from 0 (owned once) down to MINLONG.
    static constexpr std::uint32_t kMaxRecursion = 0x8000'0001;

    // A mutant owned by `initialOwner` if there is one (NtCreateMutant's InitialOwner). A lower
    // `maxRecursion` exists for tests, which cannot acquire 2^31 times.
    static std::shared_ptr<Mutant> create(ps::Thread* initialOwner,
                                          std::uint32_t maxRecursion = kMaxRecursion);

    explicit Mutant(std::uint32_t maxRecursion = kMaxRecursion)
        : DispatcherObject(kObjectType), maxRecursion_(maxRecursion) {}

    const ps::Thread* owner() const { return owner_; }
    bool abandoned() const { return abandoned_; }
    // MUTANT_BASIC_INFORMATION.CurrentCount: 1 - recursion.
    std::int32_t currentCount() const {
        return static_cast<std::int32_t>(1 - static_cast<std::int64_t>(recursion_));
    }

    // NtReleaseMutant by `caller`: one acquisition undone; the last frees it and wakes a
    // waiter. Returns the count before. STATUS_MUTANT_NOT_OWNED if the caller does not own it
    // (STATUS_ABANDONED if it is abandoned and unowned, as KeReleaseMutant raises).
    std::expected<std::int32_t, NtStatus> release(ps::Thread& caller, WaitManager& waits);

    // Its owner ended: freed, marked abandoned, and a waiter woken. For
    // WaitManager::threadEnded, which has taken it off the owner's list.
    void abandon(WaitManager& waits);

    bool signaledFor(const ps::Thread& waiter) const override {
        return owner_ == nullptr || owner_ == &waiter;
    }
    Satisfaction satisfy(ps::Thread& waiter) override;
    std::optional<NtStatus> refusal(const ps::Thread& waiter) const override;

private:
    std::uint32_t maxRecursion_;
    ps::Thread* owner_ = nullptr;  // on its ownedMutants list while it owns this
    std::uint32_t recursion_ = 0;
    bool abandoned_ = false;
};

}  // namespace ntoy::ke
