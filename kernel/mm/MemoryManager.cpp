#include "kernel/mm/MemoryManager.h"

namespace ntoy::mm {
namespace {

Pfn allocateRoot(PfnDatabase& pfns) {
    // The very first frame of an empty database: cannot fail.
    return *pfns.allocateZeroed(PageUse::PageTable);
}

}  // namespace

MemoryManager::MemoryManager(hal::PhysicalMemory ram, hal::Mmu& systemMmu)
    : pfns_(ram),
      commit_(ram.frameCount()),
      systemTables_(pfns_, commit_, allocateRoot(pfns_)),
      systemMmu_(systemMmu) {
    (void)commit_.tryCharge(1);  // the master PML4
}

std::optional<Pfn> MemoryManager::mapSystemPage(VirtualAddress va, MmProtection prot) {
    if (!commit_.tryCharge(1))
        return std::nullopt;
    auto pte = systemTables_.ensurePte(va);
    auto frame = pte ? pfns_.allocateZeroed(PageUse::Kernel) : std::nullopt;
    if (!frame) {
        commit_.release(1);
        return std::nullopt;
    }
    pfns_.entry(*frame).pteAddress = *pte;
    systemTables_.write(*pte, Pte::valid(*frame, prot, false));
    systemMmu_.mapped(va, *frame);
    return frame;
}

}  // namespace ntoy::mm
