// The system-wide half of memory management: the PFN database, commit, the paging file and
// the modified-page writer, the balance set manager that trims working sets, the master page
// tables of system space, and fault statistics.
//
// Commit: the limit is RAM plus the paging file (less its kept-back slot 0), as on Windows.
// Every committed page then has room somewhere, so the balance below can always free a frame:
// trim working sets (their pages go to Modified or Standby), write Modified pages to the
// paging file (they go to Standby), and hand out Standby frames (their pages stay in the file).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel/hal/Mmu.h"
#include "kernel/mm/CommitCharge.h"
#include "kernel/mm/PageTables.h"
#include "kernel/mm/PagingEvents.h"
#include "kernel/mm/PagingFile.h"
#include "kernel/mm/PfnDatabase.h"
#include "kernel/mm/SystemSpace.h"

namespace ntoy::mm {

class AddressSpace;

struct FaultCounters {
    std::uint64_t demandZero = 0;
    std::uint64_t soft = 0;  // transition faults
    std::uint64_t hard = 0;  // pagefile faults: a read from the paging file
    std::uint64_t inPageError = 0;
    std::uint64_t accessViolation = 0;
    std::uint64_t guard = 0;
    std::uint64_t stackGrowth = 0;
    std::uint64_t copyOnWrite = 0;
    std::uint64_t other = 0;
    // Nested faults: a page's table paged out, brought back (soft or hard) before the page.
    std::uint64_t pageTable = 0;
};

class MemoryManager {
public:
    // All of RAM goes to the PFN database, and the commit limit is all of RAM plus the paging
    // file, if there is one: the kernel's own pages are charged against it like every other
    // promise.
    MemoryManager(hal::PhysicalMemory ram, hal::Mmu& systemMmu,
                  std::unique_ptr<PagingFile> pagingFile = nullptr);

    PfnDatabase& pfns() { return pfns_; }
    const PfnDatabase& pfns() const { return pfns_; }
    CommitCharge& commit() { return commit_; }
    const CommitCharge& commit() const { return commit_; }
    PageTables& systemTables() { return systemTables_; }
    const PageTables& systemTables() const { return systemTables_; }
    hal::Mmu& systemMmu() { return systemMmu_; }
    // System space past the kernel window: the pools' pages and the system working set.
    SystemSpace& systemSpace() { return *systemSpace_; }
    const SystemSpace& systemSpace() const { return *systemSpace_; }
    FaultCounters& faults() { return faults_; }
    const FaultCounters& faults() const { return faults_; }

    // Maps a fresh zeroed frame at a system address (supervisor only), charged to commit.
    std::optional<Pfn> mapSystemPage(VirtualAddress va, MmProtection prot);
    // Gives back a page mapSystemPage mapped: its frame and its charge.
    void unmapSystemPage(VirtualAddress va);

    // While one lives, the memory manager is only looked at (the debugger's commands): a walk
    // that would bring a paged-out table back throws TableNotResident instead.
    class LookOnly {
    public:
        explicit LookOnly(MemoryManager& mm) : mm_(mm), was_(mm.lookingOnly_) {
            mm.lookingOnly_ = true;
        }
        ~LookOnly() { mm_.lookingOnly_ = was_; }
        LookOnly(const LookOnly&) = delete;
        LookOnly& operator=(const LookOnly&) = delete;

    private:
        MemoryManager& mm_;
        bool was_;
    };
    bool lookingOnly() const { return lookingOnly_; }

    // Who hears of trims and paging I/O (one listener, or none).
    void setPagingListener(PagingListener* listener) { listener_ = listener; }
    void notify(const TrimEvent& e) {
        if (listener_ && e.pages != 0)
            listener_->trimmed(e);
    }

    PagingFile* pagingFile() { return pagingFile_.get(); }
    const PagingFile* pagingFile() const { return pagingFile_.get(); }

    // The address spaces whose working sets can be trimmed.
    void addSpace(AddressSpace& space) { spaces_.push_back(&space); }
    void removeSpace(AddressSpace& space) { std::erase(spaces_, &space); }
    // The balance set manager, run before a page becomes valid: keeps
    // hal::Mmu::validPageHeadroom() off zero, and with a paging file keeps frames obtainable
    // (Zeroed, Free or Standby), by trimming the largest working sets first and writing
    // Modified pages out. With `tablesMayGo`, when frames ran short it also pages out the leaf
    // tables whose entries hold no frame (AddressSpace::trimPageTables), all but the one of
    // `faulting` that maps `keepTableOf` (the fault's own): only a caller that holds no PTE
    // address across the call may allow that.
    void makeRoomForValidPage(bool tablesMayGo = false, const AddressSpace* faulting = nullptr,
                              VirtualAddress keepTableOf = {});
    std::uint64_t trimmedPages() const { return trimmedPages_; }
    // Of them, paged pool's, from the system working set.
    std::uint64_t systemTrimmedPages() const { return systemTrimmedPages_; }
    std::uint64_t pagedOutTables() const { return pagedOutTables_; }

    // Takes `pfn` out of service for good (PfnDatabase::markBad), and its page out of the
    // commit limit. False if it is not a frame of RAM, or if what is committed already needs
    // it.
    bool retireFrame(Pfn pfn);
    // Fault injection: every `every`th frame a page fault hands out (0: none) is found to have
    // had a memory error, as Windows' page retirement finds one with corrected errors: the
    // page keeps it, intact, and it leaves service (retireFrame) when the page lets it go.
    void injectFrameErrors(std::uint64_t every) { frameErrorEvery_ = every; }
    // At most an eighth of RAM goes this way, so that the machine keeps frames to run on.
    void frameHandedOut(Pfn pfn) {
        if (frameErrorEvery_ != 0 && ++framesHandedOut_ % frameErrorEvery_ == 0 &&
            framesFoundBad_ < pfns_.total() / 8 && retireFrame(pfn))
            ++framesFoundBad_;
    }
    std::uint64_t framesFoundBad() const { return framesFoundBad_; }
    // The zero-page pass, run when no thread is ready: zeroes up to `count` Free frames.
    std::uint64_t zeroFreeFrames(std::uint64_t count) { return pfns_.zeroFreeFrames(count); }

    // --- the paging file's side of a frame
    // The page in `pfn` changed (or is about to): its copy in the paging file, if any, is
    // stale and goes; a Standby frame goes back to Modified.
    void dropPagefileCopy(Pfn pfn);
    // The page in `pfn` was written (by the CPU: its PTE's Dirty bit; or by the kernel on the
    // guest's behalf): its copy in the paging file is stale, and a MEM_RESET before the write
    // no longer lets its contents go.
    void contentsChanged(Pfn pfn) {
        dropPagefileCopy(pfn);
        pfns_.entry(pfn).discardable = false;
    }
    // A pagefile PTE's slot, given back when its page is freed.
    void releasePagefileSlot(std::uint32_t slot) { pagingFile_->release(slot); }
    // The modified-page writer: writes up to `pages` of the oldest Modified pages to the
    // paging file in clusters; each goes to Standby keeping its slot. Returns how many were
    // written: 0 without a paging file, when it is full, or when the host refused a write.
    std::uint64_t writeModifiedPages(std::uint64_t pages);
    // When the paging file is full: the copies Active frames keep go (see the definition).
    // Returns how many slots came back.
    std::uint64_t reclaimCopies();
    // A hard fault's read: `slots.size()` pages from consecutive slots starting at `first`
    // into fresh frames of `use`. Each holds its slot, the first only while the file has room
    // to spare. Empty, with nothing allocated, if frames ran out (`noFrame` set) or the read
    // failed.
    std::optional<std::vector<Pfn>> readPages(std::uint32_t first, std::size_t count, PageUse use,
                                              bool& noFrame);

private:
    PfnDatabase pfns_;
    CommitCharge commit_;
    PageTables systemTables_;
    hal::Mmu& systemMmu_;
    FaultCounters faults_;
    std::vector<AddressSpace*> spaces_;
    std::unique_ptr<PagingFile> pagingFile_;
    PagingListener* listener_ = nullptr;
    std::uint64_t trimmedPages_ = 0;
    std::uint64_t systemTrimmedPages_ = 0;
    std::unique_ptr<SystemSpace> systemSpace_;
    std::uint64_t pagedOutTables_ = 0;
    bool lookingOnly_ = false;
    std::uint64_t frameErrorEvery_ = 0, framesHandedOut_ = 0, framesFoundBad_ = 0;

    // Trims `pages` from the largest working set that gives any; false if none does.
    bool trimLargest(std::uint64_t pages);
};

}  // namespace ntoy::mm
