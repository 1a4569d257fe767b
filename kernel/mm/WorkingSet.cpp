#include "kernel/mm/WorkingSet.h"

#include "kernel/ke/BugCheck.h"

namespace ntoy::mm {

std::uint32_t WorkingSet::insert(VirtualAddress va) {
    std::uint32_t slot;
    if (!free_.empty()) {
        slot = free_.back();
        free_.pop_back();
        entries_[slot] = va.pageBase().value();
    } else {
        slot = static_cast<std::uint32_t>(entries_.size());
        entries_.push_back(va.pageBase().value());
    }
    if (++size_ > peak_)
        peak_ = size_;
    return slot;
}

void WorkingSet::remove(std::uint32_t slot) {
    NTOY_ASSERT(slot < entries_.size() && entries_[slot] != kFree,
                ke::BugCheckCode::MemoryManagement, 0x5100, slot, entries_.size(), 0);
    if (locked(slot))
        --locked_;
    entries_[slot] = kFree;
    free_.push_back(slot);
    --size_;
    // An empty set gives its slots back: a process that shrinks does not keep a long list.
    if (size_ == 0) {
        entries_.clear();
        free_.clear();
        hand_ = 0;
    }
}

void WorkingSet::setLocked(std::uint32_t slot, bool on) {
    NTOY_ASSERT(slot < entries_.size() && entries_[slot] != kFree,
                ke::BugCheckCode::MemoryManagement, 0x5102, slot, entries_.size(), 0);
    if (locked(slot) == on)
        return;
    entries_[slot] ^= kLocked;
    on ? ++locked_ : --locked_;
}

std::optional<std::uint32_t> WorkingSet::advance() {
    if (size_ == locked_)
        return std::nullopt;
    for (;;) {
        if (hand_ >= entries_.size())
            hand_ = 0;
        const std::uint32_t slot = hand_++;
        if (entries_[slot] != kFree && !locked(slot))
            return slot;
    }
}

}  // namespace ntoy::mm
