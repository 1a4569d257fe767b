#include "emulator/SystemMmu.h"

#include "emulator/Engine.h"

namespace ntoy::emu {

// System pages outside the kernel window are reached only by the host kernel, through its
// direct view of RAM, so they need no alias.
void SystemMmu::mapped(VirtualAddress va, Pfn pfn) {
    if (kernelWindow_.contains(va))
        kernelWindow_.alias(va, pfn);
}

void SystemMmu::unmapped(VirtualAddress va) {
    if (kernelWindow_.contains(va))
        kernelWindow_.unalias(va);
    // Any engine may have translated code from a system page.
    codeModified(va.pageBase(), kPageSize);
    staleEverywhere();
}

void SystemMmu::downgraded(VirtualAddress) {
    staleEverywhere();
}

void SystemMmu::codeModified(VirtualAddress va, std::uint64_t length) {
    for (Engine* e : engines_)
        e->codeModified(va, length);
}

void SystemMmu::flushTlb() {
    for (Engine* e : engines_)
        e->flushTlb();
}

void SystemMmu::staleEverywhere() {
    for (Engine* e : engines_)
        e->invalidateSystemTranslations();
}

}  // namespace ntoy::emu
