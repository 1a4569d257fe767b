#include "kernel/mm/RegionQuery.h"

#include <optional>
#include <utility>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::mm {

MemoryBasicInformation queryRegion(const AddressSpace& space, VirtualAddress address) {
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
    auto stateOf = [&](Pte pte) {
        return pte.isCommitted() ? std::pair{mem::kCommit, pte.protection().toWin32()}
                                 : std::pair{mem::kReserve, 0u};
    };
    const auto first = stateOf(space.tables().pteAt(page));
    const bool reserved = first.first == mem::kReserve;
    // The run ends at the first page in another state, up to the allocation's end. Pages
    // whose leaf table is missing (skipped by the walk) are reserved.
    std::optional<VirtualAddress> runEnd;
    VirtualAddress unseen = page + kPageSize;
    space.tables().forEachLeaf(unseen, vad->end(),
                               [&](VirtualAddress va, PhysicalAddress, Pte pte) {
                                   if (va != unseen && !reserved)
                                       runEnd = unseen;
                                   else if (stateOf(pte) != first)
                                       runEnd = va;
                                   unseen = va + kPageSize;
                                   return !runEnd;
                               });
    if (!runEnd)
        runEnd = reserved ? vad->end() : unseen;
    info.regionSize = *runEnd - page;
    info.state = first.first;
    info.protect = first.second;
    return info;
}

}  // namespace ntoy::mm
