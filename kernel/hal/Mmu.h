// What the kernel tells the machine's MMU when it edits page tables. The CPU walks the
// tables itself; these calls keep whatever the emulator caches in step with them. None of
// them has to come before or after the table write it announces: the machine reads the
// tables itself where it needs to.
#pragma once

#include <optional>

#include "kernel/base/Types.h"

namespace ntoy::hal {

class Mmu {
public:
    virtual ~Mmu() = default;

    // A PTE for `va` became valid and names `pfn`. Called before the guest can use it.
    virtual void mapped(VirtualAddress va, Pfn pfn) = 0;
    // The PTE for `va` lost its frame (invalidated or re-pointed). The TLB is stale until
    // flushTlb().
    virtual void unmapped(VirtualAddress va) = 0;
    // A valid PTE lost rights (write or execute) but keeps its frame.
    virtual void downgraded(VirtualAddress va) = 0;
    // The bytes of [va, va+length) changed behind the CPU's back: code translated from them
    // must not run again.
    virtual void codeModified(VirtualAddress va, std::uint64_t length) = 0;
    // Make every earlier unmapped/downgraded change visible to the CPU before the guest runs
    // again. Cheap when nothing is pending.
    virtual void flushTlb() = 0;

    // How many more pages may become valid, each at a new place, before the machine runs out
    // of what backs valid pages (host mappings, for the emulator). The kernel keeps it above
    // zero by trimming working sets. Machine-wide: the system MMU answers it.
    virtual std::uint64_t validPageHeadroom() const { return ~0ull; }

    // The frame the CPU reaches at `va`'s page through this MMU's own mapping: what the last
    // mapped() for that page named, or nothing once it was unmapped(). The invariant checker
    // holds it against the page tables.
    virtual std::optional<Pfn> shownFrame(VirtualAddress va) const = 0;
};

}  // namespace ntoy::hal
