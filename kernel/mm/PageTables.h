// One address space's 4-level page tables, stored in guest-physical frames where the CPU
// walks them. Tables are created on demand, charged to commit, counted in their PFN entry
// (entries in use) and freed when they empty.
#pragma once

#include <algorithm>
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

    // The one walk over the leaf entries of [start, end), in address order: calls
    // visit(va, entryAddress, entry) for each page whose leaf table exists, and skips the span
    // of a missing table at once (its pages are all zero). `visit` returns false to stop; it
    // may rewrite the entries it is given, but must not create or free tables.
    template <typename Visit>
    void forEachLeaf(VirtualAddress start, VirtualAddress end, Visit&& visit) const;

    // The one copy loop between host memory and a virtual range: calls
    // piece(host, offset, length, entry) for each page's part of [va, va + size), in order,
    // while usable(entry) holds for the page's leaf entry. Returns the bytes covered: short at
    // the first page that is not usable (or where the range wraps).
    template <typename Usable, typename Piece>
    std::uint64_t forEachPiece(VirtualAddress va, std::uint64_t size, Usable&& usable,
                               Piece&& piece) const;

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

template <typename Visit>
void PageTables::forEachLeaf(VirtualAddress start, VirtualAddress end, Visit&& visit) const {
    constexpr std::uint64_t kLeafSpan = 1ull << 21;  // one leaf table maps 2 MiB
    for (VirtualAddress va = start.pageBase(); va < end;) {
        const VirtualAddress next = nextPossiblyMapped(va);
        if (next != va) {
            va = next;
            continue;
        }
        const PhysicalAddress first = *findPte(va);
        const VirtualAddress tableLimit(alignDown(va.value(), kLeafSpan) + kLeafSpan);
        const VirtualAddress tableEnd = tableLimit < va ? end : std::min(end, tableLimit);
        for (PhysicalAddress at = first; va < tableEnd; va = va + kPageSize, at = at + 8) {
            if (!visit(va, at, read(at)))
                return;
        }
    }
}

template <typename Usable, typename Piece>
std::uint64_t PageTables::forEachPiece(VirtualAddress va, std::uint64_t size, Usable&& usable,
                                       Piece&& piece) const {
    std::uint64_t done = 0;
    while (done < size) {
        const VirtualAddress at = va + done;
        if (at < va)
            break;  // wrapped
        const Pte entry = pteAt(at);
        if (!usable(entry))
            break;
        const std::uint64_t n = std::min(size - done, kPageSize - at.pageOffset());
        piece(memory().at(entry.pfn().address() + at.pageOffset()), done, n, entry);
        done += n;
    }
    return done;
}

}  // namespace ntoy::mm
