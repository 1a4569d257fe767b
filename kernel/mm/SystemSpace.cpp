#include "kernel/mm/SystemSpace.h"

#include <fmt/format.h>

#include <algorithm>

#include "kernel/ke/BugCheck.h"
#include "kernel/mm/MemoryManager.h"

namespace ntoy::mm {
namespace {

// PAGE_FAULT_IN_NONPAGED_AREA's second parameter (Windows 10 1507 on) and its fourth.
constexpr std::uint64_t kReadAccess = 0, kWriteAccess = 2, kExecuteAccess = 10;
constexpr std::uint64_t kNotPresentPageTable = 2, kFreedPte = 0;

// KERNEL_DATA_INPAGE_ERROR with the parameters PageTables gives it for a table: the entry, the
// I/O status (STATUS_IO_DEVICE_ERROR), the entry's address, and here the page.
[[noreturn]] void inPageFailure(VirtualAddress va, PhysicalAddress at, Pte pte) {
    constexpr std::uint64_t kIoDeviceError = 0xC0000185;
    ke::bugCheck(ke::BugCheckCode::KernelDataInpageError, pte.raw(), kIoDeviceError, at.value(),
                 va.value(),
                 fmt::format("paged pool page {:#x} could not be read back from the paging file",
                             va.value()));
}

}  // namespace

SystemSpace::SystemSpace(MemoryManager& mm) : mm_(mm) {
    free_.reserve(kSystemRegionCount);
    for (const SystemRegionRange& r : kSystemRegions) {
        free_.emplace_back(kPageSize);
        // The ranges cover the whole space: all but the region is taken for good.
        free_.back().take(0, r.base);
        free_.back().take(r.end(), ~0ull);
    }
}

std::optional<VirtualAddress> SystemSpace::allocate(SystemRegion region, std::uint64_t pages,
                                                    bool pageable, MmProtection prot,
                                                    std::uint64_t low, std::uint64_t high) {
    // The kernel image's pages are the boot's (MemoryManager::mapSystemPage), not ours.
    if (region == SystemRegion::KernelImage)
        return std::nullopt;
    const SystemRegionRange& r = systemRegion(region);
    FreeRanges& ranges = free_[static_cast<std::size_t>(region)];
    const std::uint64_t size = pages * kPageSize;
    if (pages == 0 || pages > r.size / kPageSize)
        return std::nullopt;
    const auto start = ranges.lowest(size, std::max(low, r.base), std::min(high, r.end()));
    if (!start)
        return std::nullopt;
    auto charge = mm_.commit().charge(pages);
    if (!charge)
        return std::nullopt;
    ranges.take(*start, *start + size);
    auto& tables = mm_.systemTables();
    auto& pfns = mm_.pfns();
    for (std::uint64_t i = 0; i < pages; ++i) {
        const VirtualAddress va(*start + i * kPageSize);
        // Room first, for each page: the balance set manager may trim the system working set
        // (this allocation's pages too; free() below copes with them either way).
        mm_.makeRoomForValidPage();
        auto at = tables.ensurePte(va);
        auto frame = at ? pfns.allocateZeroed(PageUse::Kernel) : std::nullopt;
        if (!frame) {
            // Undo the pages mapped so far; the charge of the rest goes with `charge`.
            charge->keep();
            mm_.commit().release(pages - i);
            pages_[static_cast<std::size_t>(region)] += i;
            pagedPages_ += pageable ? i : 0;
            free(VirtualAddress(*start), i);
            ranges.give(*start + i * kPageSize, *start + size);
            return std::nullopt;
        }
        pfns.entry(*frame).pteAddress = *at;
        tables.write(*at, Pte::valid(*frame, prot, false));
        mm_.systemMmu().mapped(va, *frame);
        if (pageable)
            addToWorkingSet(va, *frame);
    }
    charge->keep();
    pages_[static_cast<std::size_t>(region)] += pages;
    pagedPages_ += pageable ? pages : 0;
    return VirtualAddress(*start);
}

void SystemSpace::free(VirtualAddress va, std::uint64_t pages) {
    if (pages == 0)
        return;
    const SystemRegionRange* r = systemRegionOf(va.value());
    NTOY_ASSERT(r != nullptr, ke::BugCheckCode::MemoryManagement, 0x5301, va.value(), pages, 0);
    auto& tables = mm_.systemTables();
    auto& pfns = mm_.pfns();
    for (std::uint64_t i = 0; i < pages; ++i) {
        const VirtualAddress page = va + i * kPageSize;
        const auto at = tables.findPte(page);
        const Pte pte = at ? tables.read(*at) : Pte();
        NTOY_ASSERT(pte.isCommitted(), ke::BugCheckCode::MemoryManagement, 0x5302, page.value(),
                    pte.raw(), 0);
        const bool pageable = pte.isValid() ? pfns.entry(pte.pfn()).wsIndex != PfnEntry::kNone
                                            : true;  // only paged pages leave
        if (pte.isValid() && pageable) {
            PfnEntry& e = pfns.entry(pte.pfn());
            std::erase(pinned_, e.wsIndex);
            workingSet_.remove(e.wsIndex);
            e.wsIndex = PfnEntry::kNone;
        }
        tables.write(*at, Pte());
        if (pte.hasFrame()) {
            if (pte.isValid())
                mm_.systemMmu().unmapped(page);
            mm_.dropPagefileCopy(pte.pfn());
            pfns.release(pte.pfn());
        } else if (pte.isPagefile()) {
            mm_.releasePagefileSlot(pte.pagefileSlot());
        }
        pagedPages_ -= pageable ? 1 : 0;
    }
    mm_.commit().release(pages);
    pages_[static_cast<std::size_t>(r->region)] -= pages;
    free_[static_cast<std::size_t>(r->region)].give(va.value(), va.value() + pages * kPageSize);
}

SystemSpace::Census SystemSpace::census() const {
    constexpr std::uint64_t kLeafSpan = 1ull << 21;
    const auto& tables = mm_.systemTables();
    Census c;
    for (const SystemRegionRange& r : kSystemRegions) {
        if (r.region == SystemRegion::KernelImage)
            continue;
        // The region's first leaf table was made at boot, with its upper tables.
        for (std::uint64_t va = r.base + kLeafSpan; va < r.end(); va += kLeafSpan) {
            const auto pde = tables.findPde(VirtualAddress(va));
            c.tables += pde && tables.read(*pde).isValid();
        }
        tables.forEachLeaf(
            VirtualAddress(r.base), VirtualAddress(r.end()),
            [&](VirtualAddress va, PhysicalAddress, Pte pte) {
                // MDLs' mappings name other owners' frames (LockedPages.h).
                if (va.value() >= kLockedMappingsBase && va.value() < kLockedMappingsEnd)
                    return true;
                c.pages += pte.isCommitted();
                c.frames += pte.hasFrame();
                c.valid += pte.isValid();
                return true;
            });
    }
    return c;
}

bool SystemSpace::isPageable(VirtualAddress va) const {
    return systemRegion(SystemRegion::PagedPool).contains(va.value());
}

void SystemSpace::addToWorkingSet(VirtualAddress va, Pfn pfn) {
    mm_.pfns().entry(pfn).wsIndex = workingSet_.insert(va.pageBase());
}

std::byte* SystemSpace::access(VirtualAddress va, bool write) {
    auto& tables = mm_.systemTables();
    const auto at = tables.findPte(va);
    Pte pte = at ? tables.read(*at) : Pte();
    if (!pte.isValid()) {
        if (!pte.isTransition() && !pte.isPagefile())
            notMapped(va, write, false, 0);
        PageFaultOutcome o;
        if (!bringBack(va, *at, pte, o))
            inPageFailure(va, *at, pte);
        pte = tables.read(*at);
    }
    PfnEntry& e = mm_.pfns().entry(pte.pfn());
    // A user frame an MDL mapping shows here is in its process's working set, not ours.
    if (e.wsIndex != PfnEntry::kNone && e.use == PageUse::Kernel) {
        if (!workingSet_.locked(e.wsIndex)) {
            workingSet_.setLocked(e.wsIndex, true);
            pinned_.push_back(e.wsIndex);
        }
        // What the CPU would have set: the clock sees the page as used.
        const Pte touched(pte.raw() | static_cast<std::uint64_t>(PteBit::Accessed) |
                          (write ? static_cast<std::uint64_t>(PteBit::Dirty) : 0));
        if (touched != pte)
            tables.write(*at, touched);
    }
    if (write)
        mm_.contentsChanged(pte.pfn());
    return mm_.pfns().memory().at(pte.pfn().address() + va.pageOffset());
}

void SystemSpace::unpin(VirtualAddress va) {
    const auto at = mm_.systemTables().findPte(va);
    const Pte pte = at ? mm_.systemTables().read(*at) : Pte();
    if (!pte.isValid())
        return;
    const PfnEntry& e = mm_.pfns().entry(pte.pfn());
    if (e.use != PageUse::Kernel)
        return;
    const std::uint32_t slot = e.wsIndex;
    if (const auto it = std::ranges::find(pinned_, slot); it != pinned_.end()) {
        workingSet_.setLocked(slot, false);
        pinned_.erase(it);
    }
}

void SystemSpace::unpinAll() {
    for (const std::uint32_t slot : pinned_)
        workingSet_.setLocked(slot, false);
    pinned_.clear();
}

bool SystemSpace::bringBack(VirtualAddress va, PhysicalAddress at, Pte pte, PageFaultOutcome& o) {
    auto& pfns = mm_.pfns();
    // Room first, while no page of ours is half made: trimming may take any unpinned page.
    mm_.makeRoomForValidPage();
    pte = mm_.systemTables().read(at);  // the balance may have moved it to the paging file
    o.before = pte;
    Pfn frame;
    if (pte.isTransition()) {
        frame = pte.pfn();
        pfns.activate(frame);
        o.kind = FaultKind::Transition;
        ++mm_.faults().soft;
    } else {
        bool noFrame = false;
        auto frames = mm_.readPages(pte.pagefileSlot(), 1, PageUse::Kernel, noFrame);
        if (!frames && noFrame) {
            // Frames ran short since the balance ran: once more, page tables allowed to go.
            mm_.makeRoomForValidPage(true);
            frames = mm_.readPages(pte.pagefileSlot(), 1, PageUse::Kernel, noFrame);
            if (!frames && noFrame)
                ke::bugCheck(ke::BugCheckCode::NoPagesAvailable, mm_.pfns().total(),
                             mm_.pfns().available(), va.value(), 0,
                             "no frame to bring a paged pool page back into");
        }
        if (!frames) {
            ++mm_.faults().inPageError;
            o.response = PageFaultResponse::InPageError;
            return false;
        }
        frame = frames->front();
        // The slot went with the read: kept as the frame's copy, or given back.
        o.kind = FaultKind::Hard;
        ++mm_.faults().hard;
    }
    pfns.entry(frame).pteAddress = at;
    const Pte now = Pte::valid(frame, pte.softProtection(), false);
    mm_.systemTables().write(at, now);
    mm_.systemMmu().mapped(va.pageBase(), frame);
    addToWorkingSet(va, frame);
    o.after = now;
    o.frame = frame;
    o.response = PageFaultResponse::Resolved;
    return true;
}

PageFaultOutcome SystemSpace::handleKernelFault(VirtualAddress va, std::uint32_t errorCode,
                                                std::uint64_t rip) {
    constexpr std::uint32_t kPresent = 1, kWrite = 2, kFetch = 16;
    PageFaultOutcome o;
    o.address = va;
    o.access = (errorCode & kFetch)   ? AccessKind::Execute
               : (errorCode & kWrite) ? AccessKind::Write
                                      : AccessKind::Read;
    auto& tables = mm_.systemTables();
    const auto at = tables.findPte(va);
    const Pte pte = at ? tables.read(*at) : Pte();
    o.before = pte;
    if (pte.isValid()) {
        // Present: a protection violation, unless the page allows the access now (made valid
        // or writable since the CPU looked).
        const bool write = (errorCode & kWrite) != 0, fetch = (errorCode & kFetch) != 0;
        if ((errorCode & kPresent) != 0 && write && !pte.has(PteBit::Write))
            ke::bugCheck(ke::BugCheckCode::AttemptedWriteToReadonlyMemory, va.value(), pte.raw(),
                         rip, 0, fmt::format("kernel-mode write to read-only {:#x}", va.value()));
        if ((errorCode & kPresent) != 0 && fetch && pte.has(PteBit::NoExecute))
            ke::bugCheck(ke::BugCheckCode::AttemptedExecuteOfNoexecuteMemory, va.value(), pte.raw(),
                         rip, 0,
                         fmt::format("kernel-mode fetch from no-execute {:#x}", va.value()));
        // The same fault twice in a row is no stale translation: something the walk checks
        // beyond the leaf refuses it, and retrying would loop forever.
        if (lastSpurious_ == std::pair(va.pageBase().value(), rip))
            notMapped(va, write, fetch, rip);
        lastSpurious_ = {va.pageBase().value(), rip};
        mm_.systemMmu().downgraded(va);  // the retry walks the tables afresh
        o.kind = FaultKind::Spurious;
        o.response = PageFaultResponse::Resolved;
        return o;
    }
    lastSpurious_ = {};
    if (!pte.isValid() && (pte.isTransition() || pte.isPagefile()) && isPageable(va)) {
        if (!bringBack(va, *at, pte, o))
            inPageFailure(va, *at, pte);
        return o;
    }
    notMapped(va, (errorCode & kWrite) != 0, (errorCode & kFetch) != 0, rip);
}

void SystemSpace::notMapped(VirtualAddress va, bool write, bool execute, std::uint64_t rip) {
    const auto pde = mm_.systemTables().findPde(va);
    const bool tablePresent = pde && mm_.systemTables().read(*pde).isValid();
    ke::bugCheck(ke::BugCheckCode::PageFaultInNonpagedArea, va.value(),
                 execute ? kExecuteAccess
                 : write ? kWriteAccess
                         : kReadAccess,
                 rip, tablePresent ? kFreedPte : kNotPresentPageTable,
                 fmt::format("kernel-mode {} of {:#x}, which no system page maps",
                             execute ? "fetch"
                             : write ? "write"
                                     : "read",
                             va.value()));
}

std::uint64_t SystemSpace::trim(std::uint64_t count) {
    auto& tables = mm_.systemTables();
    auto& pfns = mm_.pfns();
    return workingSet_.sweep(count, [&](std::uint32_t slot, VirtualAddress va) {
        const auto at = tables.findPte(va);
        const Pte pte = at ? tables.read(*at) : Pte();
        NTOY_ASSERT(pte.isValid() && pfns.entry(pte.pfn()).wsIndex == slot,
                    ke::BugCheckCode::MemoryManagement, 0x5303, va.value(), pte.raw(), slot);
        if (pfns.entry(pte.pfn()).ioLocks != 0)
            return false;  // an MDL locks it
        if (pte.has(PteBit::Accessed)) {
            tables.write(*at, pte.without(PteBit::Accessed));
            mm_.systemMmu().downgraded(va);  // so that the next touch sets the bit again
            return false;
        }
        if (pte.has(PteBit::Dirty))
            mm_.contentsChanged(pte.pfn());
        PfnEntry& e = pfns.entry(pte.pfn());
        workingSet_.remove(slot);
        e.wsIndex = PfnEntry::kNone;
        tables.write(*at, Pte::transition(pte.pfn(), pte.validProtection()));
        pfns.deactivate(pte.pfn(), e.pagefileSlot != 0 ? PageState::Standby : PageState::Modified);
        mm_.systemMmu().unmapped(va);
        return true;
    });
}

}  // namespace ntoy::mm
