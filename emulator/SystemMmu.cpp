#include "emulator/SystemMmu.h"

#include "emulator/Engine.h"

#include <fmt/format.h>

namespace ntoy::emu {

// Every system page the kernel maps lies in a region, so in a window.
void SystemMmu::mapped(VirtualAddress va, Pfn pfn) {
    // The kernel keeps validPageHeadroom() above zero, so only the host itself can refuse.
    if (AliasWindow* w = windowOf(va); w && !w->alias(va, pfn)) {
        // The CPU must not reach the page through a stale alias: every engine stops now.
        failure_ = fmt::format(
            "the host refused to map system page {:#x} ({} of {} host-mapping fragments in use)",
            va.value(), budget_.fragments(), budget_.limit());
        for (Engine* e : engines_)
            e->failMachine(*failure_);
    }
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
