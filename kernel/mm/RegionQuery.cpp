#include "kernel/mm/RegionQuery.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::mm {

std::pair<std::uint32_t, std::uint32_t> pageRegionState(Pte pte) {
    return pte.isCommitted() ? std::pair{mem::kCommit, pte.protection().toWin32()}
                             : std::pair{mem::kReserve, 0u};
}

MemoryBasicInformation queryRegion(const AddressSpace& space, VirtualAddress address,
                                   VirtualAddress limit) {
    constexpr std::uint64_t kFirstNonUser = kHighestUserAddress + 1;
    MemoryBasicInformation info{};
    const VirtualAddress page = address.pageBase();
    info.baseAddress = page.value();
    const Vad* vad = space.vads().find(page);
    if (!vad) {
        const Vad* next = space.vads().firstEndingAbove(page);
        const std::uint64_t end = next ? next->start().value() : kFirstNonUser;
        info.regionSize = end - page.value();
        info.state = mem::kFree;
        info.protect = page::kNoAccess;
        return info;
    }
    info.allocationBase = vad->start().value();
    info.allocationProtect = vad->allocationProtect;
    info.type = vad->type == VadType::Image ? mem::kImage : mem::kPrivate;
    const auto first = pageRegionState(space.tables().pteAt(page));
    const bool reserved = first.first == mem::kReserve;
    // The run ends at the first page in another state, up to the allocation's end. Pages
    // whose leaf table is missing (skipped by the walk) are reserved.
    std::optional<VirtualAddress> runEnd;
    VirtualAddress unseen = page + kPageSize;
    const VirtualAddress end = std::min(vad->end(), std::max(limit, unseen));
    space.tables().forEachLeaf(unseen, end, [&](VirtualAddress va, PhysicalAddress, Pte pte) {
        if (va != unseen && !reserved)
            runEnd = unseen;
        else if (pageRegionState(pte) != first)
            runEnd = va;
        unseen = va + kPageSize;
        return !runEnd;
    });
    if (!runEnd)
        runEnd = reserved ? end : unseen;
    info.regionSize = *runEnd - page;
    info.state = first.first;
    info.protect = first.second;
    return info;
}

std::uint64_t committedPages(const PageTables& tables, const Vad& vad) {
    std::uint64_t n = 0;
    tables.forEachLeaf(vad.start(), vad.end(), [&](VirtualAddress, PhysicalAddress, Pte pte) {
        n += pte.isCommitted();
        return true;
    });
    return n;
}

std::optional<MemoryRegionInformation> queryAllocation(const AddressSpace& space,
                                                       VirtualAddress address) {
    const Vad* vad = space.vads().find(address);
    if (!vad)
        return std::nullopt;
    MemoryRegionInformation info{};
    info.allocationBase = vad->start().value();
    info.allocationProtect = vad->allocationProtect;
    info.regionSize = vad->end() - vad->start();
    info.commitSize = committedPages(space.tables(), *vad) * kPageSize;
    return info;
}

std::uint64_t workingSetExAttributes(const AddressSpace& space, VirtualAddress address) {
    if (!isUserAddress(address.value()))
        return 0;
    const Vad* vad = space.vads().find(address);
    if (!vad)
        return 0;
    // A page whose table is paged out is not valid, and a private one is never shared: the
    // answer is 0 without bringing the table back (an image page's protection says whether
    // it is shared, so its table comes back).
    const auto peeked = space.tables().peekPte(address);
    if (!peeked && vad->type != VadType::Image)
        return 0;
    const Pte pte = peeked ? *peeked : space.tables().pteAt(address);
    if (!pte.isCommitted())
        return 0;
    const MmProtection prot = pte.protection();
    const bool shared = vad->type == VadType::Image && (!prot.writable() || prot.copyOnWrite());
    std::uint64_t attributes = std::uint64_t{shared} << 15;
    if (pte.isValid()) {
        attributes |= 1;
        attributes |= std::uint64_t{prot.toWin32() & 0x7FF} << 4;
        if (shared) {
            const std::uint64_t count = space.memoryManager().pfns().entry(pte.pfn()).shareCount;
            attributes |= std::min<std::uint64_t>(count, 7) << 1;
        }
        if (space.isLocked(address))
            attributes |= std::uint64_t{1} << 22;  // Locked
    }
    return attributes;
}

}  // namespace ntoy::mm
