#include "kernel/ke/Mutant.h"

#include <algorithm>
#include <utility>

#include "kernel/ps/Thread.h"

namespace ntoy::ke {

std::shared_ptr<Mutant> Mutant::create(ps::Thread* initialOwner, std::uint32_t maxRecursion) {
    auto mutant = std::make_shared<Mutant>(maxRecursion);
    if (initialOwner)
        (void)mutant->satisfy(*initialOwner);
    return mutant;
}

Satisfaction Mutant::satisfy(ps::Thread& waiter) {
    if (owner_ != &waiter) {
        owner_ = &waiter;
        waiter.ownedMutants.push_front(std::static_pointer_cast<Mutant>(shared_from_this()));
    }
    ++recursion_;
    return std::exchange(abandoned_, false) ? Satisfaction::Abandoned : Satisfaction::Normal;
}

std::optional<NtStatus> Mutant::refusal(const ps::Thread& waiter) const {
    if (owner_ == &waiter && recursion_ >= maxRecursion_)
        return NtStatus::MutantLimitExceeded;
    return std::nullopt;
}

std::expected<std::int32_t, NtStatus> Mutant::release(ps::Thread& caller, WaitManager& waits) {
    if (owner_ != &caller)
        return std::unexpected(abandoned_ ? NtStatus::AbandonedWait0 : NtStatus::MutantNotOwned);
    const std::int32_t before = currentCount();
    if (--recursion_ == 0) {
        // Kept alive by `self` while it wakes a waiter: the owner's list may hold the last
        // reference.
        const auto self = shared_from_this();
        std::erase_if(caller.ownedMutants, [this](const auto& m) { return m.get() == this; });
        owner_ = nullptr;
        waits.signaled(*this);
    }
    return before;
}

void Mutant::abandon(WaitManager& waits) {
    owner_ = nullptr;
    recursion_ = 0;
    abandoned_ = true;
    waits.signaled(*this);
}

}  // namespace ntoy::ke
