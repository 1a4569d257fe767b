// One address space's 4-level page tables, stored in guest-physical frames where the CPU
// walks them. Tables are created on demand, charged to commit, counted in their PFN entry
// (entries in use) and freed when they empty.
#pragma once

#include <array>
#include <optional>

#include "kernel/hal/Mmu.h"
#include "kernel/mm/CommitCharge.h"
#include "kernel/mm/PfnDatabase.h"
#include "kernel/mm/Pte.h"

namespace ntoy::mm {

class PageTables {
public:
    // A new, empty top-level table (PML4). Empty if no frame or commit is left.
    static std::optional<PageTables> create(PfnDatabase& pfns, CommitCharge& commit);
    PageTables(PfnDatabase& pfns, CommitCharge& commit, Pfn root)
        : pfns_(&pfns), commit_(&commit), root_(root) {}

    Pfn root() const { return root_; }
    const hal::PhysicalMemory& memory() const { return pfns_->memory(); }

    // One level of a walk: the table's frame, the index into it, and the entry found.
    struct Level {
        Pfn table;
        unsigned index;
        Pte entry;
        PhysicalAddress entryAddress() const { return table.address() + index * 8ull; }
    };
    // The walk the CPU would do, PML4 first; levels past a non-present entry are absent.
    struct Walk {
        std::array<std::optional<Level>, 4> levels;
    };
    Walk walk(VirtualAddress va) const;

    // The leaf PTE's address, or empty if a table on the way is missing.
    std::optional<PhysicalAddress> findPte(VirtualAddress va) const;
    // The leaf PTE's address, creating missing tables; empty if frames or commit ran out.
    std::optional<PhysicalAddress> ensurePte(VirtualAddress va);
    // The leaf entry, zero where a table is missing.
    Pte pteAt(VirtualAddress va) const;
    // Where the next page-table-covered range starts if `va`'s leaf table is missing: lets
    // callers skip large unmapped stretches. Returns va's page itself if the table exists.
    VirtualAddress nextPossiblyMapped(VirtualAddress va) const;

    Pte read(PhysicalAddress pteAddress) const {
        return Pte(memory().read<std::uint64_t>(pteAddress));
    }
    // Writes a leaf entry and keeps its table's count of entries in use.
    void write(PhysicalAddress pteAddress, Pte pte);
    // Frees the tables on `va`'s path that hold no entries any more.
    void pruneEmptyTables(VirtualAddress va);
    // Frees every table below the root for the user half and the root itself. The leaves
    // must hold no frames any more.
    void destroy();

    // Copies the system half (entries 256-511) of another root, so that all address spaces
    // share system space.
    void shareSystemHalf(const PageTables& master);

private:
    std::optional<Pfn> newTable(PhysicalAddress parentEntry, bool user);
    void freeTable(Pfn table, PhysicalAddress parentEntry);
    void destroyLevel(Pfn table, int level, unsigned firstIndex, unsigned endIndex);

    PfnDatabase* pfns_;
    CommitCharge* commit_;
    Pfn root_;
};

}  // namespace ntoy::mm
