#include "kernel/mm/VadTree.h"

namespace ntoy::mm {

Vad* VadTree::find(VirtualAddress va) {
    return const_cast<Vad*>(static_cast<const VadTree*>(this)->find(va));
}

const Vad* VadTree::find(VirtualAddress va) const {
    auto it = byStart_.upper_bound(va.pageNumber());
    if (it == byStart_.begin())
        return nullptr;
    --it;
    return it->second.contains(va) ? &it->second : nullptr;
}

const Vad* VadTree::firstEndingAbove(VirtualAddress va) const {
    if (const Vad* v = find(va))
        return v;
    auto it = byStart_.upper_bound(va.pageNumber());
    return it == byStart_.end() ? nullptr : &it->second;
}

bool VadTree::overlaps(VirtualAddress start, VirtualAddress end) const {
    const Vad* v = firstEndingAbove(start);
    return v && v->start() < end;
}

Vad& VadTree::insert(const Vad& vad) {
    return byStart_.insert_or_assign(vad.startVpn, vad).first->second;
}

void VadTree::remove(const Vad& vad) {
    byStart_.erase(vad.startVpn);
}

std::optional<VirtualAddress> VadTree::findFree(std::uint64_t size, std::uint64_t alignment,
                                                VirtualAddress low, VirtualAddress high,
                                                bool topDown) const {
    if (size == 0 || high <= low || size > high - low)
        return std::nullopt;
    // Walk the gaps between allocations, from the bottom or the top.
    auto fitsBottomUp = [&](std::uint64_t gapStart,
                            std::uint64_t gapEnd) -> std::optional<std::uint64_t> {
        gapStart = std::max(gapStart, low.value());
        gapEnd = std::min(gapEnd, high.value());
        const std::uint64_t s = alignUp(gapStart, alignment);
        if (s < gapStart || s >= gapEnd || gapEnd - s < size)
            return std::nullopt;
        return s;
    };
    auto fitsTopDown = [&](std::uint64_t gapStart,
                           std::uint64_t gapEnd) -> std::optional<std::uint64_t> {
        gapStart = std::max(gapStart, low.value());
        gapEnd = std::min(gapEnd, high.value());
        if (gapEnd <= gapStart || gapEnd - gapStart < size)
            return std::nullopt;
        const std::uint64_t s = alignDown(gapEnd - size, alignment);
        if (s < gapStart)
            return std::nullopt;
        return s;
    };
    if (!topDown) {
        std::uint64_t gapStart = 0;
        for (const auto& [vpn, vad] : byStart_) {
            if (auto s = fitsBottomUp(gapStart, vad.start().value()))
                return VirtualAddress(*s);
            gapStart = vad.end().value();
        }
        if (auto s = fitsBottomUp(gapStart, ~0ull))
            return VirtualAddress(*s);
        return std::nullopt;
    }
    std::uint64_t gapEnd = ~0ull;
    for (auto it = byStart_.rbegin(); it != byStart_.rend(); ++it) {
        if (auto s = fitsTopDown(it->second.end().value(), gapEnd))
            return VirtualAddress(*s);
        gapEnd = it->second.start().value();
    }
    if (auto s = fitsTopDown(0, gapEnd))
        return VirtualAddress(*s);
    return std::nullopt;
}

}  // namespace ntoy::mm
