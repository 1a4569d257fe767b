// The PFN database: one entry per physical frame, with Windows' page states, and the lists
// that frames move between.
//
// A frame whose page left its working set but keeps its contents (a transition PTE names it)
// waits on the Modified list, or on Standby once the paging file holds a copy (the slot is in
// its entry), until a soft fault makes it Active again, it is freed, or, from Standby, it is
// repurposed.
//
// Frames are handed out in Windows' order: Zeroed, then Free (zeroed on the spot), then the
// oldest Standby frame, whose page then lives in the paging file alone: its owner's
// transition PTE becomes a pagefile PTE naming the slot before the frame is reused, so no PTE
// is ever left naming a frame that now holds another page.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kernel/base/Types.h"
#include "kernel/hal/PhysicalMemory.h"

namespace ntoy::mm {

// Windows' MMLISTS, in its order.
enum class PageState : std::uint8_t {
    Zeroed,
    Free,
    Standby,
    Modified,
    ModifiedNoWrite,
    Bad,
    Active,
    Transition,
};
inline constexpr std::size_t kPageStateCount = 8;
std::string_view pageStateName(PageState s);

// What an active frame holds.
enum class PageUse : std::uint8_t {
    None,
    UserPrivate,  // a private user page
    UserImage,    // a page of a mapped image
    PageTable,    // a page-table page at any level
    Kernel,       // system space: the kernel window, process structures
    // A page freed while an MDL still locks its frame (MmProbeAndLockPages): the frame stays,
    // unmapped from its owner, until MmUnlockPages lets it go, as Windows' reference count
    // keeps it.
    IoLocked,
};
std::string_view pageUseName(PageUse u);

struct PfnEntry {
    static constexpr std::uint32_t kNone = ~0u;
    PageState state = PageState::Zeroed;
    PageUse use = PageUse::None;
    std::uint16_t shareCount = 0;
    std::uint16_t usedEntries = 0;  // page tables: entries that are not zero (at most 512)
    // Page tables: entries that hold a frame (valid, or transition). A leaf table with entries
    // but none of these can be paged out (AddressSpace::trimPageTables).
    std::uint16_t framedEntries = 0;
    // MEM_RESET: the page's contents may be discarded. If it leaves its working set unwritten
    // since, its frame is freed rather than kept, and the page reads as zeros again.
    bool discardable = false;
    // Found bad while in use: it goes to the Bad list, not the Free list, when it is freed.
    bool badPending = false;
    // Locks taken by MDLs (MmProbeAndLockPages): a locked frame never leaves its working set,
    // and one freed while locked waits as IoLocked for its last unlock.
    std::uint16_t ioLocks = 0;
    PhysicalAddress pteAddress;     // the entry that maps this frame, if any
    std::uint32_t wsIndex = kNone;  // its working-set slot while Active in a working set
    // The paging-file slot holding a copy of the page, or 0. Always set on Standby, never on
    // Modified; an Active frame keeps it while the page is unchanged since it was read.
    std::uint32_t pagefileSlot = 0;
    std::uint32_t next = kNone, prev = kNone;
};

class PfnDatabase {
public:
    explicit PfnDatabase(hal::PhysicalMemory memory);

    const hal::PhysicalMemory& memory() const { return memory_; }
    // A zeroed frame, now Active with the given use; empty if no frame is left. The third
    // choice repurposes a Standby frame (see above).
    std::optional<Pfn> allocateZeroed(PageUse use) { return allocate(use, true); }
    // The same for a frame whose every byte is about to be overwritten (a page read back from
    // the paging file): a Free or repurposed frame is not zeroed first.
    std::optional<Pfn> allocateForOverwrite(PageUse use) { return allocate(use, false); }
    // A frame in use (Active or on a transition list) goes back to the free list. It must
    // hold no paging-file slot: whoever frees the page gives that back first.
    // An IoLocked frame (see PageUse) goes with its last unlock instead.
    void release(Pfn pfn);
    // An MDL's lock on an Active frame, and its end; false if the frame is locked too often
    // (the count is 16 bits). The last unlock of an IoLocked frame releases it.
    bool lockForIo(Pfn pfn);
    void unlockForIo(Pfn pfn);
    // The modified-page writer's moves: a Modified frame whose page was written to `slot`
    // goes to Standby; a Standby frame whose copy went stale goes back to Modified.
    void markWritten(Pfn pfn, std::uint32_t slot);
    void markStale(Pfn pfn);
    // Takes a frame out of service for good (`--bad-frames`): a Zeroed or Free frame goes to
    // the Bad list now, one in use when it is freed. Returns whether it went now.
    bool markBad(Pfn pfn);
    // The zero-page pass: up to `count` Free frames are zeroed and move to the Zeroed list.
    // Returns how many.
    std::uint64_t zeroFreeFrames(std::uint64_t count);
    // The oldest frame on `list` (its head) and the next after `pfn` on its list.
    std::optional<Pfn> oldest(PageState list) const;
    std::optional<Pfn> next(Pfn pfn) const;
    // An Active frame whose page left its working set, contents kept: onto `list` (Modified
    // or Standby).
    void deactivate(Pfn pfn, PageState list);
    // A frame on a transition list back in use: Active, off the list.
    void activate(Pfn pfn);

    const PfnEntry& entry(Pfn pfn) const { return entries_[index(pfn)]; }
    PfnEntry& entry(Pfn pfn) { return entries_[index(pfn)]; }
    bool contains(Pfn pfn) const { return memory_.contains(pfn); }

    std::uint64_t total() const { return entries_.size(); }
    std::uint64_t count(PageState s) const { return lists_[static_cast<std::size_t>(s)].count; }
    std::uint64_t count(PageUse u) const { return useCounts_[static_cast<std::size_t>(u)]; }
    // Frames that can be handed out without taking a page's contents away.
    std::uint64_t available() const { return count(PageState::Zeroed) + count(PageState::Free); }
    // ... and with Standby too, less the Standby frames found bad (they go to the Bad list
    // when their turn comes): what Windows calls available memory.
    std::uint64_t obtainable() const {
        return available() + count(PageState::Standby) - badOnStandby_;
    }
    // Frames holding a page's contents: Active, or waiting on a transition list.
    std::uint64_t inUse() const {
        return count(PageState::Active) + count(PageState::Modified) + count(PageState::Standby);
    }
    // How many demand-zero allocations had to zero a free frame themselves.
    std::uint64_t zeroedOnDemand() const { return zeroedOnDemand_; }
    // How many Standby frames were handed out to other pages.
    std::uint64_t repurposed() const { return repurposed_; }
    // How many frames the zero-page pass zeroed.
    std::uint64_t zeroedWhileIdle() const { return zeroedWhileIdle_; }

    // Walks every list and entry and checks that the counts add up; returns a description of
    // the first inconsistency.
    std::optional<std::string> verify() const;

private:
    struct List {
        std::uint32_t head = PfnEntry::kNone, tail = PfnEntry::kNone;
        std::uint64_t count = 0;
    };
    std::size_t index(Pfn pfn) const { return pfn - memory_.firstPfn(); }
    Pfn pfnAt(std::uint32_t i) const { return memory_.firstPfn() + i; }
    void pushBack(PageState list, std::uint32_t i);
    std::uint32_t popFront(PageState list);
    void unlink(std::uint32_t i);
    std::optional<Pfn> allocate(PageUse use, bool zero);
    // A Standby frame, just taken off its list, leaves its page (see allocateZeroed).
    void repurpose(std::uint32_t i);
    // Lists whose frames are linked (Active is only counted).
    static constexpr bool isLinked(PageState s) { return s != PageState::Active; }

    hal::PhysicalMemory memory_;
    std::vector<PfnEntry> entries_;
    std::array<List, kPageStateCount> lists_{};
    std::array<std::uint64_t, 6> useCounts_{};
    std::uint64_t badOnStandby_ = 0;  // Standby frames with badPending
    std::uint64_t zeroedOnDemand_ = 0;
    std::uint64_t repurposed_ = 0;
    std::uint64_t zeroedWhileIdle_ = 0;
};

}  // namespace ntoy::mm
