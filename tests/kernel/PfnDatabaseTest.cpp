#include "kernel/mm/PfnDatabase.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "kernel/mm/Pte.h"
#include "tests/kernel/fakes/HostRam.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::mm {
namespace {

using test::kFirstRamPfn;

class PfnDatabaseTest : public ::testing::Test {
protected:
    static constexpr std::uint64_t kFrames = 16;
    test::HostRam ram_{kFrames};
    PfnDatabase pfns_{ram_.physicalMemory()};

    bool isZero(Pfn pfn) {
        const auto frame = pfns_.memory().frame(pfn);
        return std::all_of(frame.begin(), frame.end(),
                           [](std::byte b) { return b == std::byte{0}; });
    }
};

TEST_F(PfnDatabaseTest, StartsWithEveryFrameZeroed) {
    EXPECT_EQ(pfns_.total(), kFrames);
    EXPECT_EQ(pfns_.count(PageState::Zeroed), kFrames);
    EXPECT_EQ(pfns_.available(), kFrames);
    for (std::size_t s = 1; s < kPageStateCount; ++s)
        EXPECT_EQ(pfns_.count(static_cast<PageState>(s)), 0u) << s;
    EXPECT_EQ(pfns_.memory().firstPfn(), kFirstRamPfn);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, HandsOutZeroedFramesInAscendingOrder) {
    for (std::uint64_t i = 0; i < kFrames; ++i) {
        const auto pfn = pfns_.allocateZeroed(PageUse::UserPrivate);
        ASSERT_TRUE(pfn);
        EXPECT_EQ(*pfn, kFirstRamPfn + i) << "consecutive allocations get consecutive frames";
    }
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, AllocatedFrameIsActiveWithItsUse) {
    const Pfn table = *pfns_.allocateZeroed(PageUse::PageTable);
    const Pfn user = *pfns_.allocateZeroed(PageUse::UserPrivate);
    const Pfn kernel = *pfns_.allocateZeroed(PageUse::Kernel);
    for (auto [pfn, use] : {std::pair{table, PageUse::PageTable},
                            {user, PageUse::UserPrivate},
                            {kernel, PageUse::Kernel}}) {
        const PfnEntry& e = pfns_.entry(pfn);
        EXPECT_EQ(e.state, PageState::Active);
        EXPECT_EQ(e.use, use);
        EXPECT_EQ(e.shareCount, 1);
        EXPECT_EQ(e.usedEntries, 0u);
    }
    EXPECT_EQ(pfns_.count(PageState::Active), 3u);
    EXPECT_EQ(pfns_.count(PageState::Zeroed), kFrames - 3);
    EXPECT_EQ(pfns_.count(PageUse::PageTable), 1u);
    EXPECT_EQ(pfns_.count(PageUse::UserPrivate), 1u);
    EXPECT_EQ(pfns_.count(PageUse::Kernel), 1u);
    EXPECT_EQ(pfns_.count(PageUse::UserImage), 0u);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, ReleasedFrameGoesToTheFreeList) {
    const Pfn pfn = *pfns_.allocateZeroed(PageUse::UserPrivate);
    pfns_.entry(pfn).usedEntries = 5;
    pfns_.release(pfn);
    const PfnEntry& e = pfns_.entry(pfn);
    EXPECT_EQ(e.state, PageState::Free);
    EXPECT_EQ(e.use, PageUse::None);
    EXPECT_EQ(e.shareCount, 0);
    EXPECT_EQ(e.usedEntries, 0u);
    EXPECT_EQ(pfns_.count(PageState::Free), 1u);
    EXPECT_EQ(pfns_.count(PageState::Active), 0u);
    EXPECT_EQ(pfns_.count(PageUse::UserPrivate), 0u);
    EXPECT_EQ(pfns_.available(), kFrames);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, UsesTheZeroedListBeforeTheFreeList) {
    const Pfn dirty = *pfns_.allocateZeroed(PageUse::UserPrivate);
    std::fill_n(pfns_.memory().frame(dirty).data(), kPageSize, std::byte{0xAB});
    pfns_.release(dirty);
    const Pfn next = *pfns_.allocateZeroed(PageUse::UserPrivate);
    EXPECT_NE(next, dirty);
    EXPECT_EQ(pfns_.zeroedOnDemand(), 0u);
}

TEST_F(PfnDatabaseTest, ZeroesAFreeFrameWhenTheZeroedListIsEmpty) {
    std::vector<Pfn> all;
    for (std::uint64_t i = 0; i < kFrames; ++i)
        all.push_back(*pfns_.allocateZeroed(PageUse::UserPrivate));
    const Pfn dirty = all[5];
    std::fill_n(pfns_.memory().frame(dirty).data(), kPageSize, std::byte{0xAB});
    pfns_.release(dirty);
    const auto reused = pfns_.allocateZeroed(PageUse::PageTable);
    ASSERT_TRUE(reused);
    EXPECT_EQ(*reused, dirty);
    EXPECT_TRUE(isZero(*reused)) << "a frame from the free list must be zeroed before use";
    EXPECT_EQ(pfns_.zeroedOnDemand(), 1u);
    EXPECT_EQ(pfns_.entry(*reused).use, PageUse::PageTable);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, FreeListIsFirstInFirstOut) {
    std::vector<Pfn> all;
    for (std::uint64_t i = 0; i < kFrames; ++i)
        all.push_back(*pfns_.allocateZeroed(PageUse::UserPrivate));
    for (std::size_t i : {3u, 9u, 1u})
        pfns_.release(all[i]);
    EXPECT_EQ(*pfns_.allocateZeroed(PageUse::UserPrivate), all[3]);
    EXPECT_EQ(*pfns_.allocateZeroed(PageUse::UserPrivate), all[9]);
    EXPECT_EQ(*pfns_.allocateZeroed(PageUse::UserPrivate), all[1]);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, ExhaustionReturnsNothingAndChangesNothing) {
    for (std::uint64_t i = 0; i < kFrames; ++i)
        ASSERT_TRUE(pfns_.allocateZeroed(PageUse::UserPrivate));
    EXPECT_EQ(pfns_.allocateZeroed(PageUse::UserPrivate), std::nullopt);
    EXPECT_EQ(pfns_.allocateZeroed(PageUse::PageTable), std::nullopt);
    EXPECT_EQ(pfns_.available(), 0u);
    EXPECT_EQ(pfns_.count(PageState::Active), kFrames);
    EXPECT_EQ(pfns_.count(PageUse::UserPrivate), kFrames);
    EXPECT_EQ(pfns_.count(PageUse::PageTable), 0u);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, CountsAddUpThroughChurn) {
    std::vector<Pfn> held;
    const PageUse uses[] = {PageUse::UserPrivate, PageUse::PageTable, PageUse::Kernel,
                            PageUse::UserImage};
    for (int round = 0; round < 200; ++round) {
        if (held.size() < kFrames && (round % 3 != 2 || held.empty())) {
            held.push_back(*pfns_.allocateZeroed(uses[round % 4]));
        } else {
            pfns_.release(held[round % held.size()]);
            held.erase(held.begin() + static_cast<std::ptrdiff_t>(round % held.size()));
        }
        ASSERT_EQ(pfns_.verify(), std::nullopt) << "round " << round;
        ASSERT_EQ(pfns_.count(PageState::Active), held.size());
        ASSERT_EQ(pfns_.available() + held.size(), kFrames);
    }
}

TEST_F(PfnDatabaseTest, VerifyFindsACorruptedEntry) {
    const Pfn pfn = *pfns_.allocateZeroed(PageUse::UserPrivate);
    pfns_.entry(pfn).state = PageState::Standby;  // on no list, counted nowhere
    const auto problem = pfns_.verify();
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("Standby"), std::string::npos) << *problem;
}

// MmProbeAndLockPages' locks: a page freed while an MDL locks its frame keeps the frame, out
// of its owner's hands, until the last unlock; only then may it hold another page.
TEST_F(PfnDatabaseTest, AFrameFreedWhileLockedWaitsForItsLastUnlock) {
    const Pfn pfn = *pfns_.allocateZeroed(PageUse::UserPrivate);
    ASSERT_TRUE(pfns_.lockForIo(pfn));
    ASSERT_TRUE(pfns_.lockForIo(pfn));  // two MDLs on one page
    pfns_.release(pfn);                 // VirtualFree, or the process's end
    EXPECT_EQ(pfns_.entry(pfn).state, PageState::Active);
    EXPECT_EQ(pfns_.entry(pfn).use, PageUse::IoLocked);
    EXPECT_EQ(pfns_.count(PageUse::UserPrivate), 0u);
    EXPECT_EQ(pfns_.count(PageUse::IoLocked), 1u);
    EXPECT_EQ(pfns_.available(), kFrames - 1);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
    pfns_.unlockForIo(pfn);
    EXPECT_EQ(pfns_.entry(pfn).use, PageUse::IoLocked) << "one lock is left";
    pfns_.unlockForIo(pfn);
    EXPECT_EQ(pfns_.entry(pfn).state, PageState::Free);
    EXPECT_EQ(pfns_.count(PageUse::IoLocked), 0u);
    EXPECT_EQ(pfns_.available(), kFrames);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnDatabaseTest, AnUnlockedFrameInUseStaysItsOwners) {
    const Pfn pfn = *pfns_.allocateZeroed(PageUse::UserPrivate);
    ASSERT_TRUE(pfns_.lockForIo(pfn));
    pfns_.unlockForIo(pfn);
    EXPECT_EQ(pfns_.entry(pfn).state, PageState::Active);
    EXPECT_EQ(pfns_.entry(pfn).use, PageUse::UserPrivate);
    EXPECT_EQ(pfns_.entry(pfn).ioLocks, 0);
}

// The paging lists. A frame that "holds a page" has a transition PTE naming it, as the
// address space would write it, in a frame of its own (the page table).
class PfnPagingListsTest : public PfnDatabaseTest {
protected:
    // An Active user frame whose page left its working set: on `list`, named by a transition
    // PTE at the start of `table`.
    Pfn pageOut(Pfn table, PageState list, std::uint32_t slot = 0) {
        const Pfn frame = *pfns_.allocateZeroed(PageUse::UserPrivate);
        const MmProtection rw = *MmProtection::fromWin32(page::kReadWrite);
        pfns_.entry(frame).pteAddress = table.address();
        pfns_.entry(frame).pagefileSlot = slot;
        pfns_.memory().write(table.address(), Pte::transition(frame, rw));
        pfns_.deactivate(frame, list);
        return frame;
    }
};

// A locked frame whose page leaves its working set (PAGE_NOACCESS makes its PTE transition)
// stays Active, on no list, so that nothing repurposes it; the last unlock lists it.
TEST_F(PfnPagingListsTest, ALockedFrameWhosePageLeavesIsListedAtItsLastUnlock) {
    const Pfn table = *pfns_.allocateZeroed(PageUse::PageTable);
    const Pfn frame = *pfns_.allocateZeroed(PageUse::UserPrivate);
    ASSERT_TRUE(pfns_.lockForIo(frame));
    const MmProtection rw = *MmProtection::fromWin32(page::kReadWrite);
    pfns_.entry(frame).pteAddress = table.address();
    pfns_.memory().write(table.address(), Pte::transition(frame, rw));
    pfns_.deactivate(frame, PageState::Modified);
    EXPECT_EQ(pfns_.entry(frame).state, PageState::Active);
    EXPECT_EQ(pfns_.count(PageState::Modified), 0u);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
    pfns_.activate(frame);  // a soft fault while still held: it never left
    EXPECT_EQ(pfns_.entry(frame).state, PageState::Active);
    pfns_.deactivate(frame, PageState::Modified);
    pfns_.unlockForIo(frame);
    EXPECT_EQ(pfns_.entry(frame).state, PageState::Modified);
    EXPECT_EQ(pfns_.count(PageState::Modified), 1u);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnPagingListsTest, ModifiedToStandbyAndBack) {
    const Pfn table = *pfns_.allocateZeroed(PageUse::PageTable);
    const Pfn frame = pageOut(table, PageState::Modified);
    EXPECT_EQ(pfns_.count(PageState::Modified), 1u);
    pfns_.markWritten(frame, 7);
    EXPECT_EQ(pfns_.entry(frame).state, PageState::Standby);
    EXPECT_EQ(pfns_.entry(frame).pagefileSlot, 7u);
    EXPECT_EQ(pfns_.count(PageState::Modified), 0u);
    EXPECT_EQ(pfns_.obtainable(), pfns_.available() + 1) << "Standby can be handed out";
    EXPECT_EQ(pfns_.verify(), std::nullopt);
    pfns_.entry(frame).pagefileSlot = 0;  // the copy went stale (MemoryManager drops the slot)
    pfns_.markStale(frame);
    EXPECT_EQ(pfns_.entry(frame).state, PageState::Modified);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
    pfns_.activate(frame);
    EXPECT_EQ(pfns_.entry(frame).state, PageState::Active);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnPagingListsTest, StandbyIsHandedOutLastAndItsPageGoesToThePagingFile) {
    const Pfn table = *pfns_.allocateZeroed(PageUse::PageTable);
    const Pfn frame = pageOut(table, PageState::Standby, 9);
    pfns_.memory().frame(frame)[0] = std::byte{0x5A};
    std::vector<Pfn> others;
    while (pfns_.available() != 0)
        others.push_back(*pfns_.allocateZeroed(PageUse::UserPrivate));
    EXPECT_EQ(std::ranges::count(others, frame), 0) << "Zeroed and Free first";
    const auto reused = pfns_.allocateZeroed(PageUse::PageTable);
    ASSERT_EQ(reused, frame) << "then the Standby frame";
    EXPECT_EQ(pfns_.repurposed(), 1u);
    EXPECT_TRUE(isZero(frame)) << "handed out zeroed";
    const Pte owner = pfns_.memory().read<Pte>(table.address());
    EXPECT_TRUE(owner.isPagefile()) << "its page's PTE names the slot, not the frame";
    EXPECT_EQ(owner.pagefileSlot(), 9u);
    EXPECT_EQ(owner.protection(), *MmProtection::fromWin32(page::kReadWrite));
    EXPECT_EQ(pfns_.entry(frame).pagefileSlot, 0u) << "the slot is the PTE's now";
    EXPECT_EQ(pfns_.entry(frame).use, PageUse::PageTable);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnPagingListsTest, BadFramesAreNeverHandedOut) {
    const Pfn first = kFirstRamPfn;
    EXPECT_TRUE(pfns_.markBad(first + 3)) << "a Zeroed frame goes at once";
    const Pfn inUse = *pfns_.allocateZeroed(PageUse::UserPrivate);
    EXPECT_FALSE(pfns_.markBad(inUse)) << "one in use when it is freed";
    EXPECT_EQ(pfns_.count(PageState::Bad), 1u);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
    pfns_.release(inUse);
    EXPECT_EQ(pfns_.entry(inUse).state, PageState::Bad);
    std::vector<Pfn> all;
    while (auto f = pfns_.allocateZeroed(PageUse::UserPrivate))
        all.push_back(*f);
    EXPECT_EQ(all.size(), kFrames - 2);
    EXPECT_EQ(std::ranges::count(all, first + 3), 0);
    EXPECT_EQ(std::ranges::count(all, inUse), 0);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PfnPagingListsTest, TheZeroPagePassTurnsFreeIntoZeroed) {
    const Pfn a = *pfns_.allocateZeroed(PageUse::UserPrivate);
    const Pfn b = *pfns_.allocateZeroed(PageUse::UserPrivate);
    pfns_.memory().frame(a)[5] = std::byte{1};
    pfns_.memory().frame(b)[5] = std::byte{1};
    pfns_.release(a);
    pfns_.release(b);
    EXPECT_EQ(pfns_.zeroFreeFrames(1), 1u);
    EXPECT_EQ(pfns_.entry(a).state, PageState::Zeroed);
    EXPECT_TRUE(isZero(a));
    EXPECT_EQ(pfns_.entry(b).state, PageState::Free);
    EXPECT_EQ(pfns_.zeroFreeFrames(10), 1u);
    EXPECT_TRUE(isZero(b));
    EXPECT_EQ(pfns_.zeroedWhileIdle(), 2u);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST(PfnNames, NameEveryStateAndUse) {
    EXPECT_EQ(pageStateName(PageState::Zeroed), "Zeroed");
    EXPECT_EQ(pageStateName(PageState::Transition), "Transition");
    EXPECT_EQ(pageUseName(PageUse::PageTable), "page table");
    EXPECT_EQ(pageUseName(PageUse::UserPrivate), "private");
    EXPECT_EQ(pageUseName(PageUse::IoLocked), "locked for I/O");
}

}  // namespace
}  // namespace ntoy::mm
