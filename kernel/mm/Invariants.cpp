#include "kernel/mm/Invariants.h"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <expected>
#include <unordered_set>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::mm {
namespace {

constexpr unsigned kEntries = 512;
// The CPU sets Accessed and Dirty itself; every other bit of a valid PTE is the kernel's.
constexpr std::uint64_t kHardwareBits =
    static_cast<std::uint64_t>(PteBit::Accessed) | static_cast<std::uint64_t>(PteBit::Dirty);

std::uint64_t vaOf(unsigned pml4, unsigned pdpt, unsigned pd, unsigned pt) {
    return (std::uint64_t{pml4} << 39) | (std::uint64_t{pdpt} << 30) | (std::uint64_t{pd} << 21) |
           (std::uint64_t{pt} << 12);
}

Pte entryAt(const hal::PhysicalMemory& ram, Pfn table, unsigned i) {
    return Pte(ram.read<std::uint64_t>(table.address() + i * 8ull));
}

std::optional<std::string> checkTableFrame(const PfnDatabase& pfns, Pfn table,
                                           std::uint32_t nonZero, std::uint32_t framed,
                                           std::string_view where) {
    if (nonZero == 0 && where != "PML4")
        return fmt::format("{}: table frame {:#x} is empty but was not freed", where,
                           table.value());
    if (!pfns.contains(table))
        return fmt::format("{}: table frame {:#x} is not RAM", where, table.value());
    const auto& e = pfns.entry(table);
    if (e.state != PageState::Active || e.use != PageUse::PageTable)
        return fmt::format("{}: table frame {:#x} is {} / {}, not an active page table", where,
                           table.value(), pageStateName(e.state), pageUseName(e.use));
    if (e.usedEntries != nonZero)
        return fmt::format("{}: table frame {:#x} counts {} entries in use but holds {}", where,
                           table.value(), e.usedEntries, nonZero);
    if (e.framedEntries != framed)
        return fmt::format("{}: table frame {:#x} counts {} entries with frames but holds {}",
                           where, table.value(), e.framedEntries, framed);
    return std::nullopt;
}

std::uint32_t nonZeroEntries(const hal::PhysicalMemory& ram, Pfn table) {
    std::uint32_t n = 0;
    for (unsigned i = 0; i < kEntries; ++i)
        n += !entryAt(ram, table, i).isZero();
    return n;
}

std::uint32_t framedEntries(const hal::PhysicalMemory& ram, Pfn table) {
    std::uint32_t n = 0;
    for (unsigned i = 0; i < kEntries; ++i)
        n += entryAt(ram, table, i).hasFrame();
    return n;
}

// The leaf table a PDE that is not valid names, wherever it is; an error if the PDE or the
// table's frame is not as paging a table out leaves them.
std::expected<std::array<std::uint64_t, kEntries>, std::string> pagedOutTable(
    const MemoryManager& mm, PhysicalAddress pdeAt, Pte pde) {
    std::array<std::uint64_t, kEntries> entries{};
    const auto& pfns = mm.pfns();
    if (pde.isTransition()) {
        const Pfn table = pde.pfn();
        if (!pfns.contains(table))
            return std::unexpected(fmt::format("PDE {:#x} names frame {:#x}, which is not RAM",
                                               pde.raw(), table.value()));
        const auto& e = pfns.entry(table);
        if ((e.state != PageState::Modified && e.state != PageState::Standby) ||
            e.use != PageUse::PageTable || e.pteAddress != pdeAt)
            return std::unexpected(fmt::format(
                "paged-out table frame {:#x} is {} / {} owned by {:#x}, not a table on a "
                "transition list owned by its PDE at {:#x}",
                table.value(), pageStateName(e.state), pageUseName(e.use), e.pteAddress.value(),
                pdeAt.value()));
        std::memcpy(entries.data(), pfns.memory().frame(table).data(), kPageSize);
        return entries;
    }
    const PagingFile* file = mm.pagingFile();
    if (!pde.isPagefile() || !file || !file->inUse(pde.pagefileSlot()))
        return std::unexpected(fmt::format(
            "PDE at {:#x} is {:#x}: not valid, and not a table in transition or in the paging "
            "file",
            pdeAt.value(), pde.raw()));
    if (!file->peek(pde.pagefileSlot(), std::as_writable_bytes(std::span(entries))))
        return std::unexpected(
            fmt::format("paging-file slot {:#x} of the table of PDE {:#x} "
                        "cannot be read",
                        pde.pagefileSlot(), pdeAt.value()));
    return entries;
}

// Leaf-level checks for one PTE of a user address space.
std::optional<std::string> checkLeaf(const MemoryManager& mm, const AddressSpace& space,
                                     VirtualAddress va, PhysicalAddress at, Pte pte,
                                     std::unordered_set<std::uint64_t>& frames) {
    const auto& pfns = mm.pfns();
    if (pte.isZero())
        return std::nullopt;
    if (!pte.isCommitted())
        return fmt::format("PTE of {:#x} is {:#x}: not zero but holds no protection", va.value(),
                           pte.raw());
    if (!space.vads().find(va))
        return fmt::format("committed page {:#x} (PTE {:#x}) lies in no allocation", va.value(),
                           pte.raw());
    if (!pte.hasFrame()) {
        if (pte.isPagefile()) {
            const PagingFile* file = mm.pagingFile();
            if (!file || !file->inUse(pte.pagefileSlot()))
                return fmt::format(
                    "PTE of {:#x} is {:#x}: names paging-file slot {:#x}, which "
                    "holds nothing",
                    va.value(), pte.raw(), pte.pagefileSlot());
            return std::nullopt;
        }
        if (!pte.isDemandZero())
            return fmt::format("PTE of {:#x} is {:#x}: committed, no frame, not demand-zero",
                               va.value(), pte.raw());
        return std::nullopt;
    }
    const Pfn frame = pte.pfn();
    if (!pfns.contains(frame))
        return fmt::format("PTE of {:#x} names frame {:#x}, which is not RAM", va.value(),
                           frame.value());
    if (!frames.insert(frame.value()).second)
        return fmt::format("frame {:#x} is named by two PTEs (one at {:#x})", frame.value(),
                           va.value());
    const auto& e = pfns.entry(frame);
    // Valid: Active and in the working set at its slot. Transition: on a transition list.
    // (A transition page's frame an MDL holds stays Active until its last unlock.)
    const bool stateFits = pte.isValid()
                               ? e.state == PageState::Active
                               : e.state == PageState::Modified || e.state == PageState::Standby ||
                                     (e.state == PageState::Active && e.ioLocks != 0);
    if (!stateFits || (e.use != PageUse::UserPrivate && e.use != PageUse::UserImage))
        return fmt::format(
            "frame {:#x} of page {:#x} ({} PTE) is {} / {}, not a user frame in "
            "that state",
            frame.value(), va.value(), pte.isValid() ? "valid" : "transition",
            pageStateName(e.state), pageUseName(e.use));
    if (e.pteAddress != at)
        return fmt::format("frame {:#x} of page {:#x} says its PTE is at {:#x}, not {:#x}",
                           frame.value(), va.value(), e.pteAddress.value(), at.value());
    if (pte.isValid()) {
        const auto prot = pte.validProtection();
        if (prot.isNoAccess() || prot.isGuard())
            return fmt::format("page {:#x} is valid with inaccessible protection {:#x}", va.value(),
                               prot.bits());
        if ((pte.raw() & ~kHardwareBits) != Pte::valid(frame, prot, true).raw())
            return fmt::format("valid PTE of {:#x} is {:#x}, want {:#x}", va.value(), pte.raw(),
                               Pte::valid(frame, prot, true).raw());
        const auto shown = space.mmu().shownFrame(va);
        if (!shown || *shown != frame)
            return fmt::format(
                "valid page {:#x} (frame {:#x}) was not announced to the MMU (it shows {})",
                va.value(), frame.value(),
                shown ? fmt::format("{:#x}", shown->value()) : std::string("nothing"));
    }
    if (pte.isValid() != (e.wsIndex != PfnEntry::kNone) ||
        (pte.isValid() && space.workingSet().at(e.wsIndex) != va))
        return fmt::format("page {:#x} ({} PTE) has working-set slot {:#x}", va.value(),
                           pte.isValid() ? "valid" : "transition", e.wsIndex);
    return std::nullopt;
}

// A valid user PTE naming a kernel frame: only a system page (Vad::systemPage) may, read-only,
// no-execute, announced to the MMU. Its frame is the system's, so it counts in no census here.
std::optional<std::string> checkSystemPage(const AddressSpace& space, VirtualAddress va, Pte pte) {
    const Vad* vad = space.vads().find(va);
    if (!vad || !vad->systemPage)
        return fmt::format("page {:#x} maps kernel frame {:#x} outside a system page", va.value(),
                           pte.pfn().value());
    const Pte want = Pte::valid(pte.pfn(), *MmProtection::fromWin32(page::kReadOnly), true);
    if ((pte.raw() & ~kHardwareBits) != want.raw())
        return fmt::format("system page {:#x} has PTE {:#x}, want {:#x}", va.value(), pte.raw(),
                           want.raw());
    const auto shown = space.mmu().shownFrame(va);
    if (!shown || *shown != pte.pfn())
        return fmt::format("system page {:#x} (frame {:#x}) was not announced to the MMU",
                           va.value(), pte.pfn().value());
    return std::nullopt;
}

bool isKernelFrame(const PfnDatabase& pfns, Pte pte) {
    return pte.isValid() && pfns.contains(pte.pfn()) &&
           pfns.entry(pte.pfn()).use == PageUse::Kernel &&
           pfns.entry(pte.pfn()).state == PageState::Active;
}

}  // namespace

std::optional<std::string> checkAddressSpace(const MemoryManager& mm, const AddressSpace& space,
                                             UserHalfCensus* census) {
    const auto& ram = mm.pfns().memory();
    const auto& pfns = mm.pfns();
    const Pfn root = space.tables().root();
    UserHalfCensus c;
    std::unordered_set<std::uint64_t> frames;
    {
        std::uint32_t nonZero = 0;
        for (unsigned i = 0; i < kEntries; ++i)
            nonZero += !entryAt(ram, root, i).isZero();
        if (auto bad = checkTableFrame(pfns, root, nonZero, framedEntries(ram, root), "PML4"))
            return bad;
    }
    for (unsigned i4 = 0; i4 < kEntries / 2; ++i4) {
        const Pte e4 = entryAt(ram, root, i4);
        if (e4.isZero())
            continue;
        if (!e4.isValid())
            return fmt::format("PML4 entry {} is {:#x}: not zero and not present", i4, e4.raw());
        const Pfn pdpt = e4.pfn();
        ++c.tables;
        if (auto bad = checkTableFrame(pfns, pdpt, nonZeroEntries(ram, pdpt),
                                       framedEntries(ram, pdpt), "PDPT"))
            return bad;
        for (unsigned i3 = 0; i3 < kEntries; ++i3) {
            const Pte e3 = entryAt(ram, pdpt, i3);
            if (e3.isZero())
                continue;
            const Pfn pd = e3.pfn();
            ++c.tables;
            if (auto bad = checkTableFrame(pfns, pd, nonZeroEntries(ram, pd),
                                           framedEntries(ram, pd), "PD"))
                return bad;
            for (unsigned i2 = 0; i2 < kEntries; ++i2) {
                const Pte e2 = entryAt(ram, pd, i2);
                if (e2.isZero())
                    continue;
                std::array<std::uint64_t, kEntries> pagedOut{};
                const bool resident = e2.isValid();
                if (resident) {
                    const Pfn pt = e2.pfn();
                    ++c.tables;
                    if (auto bad = checkTableFrame(pfns, pt, nonZeroEntries(ram, pt),
                                                   framedEntries(ram, pt), "PT"))
                        return bad;
                } else {
                    const PhysicalAddress pdeAt = pd.address() + i2 * 8ull;
                    auto table = pagedOutTable(mm, pdeAt, e2);
                    if (!table)
                        return table.error();
                    pagedOut = *table;
                    if (e2.isTransition()) {
                        ++c.tables;
                    } else {
                        ++c.pagedOutTables;
                        c.pagefileSlots.push_back(e2.pagefileSlot());
                    }
                }
                for (unsigned i1 = 0; i1 < kEntries; ++i1) {
                    const PhysicalAddress at =
                        resident ? e2.pfn().address() + i1 * 8ull : PhysicalAddress();
                    const Pte pte(resident ? ram.read<std::uint64_t>(at) : pagedOut[i1]);
                    const VirtualAddress va(vaOf(i4, i3, i2, i1));
                    if (!resident && pte.hasFrame())
                        return fmt::format(
                            "paged-out table of PDE {:#x} holds PTE {:#x} of {:#x}, "
                            "which names a frame",
                            e2.raw(), pte.raw(), va.value());
                    if (isKernelFrame(pfns, pte)) {
                        if (auto bad = checkSystemPage(space, va, pte))
                            return bad;
                        continue;
                    }
                    if (auto bad = checkLeaf(mm, space, va, at, pte, frames))
                        return bad;
                    c.committedPages += pte.isCommitted();
                    c.validPages += pte.isValid();
                    if (pte.isPagefile())
                        c.pagefileSlots.push_back(pte.pagefileSlot());
                }
            }
        }
    }
    c.frames = frames.size();
    if (c.committedPages != space.committedPages())
        return fmt::format("{} committed PTEs, but the process is charged for {}", c.committedPages,
                           space.committedPages());
    if (c.validPages != space.workingSet().size())
        return fmt::format("{} valid PTEs, but the working set holds {}", c.validPages,
                           space.workingSet().size());
    if (census)
        *census = c;
    return std::nullopt;
}

std::optional<std::string> checkMemoryInvariants(const MemoryManager& mm,
                                                 std::span<const AddressSpace* const> spaces) {
    if (auto bad = mm.pfns().verify())
        return "PFN database: " + *bad;
    return checkMappingsAndCharge(mm, spaces);
}

std::optional<std::string> checkMappingsAndCharge(const MemoryManager& mm,
                                                  std::span<const AddressSpace* const> spaces) {
    const auto& pfns = mm.pfns();
    std::uint64_t committed = 0, userFrames = 0, processTables = 0, pagedOutTables = 0;
    std::vector<std::uint32_t> slots;
    for (const AddressSpace* space : spaces) {
        UserHalfCensus c;
        if (auto bad = checkAddressSpace(mm, *space, &c))
            return bad;
        committed += c.committedPages;
        userFrames += c.frames;
        processTables += c.tables + 1;  // and the root
        pagedOutTables += c.pagedOutTables;
        slots.insert(slots.end(), c.pagefileSlots.begin(), c.pagefileSlots.end());
    }
    // The system tables: the master root and everything below it. A system page holds a
    // frame (valid; transition while paged pool is out of the system working set) or a slot.
    const auto& ram = pfns.memory();
    std::uint64_t systemTables = 1, kernelPages = 0, systemPages = 0, systemValidPaged = 0;
    const Pfn master = mm.systemTables().root();
    for (unsigned i4 = 0; i4 < kEntries; ++i4) {
        const Pte e4 = entryAt(ram, master, i4);
        if (!e4.isValid())
            continue;
        ++systemTables;
        for (unsigned i3 = 0; i3 < kEntries; ++i3) {
            const Pte e3 = entryAt(ram, e4.pfn(), i3);
            if (!e3.isValid())
                continue;
            ++systemTables;
            for (unsigned i2 = 0; i2 < kEntries; ++i2) {
                const Pte e2 = entryAt(ram, e3.pfn(), i2);
                if (!e2.isValid())
                    continue;
                ++systemTables;
                for (unsigned i1 = 0; i1 < kEntries; ++i1) {
                    const Pte e1 = entryAt(ram, e2.pfn(), i1);
                    // A mapping of locked frames (an MDL's) names another owner's frame,
                    // which must stay locked while it does.
                    const std::uint64_t va = 0xFFFF'0000'0000'0000ull | (std::uint64_t{i4} << 39) |
                                             (std::uint64_t{i3} << 30) | (std::uint64_t{i2} << 21) |
                                             (std::uint64_t{i1} << 12);
                    if (va >= kLockedMappingsBase && va < kLockedMappingsEnd) {
                        if (e1.raw() != 0 && (!e1.isValid() || !pfns.contains(e1.pfn()) ||
                                              pfns.entry(e1.pfn()).ioLocks == 0))
                            return fmt::format(
                                "locked mapping {:#x} has PTE {:#x}, not a valid "
                                "entry naming a locked frame",
                                va, e1.raw());
                        continue;
                    }
                    kernelPages += e1.hasFrame();
                    systemPages += e1.isCommitted();
                    if (e1.isPagefile())
                        slots.push_back(e1.pagefileSlot());
                    if (e1.isValid() && pfns.entry(e1.pfn()).wsIndex != PfnEntry::kNone)
                        ++systemValidPaged;
                }
            }
        }
    }
    if (systemValidPaged != mm.systemSpace().workingSet().size())
        return fmt::format("{} valid paged system pages, but the system working set holds {}",
                           systemValidPaged, mm.systemSpace().workingSet().size());
    // Each slot in use holds one page: one a pagefile PTE names, or a copy a frame keeps; and
    // no slot is named twice.
    const std::uint64_t pagefilePages = slots.size();
    for (Pfn f = pfns.memory().firstPfn(); f < pfns.memory().endPfn(); f = f + 1)
        if (pfns.entry(f).pagefileSlot != 0)
            slots.push_back(pfns.entry(f).pagefileSlot);
    if (const PagingFile* file = mm.pagingFile()) {
        std::unordered_set<std::uint32_t> seen;
        for (const std::uint32_t slot : slots) {
            if (!file->inUse(slot))
                return fmt::format("paging-file slot {:#x} is named but holds nothing", slot);
            if (!seen.insert(slot).second)
                return fmt::format("paging-file slot {:#x} is named twice", slot);
        }
        if (file->used() != slots.size())
            return fmt::format(
                "the paging file has {} slots in use, but {} pagefile PTEs and {} frames' "
                "copies hold slots",
                file->used(), pagefilePages, slots.size() - pagefilePages);
    } else if (!slots.empty()) {
        return fmt::format("{} paging-file slots named without a paging file", slots.size());
    }
    if (pfns.count(PageUse::PageTable) != processTables + systemTables)
        return fmt::format("{} page-table frames are in use but the tables hold {} ({} system)",
                           pfns.count(PageUse::PageTable), processTables + systemTables,
                           systemTables);
    if (pfns.count(PageUse::Kernel) != kernelPages)
        return fmt::format("{} kernel frames are in use but system space maps {}",
                           pfns.count(PageUse::Kernel), kernelPages);
    if (pfns.count(PageUse::UserPrivate) + pfns.count(PageUse::UserImage) != userFrames)
        return fmt::format("{} user frames are in use but the page tables name {}",
                           pfns.count(PageUse::UserPrivate) + pfns.count(PageUse::UserImage),
                           userFrames);
    // A table in the paging file keeps its charge, as a page there does.
    const std::uint64_t promised =
        pfns.count(PageUse::PageTable) + pagedOutTables + systemPages + committed;
    if (mm.commit().charge() != promised)
        return fmt::format(
            "commit charge is {} but {} pages are promised ({} page tables + {} in the paging "
            "file + {} system + {} committed)",
            mm.commit().charge(), promised, pfns.count(PageUse::PageTable), pagedOutTables,
            systemPages, committed);
    if (mm.commit().charge() > mm.commit().limit())
        return fmt::format("commit charge {} is over the limit {}", mm.commit().charge(),
                           mm.commit().limit());
    return std::nullopt;
}

MemoryBaseline MemoryBaseline::of(const MemoryManager& mm) {
    // The pools keep pages a process's objects used (a page with a block on a lookaside list),
    // as Windows' do: their pages are left out, and their blocks checked by tag instead.
    const auto& p = mm.pfns();
    const SystemSpace::Census pools = mm.systemSpace().census();
    return {p.available() + p.count(PageState::Bad) + pools.frames + pools.tables,
            mm.commit().charge() - pools.pages - pools.tables,
            p.count(PageUse::PageTable) - pools.tables, p.count(PageUse::Kernel) - pools.frames,
            p.count(PageState::Active) - pools.valid - pools.tables};
}

std::string MemoryBaseline::describe() const {
    return fmt::format("available or bad {}, charge {}, page tables {}, kernel {}, active {}",
                       available, charge, pageTables, kernel, active);
}

std::optional<std::string> checkNothingLeaked(const MemoryManager& mm, const MemoryBaseline& before,
                                              bool othersMayGive) {
    const MemoryBaseline after = MemoryBaseline::of(mm);
    if (after == before)
        return std::nullopt;
    if (othersMayGive && after.available >= before.available && after.charge <= before.charge &&
        after.pageTables <= before.pageTables && after.kernel <= before.kernel &&
        after.active <= before.active)
        return std::nullopt;
    return fmt::format("frames or commit leaked: {} after the process, {} before it",
                       after.describe(), before.describe());
}

}  // namespace ntoy::mm
