#include "emulator/SystemMmu.h"

#include "emulator/Engine.h"

namespace ntoy::emu {

// Every system page the kernel maps lies in a region, so in a window.
void SystemMmu::mapped(VirtualAddress va, Pfn pfn) {
    if (AliasWindow* w = windowOf(va))
        w->alias(va, pfn);
}

void SystemMmu::unmapped(VirtualAddress va) {
    if (AliasWindow* w = windowOf(va))
        w->unalias(va);
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
