#include "kernel/mm/RegionQuery.h"

#include <algorithm>
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
    VirtualAddress va = page + kPageSize;
    while (va < vad->end()) {
        const VirtualAddress next = space.tables().nextPossiblyMapped(va);
        if (next != va.pageBase()) {  // no table: a run of uncommitted pages
            if (first.first != mem::kReserve)
                break;
            va = std::min(next, vad->end());
            continue;
        }
        if (stateOf(space.tables().pteAt(va)) != first)
            break;
        va = va + kPageSize;
    }
    info.regionSize = va - page;
    info.state = first.first;
    info.protect = first.second;
    return info;
}

}  // namespace ntoy::mm
