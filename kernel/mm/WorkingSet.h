// A process's working set: the pages of its address space that are resident, their PTEs
// valid, as Windows keeps them in its working-set list (WSLE). Each page has a slot, which
// its frame's PFN entry records (PfnEntry::wsIndex), so leaving the set is O(1).
//
// Trimming visits the slots in clock order: a page the CPU touched since the hand last passed
// (its PTE's Accessed bit is set) has the bit cleared and gets another round; an untouched
// one leaves. AddressSpace::trim does the PTE side. A locked slot (VirtualLock: Windows'
// LockedInWs) is never visited: its page stays until it is unlocked or leaves otherwise
// (decommitted, released, made inaccessible), which ends the lock.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kernel/base/Types.h"

namespace ntoy::mm {

class WorkingSet {
public:
    std::uint32_t insert(VirtualAddress va);
    void remove(std::uint32_t slot);
    VirtualAddress at(std::uint32_t slot) const {
        return VirtualAddress(entries_[slot] & ~kLocked);
    }
    std::uint64_t size() const { return size_; }
    bool locked(std::uint32_t slot) const { return (entries_[slot] & kLocked) != 0; }
    void setLocked(std::uint32_t slot, bool on);
    std::uint64_t lockedCount() const { return locked_; }
    std::uint64_t peak() const { return peak_; }
    // The unlocked occupied slot under the clock hand, moving the hand past it; empty if none.
    std::optional<std::uint32_t> advance();
    // The trimming sweep: visit(slot, va) for the unlocked slots in clock order, until
    // `count` pages have left or two turns are done (the first may only age pages). `visit`
    // returns whether its page left the set. Returns how many did.
    template <typename Visit>
    std::uint64_t sweep(std::uint64_t count, Visit&& visit) {
        std::uint64_t left = 0;
        for (std::uint64_t visits = 2 * size_; left < count && visits > 0; --visits) {
            const auto slot = advance();
            if (!slot)
                break;
            left += visit(*slot, at(*slot)) ? 1 : 0;
        }
        return left;
    }
    // Every occupied slot, in slot order (for !wsle and the checks).
    template <typename F>
    void forEach(F&& f) const {
        for (std::uint32_t i = 0; i < entries_.size(); ++i)
            if (entries_[i] != kFree)
                f(i, at(i));
    }

private:
    static constexpr std::uint64_t kFree = ~0ull;
    static constexpr std::uint64_t kLocked = 1;  // in an entry's page offset
    std::vector<std::uint64_t> entries_;         // the page's address (| kLocked), or kFree
    std::vector<std::uint32_t> free_;
    std::uint32_t hand_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t peak_ = 0;
    std::uint64_t locked_ = 0;
};

}  // namespace ntoy::mm
