// What the kernel tells the machine's MMU when it edits page tables. The CPU walks the
// tables itself; these calls keep whatever the emulator caches in step with them.
#pragma once

#include "kernel/base/Types.h"

namespace ntoy::hal {

class Mmu {
public:
    virtual ~Mmu() = default;

    // A PTE for `va` became valid and names `pfn`. Called before the guest can use it.
    virtual void mapped(VirtualAddress va, Pfn pfn) = 0;
    // `count` consecutive valid PTEs from `va` name consecutive frames from `pfn`.
    virtual void mappedRun(VirtualAddress va, Pfn pfn, std::uint64_t count) {
        for (std::uint64_t i = 0; i < count; ++i)
            mapped(va + i * kPageSize, pfn + i);
    }
    // The valid PTE for `va` was invalidated or re-pointed. `wasExecutable` says whether
    // code may have been translated from it. The TLB is stale until flushTlb().
    virtual void unmapped(VirtualAddress va, bool wasExecutable) = 0;
    // A valid PTE lost rights (write or execute) but keeps its frame.
    virtual void downgraded(VirtualAddress va) = 0;
    // Bytes in [va, va+length) changed behind the CPU's back (a debugger's write): code
    // translated from them is stale.
    virtual void codeModified(VirtualAddress va, std::uint64_t length) = 0;
    // Make every earlier unmapped/downgraded change visible to the CPU. Cheap when nothing
    // is pending, so callers flush at the end of every kernel entry.
    virtual void flushTlb() = 0;
};

}  // namespace ntoy::hal
