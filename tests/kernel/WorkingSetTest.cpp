// Working sets and trimming: the kernel keeps the machine's headroom for valid pages (host
// mappings, on the emulator) by trimming the largest working set, and a trimmed page comes
// back by a soft fault with its contents.
#include "kernel/mm/WorkingSet.h"

#include <gtest/gtest.h>

#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::AccessKind;
using mm::FaultKind;
using mm::PageState;

TEST(WorkingSetList, SlotsAreReusedAndTheHandVisitsEachOnce) {
    mm::WorkingSet ws;
    const auto a = ws.insert(VirtualAddress(0x1000));
    const auto b = ws.insert(VirtualAddress(0x2000));
    const auto c = ws.insert(VirtualAddress(0x3000));
    ws.remove(b);
    EXPECT_EQ(ws.size(), 2u);
    EXPECT_EQ(ws.insert(VirtualAddress(0x4000)), b) << "a freed slot is taken first";
    EXPECT_EQ(ws.peak(), 3u);
    std::vector<std::uint32_t> visited;
    for (int i = 0; i < 3; ++i)
        visited.push_back(*ws.advance());
    EXPECT_EQ(visited, (std::vector<std::uint32_t>{a, b, c}));
    EXPECT_EQ(*ws.advance(), a) << "round again";
    ws.remove(a);
    ws.remove(b);
    ws.remove(c);
    EXPECT_FALSE(ws.advance());
}

TEST(WorkingSetList, LockedSlotsAreNeverVisited) {
    mm::WorkingSet ws;
    const auto a = ws.insert(VirtualAddress(0x1000));
    const auto b = ws.insert(VirtualAddress(0x2000));
    ws.setLocked(a, true);
    EXPECT_EQ(ws.lockedCount(), 1u);
    EXPECT_TRUE(ws.locked(a));
    EXPECT_EQ(ws.at(a), VirtualAddress(0x1000)) << "the lock is not part of the address";
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(*ws.advance(), b);
    ws.setLocked(b, true);
    EXPECT_FALSE(ws.advance()) << "nothing to trim";
    ws.remove(a);
    EXPECT_EQ(ws.lockedCount(), 1u) << "a locked page that leaves takes its lock along";
    ws.setLocked(b, false);
    EXPECT_EQ(ws.lockedCount(), 0u);
    EXPECT_EQ(*ws.advance(), b);
}

class TrimTest : public AddressSpaceFixture {
protected:
    TrimTest() : AddressSpaceFixture(2048) {}
    static constexpr std::uint64_t kPages = 1000;
    // The machine allows kCap valid pages at once.
    static constexpr std::uint64_t kCap = 1000;
    void SetUp() override {
        system_.systemMmu().modelHeadroom(
            [this] { return kCap - std::min(kCap, space().workingSet().size()); });
        reserve(page(0), kPages);
        ASSERT_EQ(commit(page(0), kPages, mm::page::kReadWrite), NtStatus::Success);
    }
};

TEST_F(TrimTest, ValidPagesStayUnderTheCapAndEveryPageKeepsItsData) {
    for (std::uint64_t i = 0; i < kPages; ++i) {
        ASSERT_EQ(touch(page(i), AccessKind::Write).response, mm::PageFaultResponse::Resolved);
        ASSERT_TRUE(guest().poke(page(i) + 8, i * 7 + 1));
        ASSERT_LT(space().workingSet().size(), kCap) << i;
    }
    EXPECT_GT(mm().trimmedPages(), 0u);
    EXPECT_GT(mm().pfns().count(PageState::Modified), 0u) << "trimmed frames wait there";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    std::uint64_t soft = 0;
    for (std::uint64_t i = 0; i < kPages; ++i) {
        if (pte(page(i)).isTransition()) {
            const auto o = touch(page(i), AccessKind::Read);
            ASSERT_EQ(o.kind, FaultKind::Transition) << i;
            ++soft;
        }
        ASSERT_EQ(guest().peek<std::uint64_t>(page(i) + 8), i * 7 + 1) << i;
    }
    EXPECT_GT(soft, 0u);
    EXPECT_EQ(mm().faults().soft, soft);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(TrimTest, ARecentlyTouchedPageGetsAnotherRound) {
    for (std::uint64_t i = 0; i < 4; ++i)
        touch(page(i), AccessKind::Write);
    // The CPU set the Accessed bit of page 0 only.
    const PhysicalAddress at = *space().tables().findPte(page(0));
    space().tables().write(at, mm::Pte(pte(page(0)).raw() | 0x20));
    EXPECT_EQ(space().trim(3), 3u);
    EXPECT_TRUE(pte(page(0)).isValid()) << "touched: another round";
    EXPECT_FALSE(pte(page(0)).has(mm::PteBit::Accessed)) << "and the bit is cleared";
    for (std::uint64_t i = 1; i < 4; ++i)
        EXPECT_TRUE(pte(page(i)).isTransition()) << i;
    EXPECT_EQ(space().workingSet().size(), 1u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(TrimTest, FreeingATrimmedPageReturnsItsFrame) {
    touch(page(0), AccessKind::Write);
    const Pfn frame = pte(page(0)).pfn();
    ASSERT_EQ(space().trim(1), 1u);
    ASSERT_EQ(mm().pfns().entry(frame).state, PageState::Modified);
    space().decommit(page(0), page(1));
    EXPECT_EQ(mm().pfns().entry(frame).state, PageState::Free);
    EXPECT_EQ(mm().pfns().count(PageState::Modified), 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(TrimTest, LockedPagesAreNeverTrimmed) {
    ASSERT_EQ(space().setWorkingSetLimits(200, 1500, 0), NtStatus::Success);
    ASSERT_EQ(space().lockPages(page(0), page(100)), NtStatus::Success);
    for (std::uint64_t i = 0; i < 100; ++i)
        ASSERT_TRUE(guest().poke(page(i) + 8, i + 5));
    for (std::uint64_t i = 100; i < kPages; ++i)
        ASSERT_EQ(touch(page(i), AccessKind::Write).response, mm::PageFaultResponse::Resolved);
    EXPECT_GT(mm().trimmedPages(), 0u);
    for (std::uint64_t i = 0; i < 100; ++i) {
        ASSERT_TRUE(pte(page(i)).isValid()) << i;
        ASSERT_TRUE(space().isLocked(page(i))) << i;
    }
    EXPECT_EQ(space().workingSet().lockedCount(), 100u);
    // Emptying the set leaves them too; unlocking lets them go.
    space().emptyWorkingSet();
    EXPECT_EQ(space().workingSet().size(), 100u);
    EXPECT_EQ(space().unlockPages(page(0), page(100)), NtStatus::Success);
    space().emptyWorkingSet();
    EXPECT_EQ(space().workingSet().size(), 0u);
    for (std::uint64_t i = 0; i < 100; ++i)
        ASSERT_EQ(guest().peek<std::uint64_t>(page(i) + 8), std::optional<std::uint64_t>(i + 5))
            << i;
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(TrimTest, LockingNeedsRoomInTheMinimumWorkingSet) {
    EXPECT_EQ(space().lockPages(page(0), page(43)), NtStatus::WorkingSetQuota)
        << "43 pages and the fluid 8 exceed the default minimum of 50";
    EXPECT_EQ(space().workingSet().lockedCount(), 0u);
    EXPECT_EQ(space().lockPages(page(0), page(42)), NtStatus::Success);
    EXPECT_EQ(space().lockPages(page(41), page(42)), NtStatus::WasLocked);
    EXPECT_EQ(space().setWorkingSetLimits(40, 0, 0), NtStatus::BadWorkingSetLimit)
        << "the locked pages would not fit";
    EXPECT_EQ(space().unlockPages(page(41), page(43)), NtStatus::NotLocked);
    EXPECT_TRUE(space().isLocked(page(41))) << "a failed unlock unlocks nothing";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::test
