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
    // The PTE for `va` lost its frame (invalidated or re-pointed). `wasExecutable` says
    // whether code may have been translated from it (codeModified() has dropped that code
    // already). The TLB is stale until flushTlb().
    virtual void unmapped(VirtualAddress va, bool wasExecutable) = 0;
    // A valid PTE lost rights (write or execute) but keeps its frame.
    virtual void downgraded(VirtualAddress va) = 0;
    // Code translated from [va, va+length) must go: its bytes changed behind the CPU's back,
    // or its valid, executable PTE is about to change. Called while those pages are still
    // valid and executable, so that the machine can find what it translated from them.
    virtual void codeModified(VirtualAddress va, std::uint64_t length) = 0;
    // Make every earlier unmapped/downgraded change visible to the CPU. Cheap when nothing
    // is pending, so callers flush at the end of every kernel entry.
    virtual void flushTlb() = 0;
};

}  // namespace ntoy::hal
