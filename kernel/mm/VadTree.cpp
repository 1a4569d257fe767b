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
    free_.take(vad.start().value(), vad.end().value());
    return byStart_.emplace(vad.startVpn, vad).first->second;
}

void VadTree::remove(const Vad& vad) {
    const auto it = byStart_.find(vad.startVpn);
    free_.give(it->second.start().value(), it->second.end().value());
    byStart_.erase(it);
}

std::optional<VirtualAddress> VadTree::findFree(std::uint64_t size, VirtualAddress low,
                                                VirtualAddress high, bool topDown) const {
    const auto at = topDown ? free_.highest(size, low.value(), high.value())
                            : free_.lowest(size, low.value(), high.value());
    if (!at)
        return std::nullopt;
    return VirtualAddress(*at);
}

}  // namespace ntoy::mm
