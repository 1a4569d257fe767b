// Commit, decommit, release and protect on one address space: charge, frames, page tables
// and what the MMU is told.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::mm {
namespace {

using test::protection;
using Kind = test::RecordingMmu::EventKind;

class AddressSpaceCommitTest : public test::AddressSpaceFixture {
protected:
    struct Snapshot {
        std::uint64_t charge, processCommit, tables, userFrames, available;
        std::vector<Pte> ptes;
        bool operator==(const Snapshot&) const = default;
    };
    Snapshot snapshot(VirtualAddress start, std::uint64_t pages) {
        Snapshot s{mm().commit().charge(),
                   space().committedPages(),
                   mm().pfns().count(PageUse::PageTable),
                   mm().pfns().count(PageUse::UserPrivate),
                   mm().pfns().available(),
                   {}};
        for (std::uint64_t i = 0; i < pages; ++i)
            s.ptes.push_back(pte(start + i * kPageSize));
        return s;
    }
    std::uint64_t commitLeft() const {
        return system_.mm().commit().limit() - system_.mm().commit().charge();
    }
    void writeByte(VirtualAddress va, std::uint8_t value) { ASSERT_TRUE(guest().poke(va, value)); }
    std::uint8_t readByte(VirtualAddress va) { return guest().peek<std::uint8_t>(va).value_or(0); }
};

TEST_F(AddressSpaceCommitTest, FreshPagesAreChargedOnceAndStayDemandZero) {
    reserve(page(0), 8);
    const std::uint64_t charge = mm().commit().charge();
    ASSERT_EQ(commit(page(0), 4, page::kReadWrite), NtStatus::Success);
    EXPECT_EQ(space().committedPages(), 4u);
    EXPECT_EQ(mm().commit().charge(), charge + 4 + 3) << "four pages and three new tables";
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(pte(page(i)), Pte::demandZero(protection(page::kReadWrite))) << i;
    EXPECT_TRUE(pte(page(4)).isZero());
    EXPECT_EQ(mm().pfns().count(PageUse::UserPrivate), 0u) << "no frame before the first touch";
    EXPECT_EQ(mmu().counts().mapped, 0u);

    ASSERT_EQ(commit(page(2), 4, page::kReadWrite), NtStatus::Success);
    EXPECT_EQ(space().committedPages(), 6u) << "pages 2 and 3 were committed already";
    EXPECT_EQ(mm().commit().charge(), charge + 6 + 3);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, RecommitKeepsTheFrameAndTakesTheNewProtection) {
    reserve(page(0), 4);
    ASSERT_EQ(commit(page(0), 2, page::kReadWrite), NtStatus::Success);
    writeByte(page(0) + 5, 0x5A);
    const Pfn frame = pte(page(0)).pfn();
    mmu().clearRecord();
    const std::uint64_t charge = mm().commit().charge();

    ASSERT_EQ(commit(page(0), 2, page::kReadOnly), NtStatus::Success);
    EXPECT_EQ(mm().commit().charge(), charge);
    EXPECT_EQ(pte(page(0)), Pte::valid(frame, protection(page::kReadOnly), true));
    EXPECT_EQ(readByte(page(0) + 5), 0x5A);
    EXPECT_EQ(pte(page(1)), Pte::demandZero(protection(page::kReadOnly)));
    EXPECT_EQ(mmu().counts().downgraded, 1u) << "write access went away";
    EXPECT_EQ(mmu().counts().unmapped, 0u) << "the frame stays";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, CommitmentLimitOnThePagesChangesNothing) {
    reserve(page(0), 1024);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);  // tables exist
    const std::uint64_t left = commitLeft();
    const auto before = snapshot(page(0), 1024);
    EXPECT_EQ(commit(page(0), left + 2, page::kReadWrite), NtStatus::CommitmentLimit)
        << "one page is committed already, so left + 1 pages are fresh";
    EXPECT_EQ(snapshot(page(0), 1024), before);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, CommitmentLimitOnThePageTablesChangesNothing) {
    // Exactly enough charge for the fresh pages, none for the leaf table they need.
    constexpr std::uint64_t k2M = 1ull << 21;
    reserve(page(0), 1024);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    const VirtualAddress start = page(0) + k2M - 2 * kPageSize;  // two pages, then a new table
    const std::uint64_t fresh = commitLeft();
    ASSERT_GT(fresh, 8u);
    const auto before = snapshot(start, fresh);
    EXPECT_EQ(commit(start, fresh, page::kReadWrite), NtStatus::CommitmentLimit);
    EXPECT_EQ(snapshot(start, fresh), before);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    // And with the table paid for, the same commit succeeds.
    EXPECT_EQ(commit(start, fresh - 1, page::kReadWrite), NtStatus::Success);
    EXPECT_EQ(commitLeft(), 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, DecommitGivesFramesAndChargeBackAtOnce) {
    reserve(page(0), 8);
    const std::uint64_t charge = mm().commit().charge();
    const std::uint64_t tables = mm().pfns().count(PageUse::PageTable);
    ASSERT_EQ(commit(page(0), 4, page::kExecuteReadWrite), NtStatus::Success);
    writeByte(page(0), 1);
    writeByte(page(2), 1);
    const Pfn frame = pte(page(2)).pfn();
    const std::uint64_t free = mm().pfns().count(PageState::Free);
    mmu().clearRecord();

    space().decommit(page(0), page(8));
    EXPECT_EQ(space().committedPages(), 0u);
    EXPECT_EQ(mm().commit().charge(), charge);
    EXPECT_EQ(mm().pfns().count(PageUse::UserPrivate), 0u);
    EXPECT_EQ(mm().pfns().count(PageState::Free), free + 2 + 3) << "two pages, three tables";
    EXPECT_EQ(mm().pfns().entry(frame).state, PageState::Free);
    EXPECT_EQ(mm().pfns().count(PageUse::PageTable), tables) << "the emptied tables are freed";
    for (int i = 0; i < 8; ++i)
        EXPECT_TRUE(pte(page(i)).isZero()) << i;
    EXPECT_EQ(mmu().counts().unmapped, 2u) << "one per valid page, none for demand-zero ones";
    EXPECT_FALSE(mmu().aliasOf(page(0)) || mmu().aliasOf(page(2)));
    EXPECT_TRUE(mmu().flushPending()) << "the TLB is stale until the caller flushes";
    ASSERT_TRUE(space().findVad(page(0))) << "decommit keeps the reservation";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, DecommitOfReservedPagesChangesNothing) {
    reserve(page(0), 8);
    ASSERT_EQ(commit(page(4), 1, page::kReadWrite), NtStatus::Success);
    const auto before = snapshot(page(0), 8);
    space().decommit(page(0), page(4));
    EXPECT_EQ(snapshot(page(0), 8), before);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, ReleaseInTheMiddleSplitsTheAllocation) {
    reserve(page(0), 16, page::kExecuteRead);
    ASSERT_EQ(commit(page(0), 16, page::kReadWrite), NtStatus::Success);
    const std::uint64_t charge = mm().commit().charge();
    space().release(*space().findVad(page(6)), page(6), page(10));
    EXPECT_EQ(mm().commit().charge(), charge - 4);
    EXPECT_EQ(space().vads().size(), 2u);
    const Vad* left = space().findVad(page(0));
    const Vad* right = space().findVad(page(10));
    ASSERT_TRUE(left && right);
    EXPECT_EQ(left->start(), page(0));
    EXPECT_EQ(left->end(), page(6));
    EXPECT_EQ(right->start(), page(10));
    EXPECT_EQ(right->end(), page(16));
    EXPECT_EQ(left->allocationProtect, page::kExecuteRead);
    EXPECT_EQ(right->allocationProtect, page::kExecuteRead);
    for (int i = 6; i < 10; ++i) {
        EXPECT_EQ(space().findVad(page(i)), nullptr) << i;
        EXPECT_TRUE(pte(page(i)).isZero()) << i;
    }
    EXPECT_TRUE(pte(page(5)).isCommitted());
    EXPECT_TRUE(pte(page(10)).isCommitted());
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, ReleaseAtEitherEndLeavesOnePart) {
    reserve(page(0), 8);
    ASSERT_EQ(commit(page(0), 8, page::kReadWrite), NtStatus::Success);
    space().release(*space().findVad(page(0)), page(0), page(2));
    ASSERT_EQ(space().vads().size(), 1u);
    EXPECT_EQ(space().findVad(page(2))->start(), page(2));
    space().release(*space().findVad(page(2)), page(6), page(8));
    ASSERT_EQ(space().vads().size(), 1u);
    EXPECT_EQ(space().findVad(page(2))->end(), page(6));
    space().release(*space().findVad(page(2)), page(2), page(6));
    EXPECT_EQ(space().vads().size(), 0u);
    EXPECT_EQ(space().committedPages(), 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, NoAccessKeepsTheFrameInTransitionFormat) {
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 2, page::kReadWrite), NtStatus::Success);
    writeByte(page(0) + 100, 0x77);
    const Pfn frame = pte(page(0)).pfn();
    mmu().clearRecord();

    space().protect(page(0), page(2), protection(page::kNoAccess));
    EXPECT_EQ(pte(page(0)), Pte::transition(frame, protection(page::kNoAccess)));
    EXPECT_TRUE(pte(page(0)).isTransition());
    EXPECT_EQ(pte(page(1)), Pte::demandZero(protection(page::kNoAccess)));
    EXPECT_EQ(mm().pfns().entry(frame).state, PageState::Modified)
        << "out of the working set, contents kept, as on Windows";
    EXPECT_EQ(space().workingSet().size(), 0u);
    EXPECT_EQ(mmu().counts().unmapped, 1u) << "the CPU may no longer reach it";
    EXPECT_TRUE(mmu().flushPending());
    EXPECT_EQ(brokenInvariant(), std::nullopt);

    mmu().flushTlb();
    mmu().clearRecord();
    space().protect(page(0), page(2), protection(page::kReadWrite));
    EXPECT_EQ(pte(page(0)), Pte::transition(frame, protection(page::kReadWrite)))
        << "still out: the next access is a soft fault";
    EXPECT_EQ(space().handleFault(page(0) + 100, hal::pf::kUser).kind, FaultKind::Transition);
    EXPECT_EQ(readByte(page(0) + 100), 0x77) << "contents survive every protection change";
    EXPECT_EQ(pte(page(0)), Pte::valid(frame, protection(page::kReadWrite), true));
    EXPECT_EQ(mmu().counts().mapped, 1u) << "valid again: announced again";
    EXPECT_EQ(mmu().aliasOf(page(0)), frame);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, GuardKeepsTheFrameToo) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    writeByte(page(0), 0x11);
    const Pfn frame = pte(page(0)).pfn();
    space().protect(page(0), page(1), protection(page::kReadOnly | page::kGuard));
    EXPECT_EQ(pte(page(0)), Pte::transition(frame, protection(page::kReadOnly | page::kGuard)));
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, ProtectTellsTheMmuOnlyAboutLostRights) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadOnly), NtStatus::Success);
    ASSERT_TRUE(space().materialize(page(0)));
    mmu().clearRecord();
    space().protect(page(0), page(1), protection(page::kExecuteReadWrite));
    EXPECT_EQ(mmu().counts().downgraded + mmu().counts().unmapped, 0u) << "only gained rights";
    space().protect(page(0), page(1), protection(page::kReadWrite));
    EXPECT_EQ(mmu().counts().downgraded, 1u) << "lost execute";
    space().protect(page(0), page(1), protection(page::kReadOnly));
    EXPECT_EQ(mmu().counts().downgraded, 2u) << "lost write";
    EXPECT_EQ(mmu().counts().mapped, 0u) << "same frame throughout";
}

// Regression: a page made NOACCESS (or GUARD) keeps its frame, and the MMU is only told
// downgraded(). Freeing such a page once told the MMU nothing (setPte saw an invalid old
// PTE), so the engine kept its alias of the freed frame and the code it had translated from
// that address, which could run again once the address was committed anew.
TEST_F(AddressSpaceCommitTest, FreeingAnInaccessiblePageTellsTheMmu) {
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 1, page::kExecuteRead), NtStatus::Success);
    ASSERT_EQ(commit(page(1), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_TRUE(space().materialize(page(0)));  // valid: code may be translated from it
    ASSERT_TRUE(space().materialize(page(1)));
    space().protect(page(0), page(1), protection(page::kNoAccess));
    space().protect(page(1), page(2), protection(page::kReadWrite | page::kGuard));
    space().decommit(page(0), page(2));
    EXPECT_EQ(test::staleAliases(space(), mmu()), std::vector<VirtualAddress>{})
        << "the MMU still aliases the freed frames of 0x" << std::hex << page(0).value()
        << " and 0x" << page(1).value();
    // The machine drops code translated from a page whose frame left it: it must hear of it.
    bool told = false;
    for (const auto& e : mmu().events())
        told |= e.kind == Kind::Unmapped && e.va == page(0);
    EXPECT_TRUE(told) << "Regression: the MMU was never told the frame of 0x" << std::hex
                      << page(0).value() << " was freed";
}

TEST_F(AddressSpaceCommitTest, DestroyingTheSpaceGivesEverythingBack) {
    const std::uint64_t available = mm().pfns().available();
    const std::uint64_t charge = mm().commit().charge();
    auto other = system_.createProcess();
    auto& space2 = other->space();
    space2.reserve(page(0), 64, page::kReadWrite, VadType::Private);
    ASSERT_EQ(space2.commit(page(0), page(64), protection(page::kReadWrite)), NtStatus::Success);
    for (int i = 0; i < 64; i += 3)
        ASSERT_TRUE(space2.materialize(page(i)));
    space2.reserve(VirtualAddress(0x7F'0000'0000), 4, page::kReadWrite, VadType::Private);
    ASSERT_EQ(space2.commit(VirtualAddress(0x7F'0000'0000), VirtualAddress(0x7F'0000'4000),
                            protection(page::kReadWrite)),
              NtStatus::Success);
    other.reset();
    EXPECT_EQ(mm().pfns().available(), available);
    EXPECT_EQ(mm().commit().charge(), charge);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceCommitTest, DestroyingASpaceUnmapsItsPagesAndFlushes) {
    // No kernel entry follows an address space's end, so it must flush the TLB itself.
    test::RecordingMmu mmu;
    auto space = AddressSpace::create(mm(), mmu);
    ASSERT_TRUE(space);
    space->reserve(page(0), 4, page::kReadWrite, VadType::Private);
    ASSERT_EQ(space->commit(page(0), page(4), protection(page::kReadWrite)), NtStatus::Success);
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(space->materialize(page(i)));
    EXPECT_EQ(mmu.aliases().size(), 4u);
    space.reset();
    EXPECT_EQ(mmu.counts().unmapped, 4u);
    EXPECT_TRUE(mmu.aliases().empty());
    EXPECT_FALSE(mmu.flushPending()) << "the last invalidations were never flushed";
}

// Regression: commit once counted the range's fresh pages one PTE at a time, absent tables
// included, so that a guest's MEM_RESERVE|MEM_COMMIT of ~1 TB walked 2^28 PTEs (seconds on
// the host) only to answer COMMITMENT_LIMIT.
TEST_F(AddressSpaceCommitTest, CommittingAHugeReservationFailsQuickly) {
    const std::uint64_t bytes = 0x40'0000'0000;
    reserve(VirtualAddress(0x10000), bytes / kPageSize);
    const auto before = snapshot(VirtualAddress(0x10000), 4);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(space().commit(VirtualAddress(0x10000), VirtualAddress(0x10000 + bytes),
                             protection(page::kReadWrite)),
              NtStatus::CommitmentLimit);
    const auto took = std::chrono::steady_clock::now() - start;
    // A walk of the (absent) tables takes microseconds; 250 ms is far beyond that.
    EXPECT_LT(took, std::chrono::milliseconds(250))
        << "committing 256 GB took "
        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    EXPECT_EQ(snapshot(VirtualAddress(0x10000), 4), before);
}

}  // namespace
}  // namespace ntoy::mm
