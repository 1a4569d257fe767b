// One address space's 4-level page tables, stored in guest-physical frames where the CPU
// walks them. Tables are created on demand, charged to commit, counted in their PFN entry
// (entries in use, entries holding a frame) and freed when they empty.
//
// Leaf tables of the user half are pageable, as on Windows: one whose entries hold no frame
// can leave (AddressSpace::trimPageTables), and its PDE then holds a transition or pagefile
// entry instead of a valid one. Every walk below brings such a table back through the
// address space's TableResidency before it reads through it, so callers see entries as if
// the table had never left, except walk() and peekPte(), which look without changing
// anything (the debugger's view). A table that cannot be read back is Windows' bug check
// KERNEL_DATA_INPAGE_ERROR: the fault handler brings the faulting page's table back itself
// first, so that a user access gets STATUS_IN_PAGE_ERROR instead.
#pragma once

#include <algorithm>
#include <array>
#include <optional>

#include "kernel/hal/Mmu.h"
#include "kernel/mm/CommitCharge.h"
#include "kernel/mm/PfnDatabase.h"
#include "kernel/mm/Pte.h"

namespace ntoy::mm {

// What a walk throws where it would bring a paged-out table back while the memory manager
// is only being looked at (MemoryManager::LookOnly): a debugger command must not page.
struct TableNotResident {
    PhysicalAddress pdeAddress;
};

// Who brings a paged-out leaf table back: the address space that owns the tables.
class TableResidency {
public:
    // Makes the table the non-valid PDE at `pdeAddress` names valid again; false if its
    // contents could not be read back.
    virtual bool makeTableResident(PhysicalAddress pdeAddress) = 0;
    // True while the memory manager is only being looked at (MemoryManager::LookOnly): a walk
    // then reads a table in transition in its frame and throws TableNotResident for one in the
    // paging file, bringing nothing back.
    virtual bool onlyLooking() const = 0;

protected:
    ~TableResidency() = default;
};

class PageTables {
public:
    // A new, empty top-level table (PML4). Empty if no frame or commit is left.
    static std::optional<PageTables> create(PfnDatabase& pfns, CommitCharge& commit);
    PageTables(PfnDatabase& pfns, CommitCharge& commit, Pfn root)
        : pfns_(&pfns), commit_(&commit), root_(root) {}

    Pfn root() const { return root_; }
    // Lets leaf tables of the user half be paged out, with `residency` bringing them back.
    void setResidency(TableResidency* residency) { residency_ = residency; }
    // A PDE whose table is paged out: not valid, not zero.
    static bool pagedOut(Pte pde) { return !pde.isValid() && !pde.isZero(); }
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
    // The address of the PDE that maps `va`'s leaf table, or empty if a table above is
    // missing. Brings nothing back.
    std::optional<PhysicalAddress> findPde(VirtualAddress va) const;
    // The leaf entry as it is, bringing nothing back: empty if its table is paged out, zero
    // where a table is missing.
    std::optional<Pte> peekPte(VirtualAddress va) const;
    // Calls visit(pdeAddress, pde, firstVa) for every PDE of the user half that names a leaf
    // table, resident or not.
    template <typename Visit>
    void forEachLeafTable(Visit&& visit) const;
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
    // the first page that is not usable, whose table is paged out (it is not brought back: a
    // page there holds no frame), or where the range wraps.
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
    // The entry at `at`, a PDE whose table is brought back first if it was paged out.
    Pte residentEntry(PhysicalAddress at) const;
    std::optional<Pfn> newTable(PhysicalAddress parentEntry, bool user);
    void freeTable(Pfn table, PhysicalAddress parentEntry);
    void destroyLevel(Pfn table, int level, unsigned firstIndex, unsigned endIndex);

    PfnDatabase* pfns_;
    CommitCharge* commit_;
    Pfn root_;
    TableResidency* residency_ = nullptr;
};

template <typename Visit>
void PageTables::forEachLeafTable(Visit&& visit) const {
    for (unsigned i4 = 0; i4 < 256; ++i4) {
        const Pte e4 = read(root_.address() + i4 * 8ull);
        if (!e4.isValid())
            continue;
        for (unsigned i3 = 0; i3 < 512; ++i3) {
            const Pte e3 = read(e4.pfn().address() + i3 * 8ull);
            if (!e3.isValid())
                continue;
            for (unsigned i2 = 0; i2 < 512; ++i2) {
                const PhysicalAddress at = e3.pfn().address() + i2 * 8ull;
                const Pte e2 = read(at);
                if (!e2.isZero())
                    visit(at, e2,
                          VirtualAddress((std::uint64_t{i4} << 39) | (std::uint64_t{i3} << 30) |
                                         (std::uint64_t{i2} << 21)));
            }
        }
    }
}

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
        const auto entry = peekPte(at);
        if (!entry || !usable(*entry))
            break;
        const std::uint64_t n = std::min(size - done, kPageSize - at.pageOffset());
        piece(memory().at(entry->pfn().address() + at.pageOffset()), done, n, *entry);
        done += n;
    }
    return done;
}

}  // namespace ntoy::mm
