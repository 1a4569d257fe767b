#include "tests/kernel/fakes/RecordingMmu.h"

namespace ntoy::test {

void RecordingMmu::mapped(VirtualAddress va, Pfn pfn) {
    aliases_[va.pageBase()] = pfn;
    ++counts_.mapped;
    events_.push_back({EventKind::Mapped, va, pfn});
}

void RecordingMmu::unmapped(VirtualAddress va) {
    aliases_.erase(va.pageBase());
    flushPending_ = true;
    ++counts_.unmapped;
    events_.push_back({EventKind::Unmapped, va, Pfn()});
}

void RecordingMmu::downgraded(VirtualAddress va) {
    flushPending_ = true;
    ++counts_.downgraded;
    events_.push_back({EventKind::Downgraded, va, Pfn()});
}

void RecordingMmu::codeModified(VirtualAddress va, std::uint64_t length) {
    ++counts_.codeModified;
    events_.push_back({EventKind::CodeModified, va, Pfn(), length});
}

void RecordingMmu::flushTlb() {
    if (flushPending_)
        ++counts_.effectiveFlushes;
    flushPending_ = false;
    ++counts_.flushes;
    events_.push_back({EventKind::Flush, VirtualAddress(), Pfn()});
}

void RecordingMmu::clearRecord() {
    counts_ = {};
    events_.clear();
}

std::optional<Pfn> RecordingMmu::aliasOf(VirtualAddress va) const {
    auto it = aliases_.find(va.pageBase());
    if (it == aliases_.end())
        return std::nullopt;
    return it->second;
}

void RecordingMmu::guestAccess(VirtualAddress va) {
    if (flushPending_)
        accessesWhileStale_.push_back(va);
}

std::vector<VirtualAddress> staleAliases(const mm::AddressSpace& space, const RecordingMmu& mmu) {
    std::vector<VirtualAddress> stale;
    for (const auto& [va, pfn] : mmu.aliases()) {
        const mm::Pte pte = space.tables().pteAt(va);
        if (!pte.hasFrame() || pte.pfn() != pfn)
            stale.push_back(va);
    }
    return stale;
}

}  // namespace ntoy::test
