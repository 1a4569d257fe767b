#include "kernel/mm/PfnDatabase.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

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

TEST(PfnNames, NameEveryStateAndUse) {
    EXPECT_EQ(pageStateName(PageState::Zeroed), "Zeroed");
    EXPECT_EQ(pageStateName(PageState::Transition), "Transition");
    EXPECT_EQ(pageUseName(PageUse::PageTable), "page table");
    EXPECT_EQ(pageUseName(PageUse::UserPrivate), "private");
}

}  // namespace
}  // namespace ntoy::mm
