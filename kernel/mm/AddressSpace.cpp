#include "kernel/mm/AddressSpace.h"

#include <cstring>

#include "kernel/hal/Cpu.h"
#include "kernel/ke/BugCheck.h"
#include "kernel/mm/SystemLayout.h"
#include "ntoy/process_layout.h"

namespace ntoy::mm {
namespace {

std::optional<Pfn> frameOf(Pte pte) {
    return pte.hasFrame() ? std::optional(pte.pfn()) : std::nullopt;
}

// The protection a paged-out table's PDE carries in its software format: any non-zero value
// would do (the PDE's own rights are permissive when valid); this is Windows' for a PDE.
constexpr MmProtection kTableProtection(MmProtection::ReadWrite);

}  // namespace

std::unique_ptr<AddressSpace> AddressSpace::create(MemoryManager& mm, hal::Mmu& userMmu) {
    auto tables = PageTables::create(mm.pfns(), mm.commit());
    if (!tables)
        return nullptr;
    tables->shareSystemHalf(mm.systemTables());
    return std::unique_ptr<AddressSpace>(new AddressSpace(mm, *tables, userMmu));
}

void AddressSpace::releaseAll() {
    try {
        while (vads_.size() != 0) {
            const Vad vad = vads_.begin()->second;
            release(vad, vad.start(), vad.end());
        }
    } catch (const ke::BugCheckStop&) {
        abandoned_ = true;
        throw;
    }
    mmu_.flushTlb();
}

AddressSpace::~AddressSpace() {
    mm_.removeSpace(*this);
    if (abandoned_)
        return;  // what could not be released stays with the stopped machine
    try {
        releaseAll();
        tables_.destroy();
    } catch (const ke::BugCheckStop&) {
        // Only where nothing reports bug checks any more (every teardown that can calls
        // releaseAll first); what could not be released stays with the stopped machine.
    }
}

Pte AddressSpace::entryFor(std::optional<Pfn> frame, MmProtection prot, bool resident) {
    if (!frame)
        return Pte::demandZero(prot);
    if (resident && prot.accessible())
        return Pte::valid(*frame, prot, true);
    return Pte::transition(*frame, prot);
}

void AddressSpace::setPte(VirtualAddress va, PhysicalAddress at, Pte pte) {
    const Pte old = tables_.read(at);
    tables_.write(at, pte);
    auto& pfns = mm_.pfns();
    const bool sameFrame = old.hasFrame() && pte.hasFrame() && old.pfn() == pte.pfn();
    // The working set holds exactly the valid pages. A locked page that gets a new frame (a
    // copy on write) stays locked; one that leaves the set is unlocked by leaving.
    bool locked = false;
    if (old.isValid() && !(pte.isValid() && sameFrame)) {
        PfnEntry& e = pfns.entry(old.pfn());
        locked = workingSet_.locked(e.wsIndex);
        workingSet_.remove(e.wsIndex);
        e.wsIndex = PfnEntry::kNone;
    }
    if (pte.isValid() && !(old.isValid() && sameFrame)) {
        const std::uint32_t slot = workingSet_.insert(va);
        pfns.entry(pte.pfn()).wsIndex = slot;
        if (locked)
            workingSet_.setLocked(slot, true);
        peaks_.workingSetPages = std::max(peaks_.workingSetPages, workingSet_.size());
    }
    // The CPU marks a page it wrote Dirty.
    if (old.isValid() && old.has(PteBit::Dirty))
        mm_.contentsChanged(old.pfn());
    // A frame is Active while a valid PTE names it; while a transition PTE does, it waits on
    // Standby if the paging file holds its page, else on Modified.
    if (pte.hasFrame()) {
        PfnEntry& e = pfns.entry(pte.pfn());
        e.pteAddress = at;
        if (pte.isValid() && e.state != PageState::Active)
            pfns.activate(pte.pfn());
        else if (pte.isTransition() && e.state == PageState::Active)
            pfns.deactivate(pte.pfn(),
                            e.pagefileSlot != 0 ? PageState::Standby : PageState::Modified);
    }
    // The MMU: what the CPU may have cached.
    const bool repointed = old.hasFrame() && !sameFrame;
    if (repointed)  // the frame leaves the page (decommit, release, a new frame)
        mmu_.unmapped(va);
    if (pte.isValid()) {
        if (!old.isValid() || old.pfn() != pte.pfn())
            mmu_.mapped(va, pte.pfn());
        // Fewer rights on the same frame: cached translations may still grant them.
        if (old.isValid() && old.pfn() == pte.pfn() &&
            ((old.has(PteBit::Write) && !pte.has(PteBit::Write)) ||
             (!old.has(PteBit::NoExecute) && pte.has(PteBit::NoExecute))))
            mmu_.downgraded(va);
    } else if (old.isValid() && !repointed) {
        // Still the page's frame, but out of the working set (trimmed, NOACCESS, GUARD): the
        // translation must go, and the alias is no longer needed.
        mmu_.unmapped(va);
    }
}

Vad& AddressSpace::reserve(VirtualAddress start, std::uint64_t pages,
                           std::uint32_t allocationProtect, VadType type) {
    Vad vad;
    vad.startVpn = start.pageNumber();
    vad.endVpn = vad.startVpn + pages - 1;
    vad.allocationProtect = allocationProtect;
    vad.type = type;
    reservedPages_ += pages;
    peaks_.reservedPages = std::max(peaks_.reservedPages, reservedPages_);
    return insertVad(vad);
}

Vad& AddressSpace::insertVad(Vad vad) {
    // A node the pool or quota cannot hold stays on the host alone: callers checked
    // vadQuotaLeft first where a refusal can be reported.
    if (vadPool_)
        vad.poolBlock = vadPool_->allocateVad(vad.type).value_or(0);
    return vads_.insert(vad);
}

void AddressSpace::removeVad(const Vad& vad) {
    const Vad gone = vad;
    vads_.remove(vad);
    if (vadPool_ && gone.poolBlock != 0)
        vadPool_->freeVad(gone.poolBlock, gone.type);
}

void AddressSpace::markThreadStack(const Vad& vad) {
    vads_.find(vad.start())->threadStack = true;
}

bool AddressSpace::mapSystemPage(VirtualAddress va, Pfn frame) {
    if (vads_.overlaps(va, va + kPageSize))
        return false;
    const auto at = tables_.ensurePte(va);
    if (!at) {
        tables_.pruneEmptyTables(va);
        return false;
    }
    Vad& vad = reserve(va, 1, page::kReadOnly, VadType::Private);
    vad.systemPage = true;
    // Not through setPte: the frame belongs to no working set, and its PFN entry keeps naming
    // the system's PTE.
    tables_.write(*at, Pte::valid(frame, *MmProtection::fromWin32(page::kReadOnly), true));
    mmu_.mapped(va, frame);
    return true;
}

void AddressSpace::unmapSystemPage(const Vad& vad) {
    const VirtualAddress va = vad.start();
    reservedPages_ -= 1;
    removeVad(vad);
    if (const auto at = tables_.findPte(va)) {
        tables_.write(*at, Pte());
        mmu_.unmapped(va);
        tables_.pruneEmptyTables(va);
    }
}

MmProtection AddressSpace::withAllocationCache(VirtualAddress va, MmProtection prot) const {
    const Vad* vad = vads_.find(va);
    return vad ? prot.withCache(vad->cacheAttribute()) : prot;
}

NtStatus AddressSpace::commit(VirtualAddress start, VirtualAddress end, MmProtection requested) {
    const Vad* vad = vads_.find(start);
    if (!vad || end > vad->end())
        return NtStatus::ConflictingAddresses;
    const MmProtection prot = requested.withCache(vad->cacheAttribute());
    // Count what is committed already by visiting existing tables only, so that a huge
    // request fails on its charge at once instead of walking every page.
    std::uint64_t already = 0;
    forEachCommitted(start, end, [&](VirtualAddress, PhysicalAddress, Pte) { ++already; });
    auto charge = mm_.commit().charge((end - start) / kPageSize - already);
    if (!charge)
        return NtStatus::CommitmentLimit;
    // Tables first, so that running out of frames or commit for them undoes everything.
    for (VirtualAddress va = start; va < end; va = va + kPageSize) {
        if (tables_.ensurePte(va))
            continue;
        for (VirtualAddress undo = start; undo <= va; undo = undo + kPageSize)
            tables_.pruneEmptyTables(undo);
        return NtStatus::CommitmentLimit;
    }
    committedPages_ += charge->pages();
    peaks_.committedPages = std::max(peaks_.committedPages, committedPages_);
    charge->keep();
    tables_.forEachLeaf(start, end, [&](VirtualAddress va, PhysicalAddress at, Pte pte) {
        if (!pte.isCommitted())
            tables_.write(at, entryFor(std::nullopt, prot, false));
        else
            reprotect(va, at, pte, prot);
        return true;
    });
    return NtStatus::Success;
}

Pte AddressSpace::withProtection(Pte pte, MmProtection prot, bool resident) {
    if (pte.isPagefile())
        return Pte::pagefile(pte.pagefileSlot(), prot);
    return entryFor(frameOf(pte), prot, resident);
}

void AddressSpace::reprotect(VirtualAddress va, PhysicalAddress at, Pte pte, MmProtection prot) {
    // As on Windows, a page out of the working set stays out: a transition or pagefile PTE
    // takes the new protection, and the next access it allows is a soft or hard fault.
    setPte(va, at, withProtection(pte, prot, pte.isValid()));
}

void AddressSpace::releaseContents(Pte pte) {
    if (pte.hasFrame()) {
        mm_.dropPagefileCopy(pte.pfn());
        mm_.pfns().release(pte.pfn());
    } else if (pte.isPagefile()) {
        mm_.releasePagefileSlot(pte.pagefileSlot());
    }
}

void AddressSpace::freePage(VirtualAddress va, PhysicalAddress at, Pte pte) {
    setPte(va, at, Pte());
    releaseContents(pte);
    mm_.commit().release(1);
    --committedPages_;
}

void AddressSpace::keepUnderHardMaximum() {
    if ((limits_.flags & kHardMaximumEnable) == 0 || workingSet_.size() < limits_.maximumPages)
        return;
    // Locked pages are never pushed out; setWorkingSetLimits keeps them below the maximum.
    const std::uint64_t n = trim(workingSet_.size() + 1 - limits_.maximumPages);
    mm_.notify({*this, n, TrimReason::HardMaximum});
}

void AddressSpace::leaveWorkingSet(VirtualAddress va, PhysicalAddress at, Pte pte) {
    const PfnEntry& e = mm_.pfns().entry(pte.pfn());
    if (e.discardable && !pte.has(PteBit::Dirty)) {
        // Reset and not written since: nothing worth keeping. The frame goes, unwritten.
        discardContents(va, at, pte);
        return;
    }
    setPte(va, at, entryFor(pte.pfn(), pte.validProtection(), false));
}

void AddressSpace::discardContents(VirtualAddress va, PhysicalAddress at, Pte pte) {
    setPte(va, at, Pte::demandZero(pte.protection()));
    releaseContents(pte);
}

void AddressSpace::reset(VirtualAddress start, VirtualAddress end) {
    // Windows' MEM_RESET: nothing of these pages needs saving any more. Pages out of the
    // working set lose their contents now (no write, no read back); pages in it keep theirs
    // until they leave, unless written again first.
    forEachCommitted(start, end, [&](VirtualAddress va, PhysicalAddress at, Pte pte) {
        if (pte.isValid()) {
            tables_.write(at, pte.without(PteBit::Dirty));
            // The CPU may keep a writable translation that no longer sets Dirty: it goes,
            // so that the next write walks the tables and sets the bit again.
            mmu_.downgraded(va);
            mm_.dropPagefileCopy(pte.pfn());
            mm_.pfns().entry(pte.pfn()).discardable = true;
        } else if (pte.isTransition() || pte.isPagefile()) {
            discardContents(va, at, pte);
        }
    });
}

void AddressSpace::noteWritten(VirtualAddress va) {
    const auto at = tables_.findPte(va);
    if (const Pte pte = at ? tables_.read(*at) : Pte(); pte.hasFrame())
        mm_.contentsChanged(pte.pfn());
}

template <typename F>
void AddressSpace::forEachCommitted(VirtualAddress start, VirtualAddress end, F&& f) {
    tables_.forEachLeaf(start, end, [&](VirtualAddress va, PhysicalAddress at, Pte pte) {
        if (pte.isCommitted())
            f(va, at, pte);
        return true;
    });
}

void AddressSpace::decommit(VirtualAddress start, VirtualAddress end) {
    // One leaf table (2 MiB) at a time, pruned as soon as its pages are gone: a range of paged-
    // out tables is brought back one table, one frame, at a time.
    constexpr std::uint64_t kLeafSpan = 1ull << 21;
    for (std::uint64_t va = start.value(); va < end.value();) {
        const std::uint64_t tableEnd = std::min(end.value(), alignDown(va, kLeafSpan) + kLeafSpan);
        forEachCommitted(
            VirtualAddress(va), VirtualAddress(tableEnd),
            [&](VirtualAddress page, PhysicalAddress at, Pte pte) { freePage(page, at, pte); });
        tables_.pruneEmptyTables(VirtualAddress(va));
        va = tableEnd;
    }
}

void AddressSpace::release(const Vad& vad, VirtualAddress start, VirtualAddress end) {
    const Vad whole = vad;
    if (whole.systemPage) {  // one page, whole: the system's frame is only unmapped
        unmapSystemPage(whole);
        return;
    }
    decommit(start, end);
    reservedPages_ -= (end - start) / kPageSize;
    removeVad(whole);
    if (whole.start() < start) {
        Vad left = whole;
        left.endVpn = start.pageNumber() - 1;
        insertVad(left);
    }
    if (end < whole.end()) {
        Vad right = whole;
        right.startVpn = end.pageNumber();
        insertVad(right);
    }
}

void AddressSpace::protect(VirtualAddress start, VirtualAddress end, MmProtection requested) {
    const MmProtection prot = withAllocationCache(start, requested);
    forEachCommitted(start, end, [&](VirtualAddress va, PhysicalAddress at, Pte pte) {
        reprotect(va, at, pte, prot);
    });
}

std::expected<Pfn, NtStatus> AddressSpace::materialize(VirtualAddress va, PageUse use) {
    const auto at = tables_.findPte(va);
    if (!at)
        return std::unexpected(NtStatus::NotCommitted);
    if (const Pte before = tables_.read(*at); before.hasFrame()) {
        // The caller fills it: a copy in the paging file would be stale.
        noteWritten(va);
        return before.pfn();
    }
    keepUnderHardMaximum();
    mm_.makeRoomForValidPage();
    const Pte pte = tables_.read(*at);
    if (!pte.isCommitted())
        return std::unexpected(NtStatus::NotCommitted);
    if (pte.isPagefile()) {
        // Its contents are in the paging file: read back, never replaced by zeros.
        PageFaultOutcome o;
        if (const auto frame = pageIn(va, *at, pte, o))
            return *frame;
        return std::unexpected(o.response == PageFaultResponse::InPageError ? NtStatus::InPageError
                                                                            : NtStatus::NoMemory);
    }
    auto frame = mm_.pfns().allocateZeroed(use);
    if (!frame)
        return std::unexpected(NtStatus::NoMemory);
    setPte(va, *at, entryFor(*frame, pte.protection(), true));
    return *frame;
}

void AddressSpace::disarmGuard(VirtualAddress va, PhysicalAddress at, Pte pte) {
    // A guard page is never valid; without its guard, the next access is an ordinary fault.
    // It carries no cache attribute either (see MmProtection::withCache): once it has fired,
    // the page takes its allocation's again.
    setPte(va, at,
           withProtection(pte, withAllocationCache(va, pte.protection().withoutGuard()), false));
}

std::uint64_t AddressSpace::trim(std::uint64_t count) {
    return workingSet_.sweep(count, [&](std::uint32_t slot, VirtualAddress va) {
        const auto at = tables_.findPte(va);
        const Pte pte = at ? tables_.read(*at) : Pte();
        NTOY_ASSERT(pte.isValid() && mm_.pfns().entry(pte.pfn()).wsIndex == slot,
                    ke::BugCheckCode::MemoryManagement, 0x5101, va.value(), pte.raw(), slot);
        if (mm_.pfns().entry(pte.pfn()).ioLocks != 0)
            return false;  // an MDL locks it: it stays until MmUnlockPages
        if (pte.has(PteBit::Accessed)) {
            // Touched since the hand last passed: another round. The TLB may keep the bit
            // from being set again until the next flush, which every trim pass ends with.
            tables_.write(*at, pte.without(PteBit::Accessed));
            return false;
        }
        leaveWorkingSet(va, *at, pte);
        return true;
    });
}

std::uint64_t AddressSpace::trimPageTables(std::optional<VirtualAddress> keep) {
    auto& pfns = mm_.pfns();
    const std::optional<PhysicalAddress> kept = keep ? tables_.findPde(*keep) : std::nullopt;
    std::uint64_t n = 0;
    tables_.forEachLeafTable([&](PhysicalAddress pdeAt, Pte pde, VirtualAddress) {
        if (!pde.isValid() || pdeAt == kept)
            return;  // out already, or the one a fault is about to use
        const PfnEntry& e = pfns.entry(pde.pfn());
        if (e.framedEntries != 0 || e.usedEntries == 0)
            return;
        // No entry holds a frame, so the CPU can have cached no translation through it.
        tables_.write(pdeAt, Pte::transition(pde.pfn(), kTableProtection));
        pfns.deactivate(pde.pfn(), PageState::Modified);
        ++n;
    });
    return n;
}

bool AddressSpace::makeTableResident(PhysicalAddress pdeAddress) {
    PageFaultOutcome ignored;
    return bringTableBack(pdeAddress, ignored);
}

bool AddressSpace::bringTableBack(PhysicalAddress pdeAt, PageFaultOutcome& o) {
    auto& pfns = mm_.pfns();
    const Pte pde = tables_.read(pdeAt);
    o.tableBefore = pde;
    Pfn table;
    if (pde.isTransition()) {
        // Soft: the frame still holds the table. It will change, so a copy in the paging
        // file would go stale: it goes now.
        table = pde.pfn();
        mm_.dropPagefileCopy(table);
        pfns.activate(table);
        o.tableFault = PageFaultOutcome::TableFault::Soft;
    } else {
        NTOY_ASSERT(pde.isPagefile(), ke::BugCheckCode::MemoryManagement, 0x5204, pdeAt.value(),
                    pde.raw(), 0);
        o.tableFault = PageFaultOutcome::TableFault::Hard;
        bool noFrame = false;
        auto frames = mm_.readPages(pde.pagefileSlot(), 1, PageUse::PageTable, noFrame);
        // No frame to be had: write Modified pages out, then trim working sets (no table
        // goes, so no PTE address a caller holds moves).
        if (!frames && noFrame && mm_.writeModifiedPages(PagingFile::kMaxCluster) != 0)
            frames = mm_.readPages(pde.pagefileSlot(), 1, PageUse::PageTable, noFrame);
        if (!frames && noFrame) {
            mm_.makeRoomForValidPage();
            frames = mm_.readPages(pde.pagefileSlot(), 1, PageUse::PageTable, noFrame);
        }
        if (!frames) {
            if (noFrame)
                ke::bugCheck(ke::BugCheckCode::NoPagesAvailable, pfns.total() - pfns.available(),
                             pdeAt.value(), mm_.commit().charge(), mm_.commit().limit(),
                             "no frame to bring a page table back");
            ++mm_.faults().inPageError;
            return false;
        }
        table = (*frames)[0];
        // The table changes from now on: a copy kept in the slot would go stale.
        mm_.dropPagefileCopy(table);
        PfnEntry& e = pfns.entry(table);
        e.pteAddress = pdeAt;
        e.usedEntries = 0;
        e.framedEntries = 0;
        for (unsigned i = 0; i < 512; ++i) {
            const Pte entry = tables_.read(table.address() + i * 8ull);
            e.usedEntries += !entry.isZero();
            NTOY_ASSERT(!entry.hasFrame(), ke::BugCheckCode::MemoryManagement, 0x5205,
                        pdeAt.value(), entry.raw(), i);
        }
    }
    tables_.write(pdeAt, Pte::table(table, true));
    o.tableFrame = table;
    ++mm_.faults().pageTable;
    return true;
}

std::uint64_t AddressSpace::emptyWorkingSet() {
    std::vector<VirtualAddress> leaving;
    leaving.reserve(workingSet_.size() - workingSet_.lockedCount());
    workingSet_.forEach([&](std::uint32_t slot, VirtualAddress va) {
        if (!workingSet_.locked(slot) && !lockedForIo(va))
            leaving.push_back(va);
    });
    for (VirtualAddress va : leaving) {
        const PhysicalAddress at = *tables_.findPte(va);
        leaveWorkingSet(va, at, tables_.read(at));
    }
    mm_.notify({*this, leaving.size(), TrimReason::Empty});
    return leaving.size();
}

NtStatus AddressSpace::setWorkingSetLimits(std::uint64_t minimumPages, std::uint64_t maximumPages,
                                           std::uint32_t flags) {
    const std::uint64_t minimum = minimumPages != 0 ? minimumPages : limits_.minimumPages;
    const std::uint64_t maximum = maximumPages != 0 ? maximumPages : limits_.maximumPages;
    if (minimum > maximum || workingSet_.lockedCount() + kFluidWorkingSet >= maximum)
        return NtStatus::BadWorkingSetLimit;
    // No working set can hold more than the machine's frames, less what the system keeps.
    const std::uint64_t ceiling =
        mm_.pfns().total() - std::min<std::uint64_t>(mm_.pfns().total(), 512);
    NtStatus status = NtStatus::Success;
    WorkingSetLimits next{std::max(minimum, kLeastMinimumWorkingSet), maximum, flags};
    if (next.maximumPages > ceiling || next.minimumPages > ceiling) {
        next.maximumPages = std::min(next.maximumPages, ceiling);
        next.minimumPages = std::min(next.minimumPages, ceiling);
        status = NtStatus::WorkingSetLimitRange;
    }
    if (workingSet_.lockedCount() + kFluidWorkingSet > next.minimumPages)
        return NtStatus::BadWorkingSetLimit;
    limits_ = next;
    return status;
}

bool AddressSpace::isLocked(VirtualAddress va) const {
    const auto at = tables_.findPte(va);
    const Pte pte = at ? tables_.read(*at) : Pte();
    return pte.isValid() && workingSet_.locked(mm_.pfns().entry(pte.pfn()).wsIndex);
}

NtStatus AddressSpace::lockPages(VirtualAddress start, VirtualAddress end) {
    std::uint64_t alreadyLocked = 0;
    for (VirtualAddress va = start; va < end; va = va + kPageSize) {
        if (vads_.find(va) == nullptr)
            return NtStatus::AccessViolation;
        alreadyLocked += isLocked(va) ? 1 : 0;
    }
    const std::uint64_t pages = (end.value() - start.value()) / kPageSize;
    if (workingSet_.lockedCount() + (pages - alreadyLocked) + kFluidWorkingSet >
        limits_.minimumPages)
        return NtStatus::WorkingSetQuota;
    // Each page read, as Windows touches them: faulted in, or the read's failure. A guard
    // page is disarmed on the way, and the touch reports it.
    for (VirtualAddress va = start; va < end; va = va + kPageSize) {
        const auto at = tables_.findPte(va);
        const bool guard = at && tables_.read(*at).protection().isGuard();
        if (auto frame = frameForKernelAccess(va, AccessKind::Read); !frame)
            return guard ? NtStatus::GuardPageViolation : frame.error();
    }
    // A later page's fault can trim an earlier one (the headroom the MMU needs): each is made
    // valid again if it must be, then locked, after which nothing trims it.
    for (VirtualAddress va = start; va < end; va = va + kPageSize) {
        const Pte pte = tables_.pteAt(va);
        if (!pte.isValid())
            if (auto frame = frameForKernelAccess(va, AccessKind::Read); !frame)
                return frame.error();
        const Pfn frame = tables_.pteAt(va).pfn();
        workingSet_.setLocked(mm_.pfns().entry(frame).wsIndex, true);
        // A locked page never leaves, so a copy in the paging file would only hold a slot
        // that commit counted on for another page.
        mm_.dropPagefileCopy(frame);
    }
    return alreadyLocked != 0 ? NtStatus::WasLocked : NtStatus::Success;
}

NtStatus AddressSpace::unlockPages(VirtualAddress start, VirtualAddress end) {
    bool allLocked = true;
    for (VirtualAddress va = start; va < end; va = va + kPageSize) {
        if (vads_.find(va) == nullptr)
            return NtStatus::NotLocked;
        if (isLocked(va))
            continue;
        allLocked = false;
        // Not locked but in the set: it leaves (Windows' MiFreeWsle here).
        const auto at = tables_.findPte(va);
        if (const Pte pte = at ? tables_.read(*at) : Pte(); pte.isValid() && !lockedForIo(va))
            leaveWorkingSet(va, *at, pte);
    }
    if (!allLocked)
        return NtStatus::NotLocked;
    for (VirtualAddress va = start; va < end; va = va + kPageSize)
        workingSet_.setLocked(mm_.pfns().entry(tables_.pteAt(va).pfn()).wsIndex, false);
    return NtStatus::Success;
}

bool AddressSpace::lockedForIo(VirtualAddress va) const {
    const Pte pte = tables_.pteAt(va);
    return pte.isValid() && mm_.pfns().entry(pte.pfn()).ioLocks != 0;
}

bool AddressSpace::readResident(VirtualAddress va, std::span<std::byte> out) const {
    if (out.empty())
        return true;
    if (!isUserAddress(va.value()) || !isUserAddress(va.value() + out.size() - 1))
        return false;
    // A page out of the working set still holds its bytes in its frame: reading them needs no
    // fault.
    const auto readable = [](Pte e) { return e.hasFrame() && e.protection().accessible(); };
    return tables_.forEachPiece(va, out.size(), readable,
                                [&](std::byte* host, std::uint64_t off, std::uint64_t n, Pte) {
                                    std::memcpy(out.data() + off, host, n);
                                }) == out.size();
}

bool AddressSpace::writeResident(VirtualAddress va, std::span<const std::byte> in) {
    if (in.empty())
        return true;
    if (!isUserAddress(va.value()) || !isUserAddress(va.value() + in.size() - 1))
        return false;
    const auto writable = [](Pte e) {
        const MmProtection prot = e.protection();
        return e.hasFrame() && prot.accessible() && prot.writable() && !prot.copyOnWrite();
    };
    // Checked whole first: the write is all or nothing.
    const auto nothing = [](std::byte*, std::uint64_t, std::uint64_t, Pte) {};
    if (tables_.forEachPiece(va, in.size(), writable, nothing) != in.size())
        return false;
    tables_.forEachPiece(va, in.size(), writable,
                         [&](std::byte* host, std::uint64_t off, std::uint64_t n, Pte e) {
                             std::memcpy(host, in.data() + off, n);
                             mm_.contentsChanged(e.pfn());
                             if (e.protection().executable())
                                 mmu_.codeModified((va + off).pageBase(), kPageSize);
                         });
    return true;
}

std::optional<AddressSpace::ThreadStack> AddressSpace::currentStack() {
    if (currentTeb_.value() == 0)
        return std::nullopt;
    // The TEB is pageable: a page of it that lives in the paging file comes back first.
    for (const std::uint64_t offset : {NTOY_TEB_STACK_BASE, NTOY_TEB_DEALLOCATION_STACK}) {
        const VirtualAddress page = (currentTeb_ + offset).pageBase();
        if (const auto at = tables_.findPte(page); at && tables_.read(*at).isPagefile())
            (void)materialize(page);
    }
    std::uint64_t top = 0, bottom = 0;
    if (!readResident(currentTeb_ + NTOY_TEB_STACK_BASE,
                      std::as_writable_bytes(std::span(&top, 1))) ||
        !readResident(currentTeb_ + NTOY_TEB_DEALLOCATION_STACK,
                      std::as_writable_bytes(std::span(&bottom, 1))) ||
        bottom >= top)
        return std::nullopt;
    return ThreadStack{VirtualAddress(bottom), VirtualAddress(top)};
}

PageFaultOutcome AddressSpace::growStack(ThreadStack stack, PageFaultOutcome outcome) {
    // The guard page just hit becomes part of the stack and the page below it the new guard,
    // committed as Windows commits it, wherever the stack came from. The lowest page of the
    // stack is never committed: reaching it, or the end of the allocation, is overflow.
    const VirtualAddress newGuard = outcome.address.pageBase() - kPageSize;
    if (newGuard <= stack.bottom ||
        commit(newGuard, newGuard + kPageSize, outcome.before.protection()) != NtStatus::Success) {
        outcome.response = PageFaultResponse::StackOverflow;
        return outcome;
    }
    // The TEB's StackLimit follows, as on Windows; a TEB the guest made unwritable keeps the
    // old value.
    const std::uint64_t limit = outcome.address.pageBase().value();
    (void)writeResident(currentTeb_ + NTOY_TEB_STACK_LIMIT, std::as_bytes(std::span(&limit, 1)));
    outcome.kind = FaultKind::StackGrowth;
    outcome.response = PageFaultResponse::Resolved;
    ++mm_.faults().stackGrowth;
    return outcome;
}

PageFaultOutcome AddressSpace::handleFault(VirtualAddress address, std::uint32_t errorCode) {
    ++pageFaults_;
    PageFaultOutcome o;
    o.address = address;
    const VirtualAddress va = address.pageBase();
    o.access = (errorCode & hal::pf::kFetch)   ? AccessKind::Execute
               : (errorCode & hal::pf::kWrite) ? AccessKind::Write
                                               : AccessKind::Read;
    auto refuse = [&](FaultKind kind) {
        o.kind = kind;
        o.response = PageFaultResponse::AccessViolation;
        o.after = o.before;
        ++mm_.faults().accessViolation;
        return o;
    };
    if (!isUserAddress(va.value()))
        return refuse(FaultKind::SystemAddress);
    if (errorCode & hal::pf::kReserved) {
        ++mm_.faults().other;
        o.kind = FaultKind::Reserved;
        o.response = PageFaultResponse::AccessViolation;
        return o;
    }
    // Any resolution below may make a page valid. Room is made first: it may trim this very
    // page (a spurious or copy-on-write fault on a valid one), repurpose its frame or page out
    // its table, so the PTE is read after it.
    keepUnderHardMaximum();
    mm_.makeRoomForValidPage(true, this, va);
    // The nested fault: a page table that was paged out comes back before the page.
    if (const auto pde = tables_.findPde(va); pde && PageTables::pagedOut(tables_.read(*pde))) {
        if (!bringTableBack(*pde, o)) {
            o.kind = FaultKind::Hard;
            o.response = PageFaultResponse::InPageError;
            return o;
        }
    }
    const auto at = tables_.findPte(va);
    o.before = at ? tables_.read(*at) : Pte();
    const Pte pte = o.before;
    if (!pte.isCommitted())
        return refuse(FaultKind::NotCommitted);
    const MmProtection prot = pte.protection();

    if (prot.isGuard()) {
        disarmGuard(va, *at, pte);
        o.kind = FaultKind::Guard;
        o.after = tables_.read(*at);
        if (const auto stack = currentStack(); stack && stack->contains(va)) {
            o = growStack(*stack, o);
            o.after = tables_.read(*at);
            if (o.response == PageFaultResponse::Resolved)
                return o;
            ++mm_.faults().guard;
            return o;
        }
        ++mm_.faults().guard;
        o.response = PageFaultResponse::GuardPage;
        return o;
    }
    if (prot.isNoAccess())
        return refuse(FaultKind::NoAccess);
    if (o.access == AccessKind::Write && !prot.writable())
        return refuse(FaultKind::ReadOnly);
    if (o.access == AccessKind::Execute && !prot.executable())
        return refuse(FaultKind::NoExecute);

    // A hard fault: the page comes back from the paging file with the protection it has.
    // Whatever else the access needs (a copy on write) is the retried access's fault.
    if (pte.isPagefile()) {
        if (!pageIn(va, *at, pte, o))
            return o;
        o.after = tables_.read(*at);
        return o;
    }
    // Copy-on-write: the first write makes the page writable (WRITECOPY becomes READWRITE, as
    // a query shows on Windows). Image frames are private to their process, so the copy is
    // the frame itself.
    if (o.access == AccessKind::Write && prot.copyOnWrite()) {
        const MmProtection written(
            static_cast<std::uint8_t>((prot.bits() & ~7) | (prot.base() == MmProtection::WriteCopy
                                                                ? MmProtection::ReadWrite
                                                                : MmProtection::ExecuteReadWrite)));
        if (pte.hasFrame()) {  // valid, or trimmed and brought back at once
            setPte(va, *at, entryFor(pte.pfn(), written, true));
            o.kind = FaultKind::CopyOnWrite;
            o.frame = pte.pfn();
            o.after = tables_.read(*at);
            o.response = PageFaultResponse::Resolved;
            ++mm_.faults().copyOnWrite;
            return o;
        }
        tables_.write(*at, entryFor(std::nullopt, written, false));
        --pageFaults_;  // one fault, resolved in two steps
        PageFaultOutcome inner = handleFault(address, errorCode);
        if (o.tableFault != PageFaultOutcome::TableFault::None) {
            inner.tableFault = o.tableFault;
            inner.tableBefore = o.tableBefore;
            inner.tableFrame = o.tableFrame;
        }
        return inner;
    }
    if (pte.isTransition()) {
        // A soft fault: the frame still holds the page; it comes back from its list.
        setPte(va, *at, entryFor(pte.pfn(), prot, true));
        o.kind = FaultKind::Transition;
        o.frame = pte.pfn();
        o.after = tables_.read(*at);
        o.response = PageFaultResponse::Resolved;
        ++mm_.faults().soft;
        return o;
    }
    if (pte.isDemandZero()) {
        const bool zeroed = mm_.pfns().count(PageState::Zeroed) != 0;
        auto frame = mm_.pfns().allocateZeroed(PageUse::UserPrivate);
        if (!frame) {
            o.response = PageFaultResponse::OutOfMemory;
            ++mm_.faults().other;
            return o;
        }
        setPte(va, *at, entryFor(*frame, prot, true));
        mm_.frameHandedOut(*frame);
        o.kind = FaultKind::DemandZero;
        o.frame = *frame;
        o.fromZeroedList = zeroed;
        o.after = tables_.read(*at);
        o.response = PageFaultResponse::Resolved;
        ++mm_.faults().demandZero;
        return o;
    }
    // A valid page whose rights allow the access: a translation cached before a change that
    // has since been flushed. Retrying is right.
    ++mm_.faults().other;
    o.kind = FaultKind::Spurious;
    o.after = pte;
    o.response = PageFaultResponse::Resolved;
    return o;
}

std::expected<Pfn, NtStatus> AddressSpace::frameForKernelAccess(VirtualAddress va,
                                                                AccessKind access) {
    if (!isUserAddress(va.value()))
        return std::unexpected(NtStatus::AccessViolation);
    const auto at = tables_.findPte(va);
    const Pte pte = at ? tables_.read(*at) : Pte();
    if (pte.isValid() && (access != AccessKind::Write || pte.has(PteBit::Write)))
        return pte.pfn();
    if (!pte.isCommitted())
        return std::unexpected(NtStatus::AccessViolation);
    std::uint32_t errorCode = hal::pf::kUser | (pte.isValid() ? hal::pf::kPresent : 0);
    if (access == AccessKind::Write)
        errorCode |= hal::pf::kWrite;
    const MmProtection prot = pte.protection();
    if (prot.isGuard()) {
        // The current thread's stack grows for the kernel too (an exception frame pushed
        // below the committed stack); any other guard page is disarmed and refused, as on
        // Windows.
        const auto stack = currentStack();
        if (stack && stack->contains(va)) {
            if (handleFault(va, errorCode).response != PageFaultResponse::Resolved)
                return std::unexpected(NtStatus::AccessViolation);
            return frameForKernelAccess(va, access);
        }
        // Reading the TEB may have brought its table back, and the frame for that may have
        // been this page's: look again.
        if (tables_.read(*at) != pte)
            return frameForKernelAccess(va, access);
        disarmGuard(va, *at, pte);
        ++mm_.faults().guard;
        return std::unexpected(NtStatus::AccessViolation);
    }
    if (prot.isNoAccess() || (access == AccessKind::Write && !prot.writable()))
        return std::unexpected(NtStatus::AccessViolation);
    // A page read back from the paging file may need a second fault (a copy on write).
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto o = handleFault(va, errorCode);
        if (o.response == PageFaultResponse::InPageError)
            return std::unexpected(NtStatus::InPageError);
        if (o.response != PageFaultResponse::Resolved)
            return std::unexpected(NtStatus::AccessViolation);
        const Pte now = tables_.pteAt(va);
        if (now.isValid() && (access != AccessKind::Write || now.has(PteBit::Write)))
            return now.pfn();
        errorCode |= hal::pf::kPresent;
    }
    return std::unexpected(NtStatus::AccessViolation);
}

std::optional<Pfn> AddressSpace::pageIn(VirtualAddress va, PhysicalAddress at, Pte pte,
                                        PageFaultOutcome& o) {
    // Read-ahead: the pages after this one in its page table whose PTEs name the slots after
    // its slot come in the same read; they wait on Standby, their PTEs transition, so that
    // touching them is a soft fault.
    const std::uint32_t slot = pte.pagefileSlot();
    std::size_t count = 1;
    // At most half the frames that can be had, so that reading ahead never pushes out more
    // than it brings in.
    const std::uint64_t most =
        std::min<std::uint64_t>(PagingFile::kMaxCluster, mm_.pfns().obtainable() / 2);
    while (count < most) {
        const VirtualAddress next = va + count * kPageSize;
        if (next.value() >> 21 != va.value() >> 21 || !isUserAddress(next.value()))
            break;
        const Pte neighbour = tables_.read(at + count * sizeof(std::uint64_t));
        if (!neighbour.isPagefile() || neighbour.pagefileSlot() != slot + count)
            break;
        ++count;
    }
    bool noFrame = false;
    const Vad* vad = vads_.find(va);
    const PageUse use =
        vad && vad->type == VadType::Image ? PageUse::UserImage : PageUse::UserPrivate;
    const auto frames = mm_.readPages(slot, count, use, noFrame);
    if (!frames) {
        o.response = noFrame ? PageFaultResponse::OutOfMemory : PageFaultResponse::InPageError;
        o.kind = FaultKind::Hard;
        noFrame ? ++mm_.faults().other : ++mm_.faults().inPageError;
        return std::nullopt;
    }
    setPte(va, at, entryFor((*frames)[0], pte.protection(), true));
    for (std::size_t i = 1; i < count; ++i) {
        const PhysicalAddress nextAt = at + i * sizeof(std::uint64_t);
        const Pte neighbour = tables_.read(nextAt);
        setPte(va + i * kPageSize, nextAt,
               Pte::transition((*frames)[i], neighbour.softProtection()));
    }
    mm_.frameHandedOut((*frames)[0]);
    o.kind = FaultKind::Hard;
    o.frame = (*frames)[0];
    o.readAhead = static_cast<std::uint32_t>(count - 1);
    o.response = PageFaultResponse::Resolved;
    ++mm_.faults().hard;
    return (*frames)[0];
}

}  // namespace ntoy::mm
