// A process's allocations, in a balanced tree keyed by start page, and the free ranges
// between them, indexed for O(log n) placement (FreeRanges).
#pragma once

#include <map>
#include <optional>

#include "kernel/mm/FreeRanges.h"
#include "kernel/mm/Vad.h"

namespace ntoy::mm {

class VadTree {
public:
    Vad* find(VirtualAddress va);
    const Vad* find(VirtualAddress va) const;
    // The first allocation that ends above `va`.
    const Vad* firstEndingAbove(VirtualAddress va) const;
    // Whether any allocation overlaps the pages [start, end).
    bool overlaps(VirtualAddress start, VirtualAddress end) const;

    Vad& insert(const Vad& vad);
    void remove(const Vad& vad);

    // The lowest (or with topDown the highest) 64 KB-aligned start of a free range of `size`
    // bytes inside [low, high). O(log n) in the number of allocations.
    std::optional<VirtualAddress> findFree(std::uint64_t size, VirtualAddress low,
                                           VirtualAddress high, bool topDown) const;

    std::size_t size() const { return byStart_.size(); }
    auto begin() const { return byStart_.begin(); }
    auto end() const { return byStart_.end(); }

private:
    std::map<std::uint64_t, Vad> byStart_;
    FreeRanges free_{kAllocationGranularity};
};

}  // namespace ntoy::mm
