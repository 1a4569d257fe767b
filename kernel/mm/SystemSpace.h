// System space past the kernel window: the system VA allocator of each region, the pages the
// pools are made of, and the system working set, which holds paged pool's resident pages.
//
// Invariants, as for a process's pages:
//   - every page allocate() mapped is charged to commit once and has a frame or a slot;
//   - a paged page is in the system working set exactly while its PTE is valid; a nonpaged
//     page is always valid and in no working set, so it is never trimmed;
//   - every valid PTE was announced to the system MMU (so it has its host alias, and the CPU
//     reaches it at CPL0); every invalidation makes each engine's TLB stale.
//
// The kernel (host code) reaches system memory through access(), which does what a kernel-
// mode fault would: a paged page out of the working set comes back (soft or hard), and an
// address nothing maps is the bug check PAGE_FAULT_IN_NONPAGED_AREA. A page access() returned
// stays pinned in the working set until unpinAll(), so that bringing a second page back cannot
// trim the first under a host pointer.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "kernel/mm/FreeRanges.h"
#include "kernel/mm/PageFault.h"
#include "kernel/mm/Protection.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/mm/WorkingSet.h"

namespace ntoy::mm {

class MemoryManager;

class SystemSpace {
public:
    explicit SystemSpace(MemoryManager& mm);
    SystemSpace(const SystemSpace&) = delete;
    SystemSpace& operator=(const SystemSpace&) = delete;

    // Reserves `pages` of `region`'s addresses, within [low, high) if given, and maps each a
    // fresh zeroed frame, supervisor only, with `prot`. Pageable pages join the system working
    // set; the others are never trimmed. Empty, with nothing changed, if addresses, commit or
    // frames ran out.
    std::optional<VirtualAddress> allocate(SystemRegion region, std::uint64_t pages, bool pageable,
                                           MmProtection prot, std::uint64_t low = 0,
                                           std::uint64_t high = ~0ull);
    // Gives back pages allocate() mapped: frames or slots, commit and addresses.
    void free(VirtualAddress va, std::uint64_t pages);

    // The host's view of the byte at `va`, through the system page tables: its page is brought
    // back first if it was paged out, and pinned (see above). A write marks the page changed.
    // An address allocate() did not map is PAGE_FAULT_IN_NONPAGED_AREA; a page the paging
    // file cannot give back is KERNEL_DATA_INPAGE_ERROR.
    std::byte* access(VirtualAddress va, bool write);
    // Ends access()'s pin on `va`'s page, or on every page.
    void unpin(VirtualAddress va);
    void unpinAll();

    // A page fault taken at CPL0 on a system address: a paged page comes back and the access
    // is retried (outcome resolved); otherwise it bug checks, as above, with the faulting
    // instruction's address.
    PageFaultOutcome handleKernelFault(VirtualAddress va, std::uint32_t errorCode,
                                       std::uint64_t rip);

    // The balance set manager's side: up to `count` paged pages leave the working set (clock
    // order, Accessed-bit aging), their frames to the Modified or Standby list.
    std::uint64_t trim(std::uint64_t count);
    const WorkingSet& workingSet() const { return workingSet_; }
    // Pages mapped in each region (pool pages and others alike), and which of them are paged.
    std::uint64_t pages(SystemRegion r) const { return pages_[static_cast<std::size_t>(r)]; }
    std::uint64_t pagedPages() const { return pagedPages_; }
    bool isPageable(VirtualAddress va) const;

    // What the regions past the kernel window hold now, with the leaf tables that map them:
    // what the pools may keep across a process's life (the leak check leaves it out).
    struct Census {
        std::uint64_t pages = 0;   // committed: each charged to commit
        std::uint64_t frames = 0;  // pages holding a frame (valid or transition)
        std::uint64_t valid = 0;   // of them, valid (Active frames)
        std::uint64_t tables = 0;  // leaf tables, each a frame charged to commit
    };
    Census census() const;

private:
    // Makes the paged page at `at` valid again from its transition or pagefile entry; false
    // if the paging file could not give it back.
    bool bringBack(VirtualAddress va, PhysicalAddress at, Pte pte, PageFaultOutcome& o);
    void addToWorkingSet(VirtualAddress va, Pfn pfn);
    [[noreturn]] void notMapped(VirtualAddress va, bool write, bool execute, std::uint64_t rip);

    MemoryManager& mm_;
    std::vector<FreeRanges> free_;  // per region
    std::uint64_t pages_[kSystemRegionCount] = {};
    std::uint64_t pagedPages_ = 0;
    WorkingSet workingSet_;
    std::vector<std::uint32_t> pinned_;
    std::pair<std::uint64_t, std::uint64_t> lastSpurious_{};  // (page, rip) of the last one
};

}  // namespace ntoy::mm
