#include "kernel/mm/MemoryManager.h"

#include <algorithm>

#include "kernel/ke/BugCheck.h"
#include "kernel/mm/AddressSpace.h"

namespace ntoy::mm {
namespace {

Pfn allocateRoot(PfnDatabase& pfns) {
    // The very first frame of an empty database: cannot fail.
    return *pfns.allocateZeroed(PageUse::PageTable);
}

}  // namespace

MemoryManager::MemoryManager(hal::PhysicalMemory ram, hal::Mmu& systemMmu)
    : pfns_(ram),
      commit_(ram.frameCount(), 1),  // the master PML4, charged from the start
      systemTables_(pfns_, commit_, allocateRoot(pfns_)),
      systemMmu_(systemMmu) {}

std::optional<Pfn> MemoryManager::mapSystemPage(VirtualAddress va, MmProtection prot) {
    auto charge = commit_.charge(1);
    if (!charge)
        return std::nullopt;
    auto pte = systemTables_.ensurePte(va);
    auto frame = pte ? pfns_.allocateZeroed(PageUse::Kernel) : std::nullopt;
    if (!frame)
        return std::nullopt;
    charge->keep();
    pfns_.entry(*frame).pteAddress = *pte;
    systemTables_.write(*pte, Pte::valid(*frame, prot, false));
    systemMmu_.mapped(va, *frame);
    return frame;
}

void MemoryManager::unmapSystemPage(VirtualAddress va) {
    const auto at = systemTables_.findPte(va);
    const Pte pte = at ? systemTables_.read(*at) : Pte();
    // Unmapping a page that is not mapped is a kernel bug.
    NTOY_ASSERT(pte.isValid(), ke::BugCheckCode::MemoryManagement, va.value(), 0, 0, 0);
    systemTables_.write(*at, Pte());
    systemMmu_.unmapped(va);
    pfns_.release(pte.pfn());
    commit_.release(1);
}

void MemoryManager::keepValidPageHeadroom() {
    // Trim when fewer than kLow more pages may become valid, until kHigh may, a batch at a time
    // from whichever working set is largest then.
    constexpr std::uint64_t kLow = 32, kHigh = 256, kBatch = 64;
    if (systemMmu_.validPageHeadroom() >= kLow)
        return;
    while (systemMmu_.validPageHeadroom() < kHigh) {
        auto largest = std::ranges::max_element(
            spaces_, {}, [](const AddressSpace* s) { return s->workingSet().size(); });
        if (largest == spaces_.end() || (*largest)->workingSet().size() == 0)
            return;
        trimmedPages_ += (*largest)->trim(kBatch);
    }
}

}  // namespace ntoy::mm
