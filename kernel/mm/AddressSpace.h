// A process's user address space: its page tables, its allocations (VADs), its commit, its
// working set, and the page operations every system call and the fault handler are built
// from. Arguments are validated by the callers (the system calls); these operations keep the
// invariants:
//   - every committed page holds a protection in its PTE, and is charged to commit once;
//   - a page is in the working set exactly while its PTE is valid, and its frame is Active
//     then, on a transition list while a transition PTE names it;
//   - every valid user PTE has been announced to the MMU, and every invalidation flushed
//     before the guest runs again.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <span>

#include "kernel/base/NtStatus.h"
#include "kernel/hal/Mmu.h"
#include "kernel/mm/MemoryManager.h"
#include "kernel/mm/PageFault.h"
#include "kernel/mm/VadTree.h"
#include "kernel/mm/WorkingSet.h"

namespace ntoy::mm {

class AddressSpace final : private TableResidency {
public:
    static std::unique_ptr<AddressSpace> create(MemoryManager& mm, hal::Mmu& userMmu);
    // Releases every allocation: frames, slots and charge go back. It may bring paged-out
    // tables back to find their pages' slots, so it may bug check (KERNEL_DATA_INPAGE_ERROR):
    // the process's teardown calls it where a bug check is caught. Idempotent.
    void releaseAll();
    ~AddressSpace();
    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;

    MemoryManager& memoryManager() { return mm_; }
    const MemoryManager& memoryManager() const { return mm_; }
    PageTables& tables() { return tables_; }
    const PageTables& tables() const { return tables_; }
    const VadTree& vads() const { return vads_; }
    const WorkingSet& workingSet() const { return workingSet_; }
    hal::Mmu& mmu() { return mmu_; }
    const hal::Mmu& mmu() const { return mmu_; }
    // Pages committed in this process: its commit charge.
    std::uint64_t committedPages() const { return committedPages_; }
    // What VM_COUNTERS reports, in pages: the highest commit charge and working set so far,
    // the address space reserved (VirtualSize) now and at most, and the page faults taken.
    struct Peaks {
        std::uint64_t committedPages = 0;
        std::uint64_t workingSetPages = 0;
        std::uint64_t reservedPages = 0;
    };
    const Peaks& peaks() const { return peaks_; }
    std::uint64_t reservedPages() const { return reservedPages_; }
    std::uint64_t pageFaults() const { return pageFaults_; }

    // --- allocations
    // The allocations one process may have: a VAD costs the host memory (about 160 bytes with
    // its free-range node), and Windows charges it to the process's pool quota. More than
    // this is STATUS_QUOTA_EXCEEDED, so a guest cannot spend the host's memory on them.
    static constexpr std::uint64_t kVadQuota = 1u << 18;
    bool vadQuotaLeft(std::uint64_t more = 1) const {
        return vads_.size() + more <= kVadQuota && (!vadPool_ || vadPool_->roomFor(more));
    }
    // Where its VAD nodes live in pool (see VadPool); none by default.
    void setVadPool(VadPool* pool) { vadPool_ = pool; }
    Vad& reserve(VirtualAddress start, std::uint64_t pages, std::uint32_t allocationProtect,
                 VadType type);
    // Commits [start, end), which must lie inside one allocation (else CONFLICTING_ADDRESSES).
    // New pages are demand-zero; committed ones keep their contents and take `prot`. Either
    // way `prot` takes the allocation's cache attribute. COMMITMENT_LIMIT changes nothing.
    NtStatus commit(VirtualAddress start, VirtualAddress end, MmProtection prot);
    // Decommits [start, end): frames and charge go back at once.
    void decommit(VirtualAddress start, VirtualAddress end);
    // MEM_RESET on the committed pages of [start, end): their contents may be discarded
    // (see PfnEntry::discardable). They stay committed, with their protection.
    void reset(VirtualAddress start, VirtualAddress end);
    // Releases [start, end) of `vad`, splitting it if that leaves pages on both sides.
    void release(const Vad& vad, VirtualAddress start, VirtualAddress end);
    // Sets the protection of committed pages [start, end), with the allocation's cache
    // attribute; contents survive.
    void protect(VirtualAddress start, VirtualAddress end, MmProtection prot);
    Vad* findVad(VirtualAddress va) { return vads_.find(va); }
    // Labels the reservation the kernel made for a thread's stack, for the debugger. Which
    // guard pages grow a stack is the TEB's business (currentStack), not this label's.
    void markThreadStack(const Vad& vad);
    // Maps the system's frame `frame` read-only and no-execute at `va`, one page in an
    // allocation of its own (Vad::systemPage): the frame is the system's, so the page is
    // valid without being charged to this process or counted in its working set, and
    // releasing it only unmaps it. Fails (false, nothing changed) when `va` is taken or no
    // page table can be had.
    bool mapSystemPage(VirtualAddress va, Pfn frame);

    // --- the current thread
    // The TEB of the thread running in this address space, or 0. The kernel points it at the
    // current thread; its stack range decides which guard pages grow a stack.
    void setCurrentTeb(VirtualAddress teb) { currentTeb_ = teb; }
    // The current thread's stack as its TEB describes it: [DeallocationStack, NtTib.StackBase).
    // A TEB page in the paging file is read back first; otherwise nothing is faulted in: a
    // TEB without read access, or one that describes an empty range, describes no stack.
    struct ThreadStack {
        VirtualAddress bottom, top;
        bool contains(VirtualAddress va) const { return va >= bottom && va < top; }
    };
    std::optional<ThreadStack> currentStack();

    // Gives a committed page its frame now (the loader and process set-up fill pages before
    // the guest runs, so they never fault). Returns the frame.
    std::expected<Pfn, NtStatus> materialize(VirtualAddress va, PageUse use = PageUse::UserPrivate);

    // --- faults and the working set
    PageFaultOutcome handleFault(VirtualAddress va, std::uint32_t errorCode);
    // Takes up to `count` pages out of the working set (clock order, Accessed bit aging);
    // their frames wait on the Modified list (Standby, if the paging file holds an
    // unchanged copy) until a soft fault. Returns how many left.
    std::uint64_t trim(std::uint64_t count);
    // Pages out every leaf table of the user half that has entries but none holding a frame
    // (all demand-zero or in the paging file), as Windows trims page-table pages: its PDE
    // becomes a transition entry and its frame goes to the Modified list, from where the
    // writer and the Standby list take it like a page's. The next access through it is a
    // nested fault (handleFault); every kernel walk brings it back too. The table that maps
    // `keep` stays (a fault's own). Returns how many left.
    std::uint64_t trimPageTables(std::optional<VirtualAddress> keep = std::nullopt);
    // The frame behind `va` for a kernel access on the guest's behalf, resolving demand-zero
    // pages as a fault would. Guard pages are disarmed and refused, as on Windows; a page the
    // paging file cannot give back is STATUS_IN_PAGE_ERROR.
    std::expected<Pfn, NtStatus> frameForKernelAccess(VirtualAddress va, AccessKind access);
    // The kernel wrote the page at `va` on the guest's behalf (the CPU would have set its
    // Dirty bit): a copy of it in the paging file is stale.
    void noteWritten(VirtualAddress va);

    // --- working-set limits and locked pages, as Windows keeps them
    // Sizes in pages. Windows' defaults for a process: 200 KB and 1380 KB. The maximum is
    // advisory unless QUOTA_LIMITS_HARDWS_MAX_ENABLE makes it hard, as on Windows: then a
    // page that becomes valid in a full working set first pushes its oldest page out. The
    // minimum bounds what may be locked: every locked page and a fluid margin of
    // kFluidWorkingSet must fit in it.
    static constexpr std::uint32_t kHardMaximumEnable = 0x4;  // QUOTA_LIMITS_HARDWS_MAX_ENABLE
    static constexpr std::uint64_t kDefaultMinimumWorkingSet = 50;
    static constexpr std::uint64_t kDefaultMaximumWorkingSet = 345;
    static constexpr std::uint64_t kLeastMinimumWorkingSet = 20;
    static constexpr std::uint64_t kFluidWorkingSet = 8;
    struct WorkingSetLimits {
        std::uint64_t minimumPages = kDefaultMinimumWorkingSet;
        std::uint64_t maximumPages = kDefaultMaximumWorkingSet;
        std::uint32_t flags = 0;  // QUOTA_LIMITS_HARDWS_*: kept and reported
    };
    const WorkingSetLimits& workingSetLimits() const { return limits_; }
    // New limits (0 keeps one): STATUS_BAD_WORKING_SET_LIMIT if the minimum exceeds the
    // maximum or the locked pages would leave the set no room; a minimum below 20 pages is
    // raised to it, and limits beyond what the machine has are cut to it
    // (STATUS_WORKING_SET_LIMIT_RANGE, a success).
    NtStatus setWorkingSetLimits(std::uint64_t minimumPages, std::uint64_t maximumPages,
                                 std::uint32_t flags);
    // Takes every page that is not locked out of the working set (SetProcessWorkingSetSize
    // with -1, -1; EmptyWorkingSet). Returns how many left.
    std::uint64_t emptyWorkingSet();
    // NtLockVirtualMemory on [start, end): each page must lie in an allocation
    // (STATUS_ACCESS_VIOLATION) and be accessible (it is read, which faults it in, or gives
    // the access's status); then each is locked in the working set. STATUS_WORKING_SET_QUOTA
    // if the minimum working set cannot hold them; STATUS_WAS_LOCKED (a success) if some
    // already were.
    NtStatus lockPages(VirtualAddress start, VirtualAddress end);
    // NtUnlockVirtualMemory on [start, end): STATUS_NOT_LOCKED unless every page is locked,
    // in which case all are unlocked. As on Windows, pages in the set that are not locked
    // leave it on the way (the documented way to trim a range).
    NtStatus unlockPages(VirtualAddress start, VirtualAddress end);
    bool isLocked(VirtualAddress va) const;
    // Whether an MDL locks the page's frame (MmProbeAndLockPages): no trim takes it.
    bool lockedForIo(VirtualAddress va) const;

private:
    AddressSpace(MemoryManager& mm, PageTables tables, hal::Mmu& userMmu)
        : mm_(mm), tables_(tables), mmu_(userMmu) {
        tables_.setResidency(this);
        mm_.addSpace(*this);
    }
    // TableResidency: a kernel walk reached a paged-out table.
    bool makeTableResident(PhysicalAddress pdeAddress) override;
    bool onlyLooking() const override { return mm_.lookingOnly(); }
    // Brings the table that the non-valid PDE at `pdeAddress` names back, from its transition
    // list or the paging file; records which in `o`. False if the read failed.
    bool bringTableBack(PhysicalAddress pdeAddress, PageFaultOutcome& o);
    // The one function through which a user PTE changes: it keeps the working set, the
    // frame's state and the MMU in step with the new entry.
    void setPte(VirtualAddress va, PhysicalAddress at, Pte pte);
    // The entry of a committed page with protection `prot`: valid if it has a frame and may
    // use it now (`resident`), transition if it keeps a frame out of the working set,
    // demand-zero without one.
    static Pte entryFor(std::optional<Pfn> frame, MmProtection prot, bool resident);
    // `pte`, a committed page's entry in any format, with the protection `prot` and the same
    // contents wherever they are (entryFor's, or the same pagefile slot).
    static Pte withProtection(Pte pte, MmProtection prot, bool resident);
    // A hard fault's work on the pagefile PTE `pte` at `at`: the page read back and valid,
    // with read-ahead (see the definition). On failure `o` says why and nothing changed.
    std::optional<Pfn> pageIn(VirtualAddress va, PhysicalAddress at, Pte pte, PageFaultOutcome& o);
    // Gives the committed page whose entry is `pte` the protection `prot`, keeping its frame
    // and its place in or out of the working set.
    void reprotect(VirtualAddress va, PhysicalAddress at, Pte pte, MmProtection prot);
    void freePage(VirtualAddress va, PhysicalAddress at, Pte pte);
    // Before a page becomes valid: with a hard maximum, a full working set gives up a page.
    void keepUnderHardMaximum();
    // A valid page leaves the working set: its frame waits behind a transition PTE, or is
    // freed if MEM_RESET made it discardable and it was not written since.
    void leaveWorkingSet(VirtualAddress va, PhysicalAddress at, Pte pte);
    // Gives back what held the contents of a page whose entry was `pte`: its frame (with any
    // copy in the paging file) or its slot. The entry must already have changed.
    void releaseContents(Pte pte);
    // The committed page at `va` loses its frame or slot and reads as zeros again.
    void discardContents(VirtualAddress va, PhysicalAddress at, Pte pte);
    void unmapSystemPage(const Vad& vad);
    // The VAD tree's changes, each node with its block in pool (if a VadPool keeps them).
    Vad& insertVad(Vad vad);
    void removeVad(const Vad& vad);
    void disarmGuard(VirtualAddress va, PhysicalAddress at, Pte pte);
    // `prot` with the cache attribute of the allocation holding `va`.
    MmProtection withAllocationCache(VirtualAddress va, MmProtection prot) const;
    PageFaultOutcome growStack(ThreadStack stack, PageFaultOutcome outcome);
    // User memory as the kernel may touch it while it handles a fault: only pages that hold
    // their frame and whose protection allows the access, never faulting anything in (a page
    // out of the working set stays out). False if any page is not so.
    bool readResident(VirtualAddress va, std::span<std::byte> out) const;
    bool writeResident(VirtualAddress va, std::span<const std::byte> in);
    template <typename F>
    void forEachCommitted(VirtualAddress start, VirtualAddress end, F&& f);

    MemoryManager& mm_;
    PageTables tables_;
    hal::Mmu& mmu_;
    VadTree vads_;
    VadPool* vadPool_ = nullptr;
    WorkingSet workingSet_;
    std::uint64_t committedPages_ = 0;
    std::uint64_t reservedPages_ = 0;
    std::uint64_t pageFaults_ = 0;
    Peaks peaks_;
    VirtualAddress currentTeb_;
    WorkingSetLimits limits_;
    bool abandoned_ = false;  // releaseAll bug-checked: the destructor does not try again
};

}  // namespace ntoy::mm
