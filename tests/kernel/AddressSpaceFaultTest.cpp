// The page-fault handler: one test per response and fault kind.
#include <gtest/gtest.h>

#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::mm {
namespace {

using test::protection;

class AddressSpaceFaultTest : public test::AddressSpaceFixture {};

TEST_F(AddressSpaceFaultTest, DemandZeroTakesAZeroedFrameAndMapsIt) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kExecuteRead), NtStatus::Success);
    const std::uint64_t zeroed = mm().pfns().count(PageState::Zeroed);
    const auto o = touch(page(0) + 0x123, AccessKind::Read);
    EXPECT_EQ(o.response, PageFaultResponse::Resolved);
    EXPECT_EQ(o.kind, FaultKind::DemandZero);
    EXPECT_EQ(o.access, AccessKind::Read);
    EXPECT_EQ(o.address, page(0) + 0x123);
    EXPECT_TRUE(o.fromZeroedList);
    EXPECT_EQ(mm().pfns().count(PageState::Zeroed), zeroed - 1);
    EXPECT_EQ(o.before, Pte::demandZero(protection(page::kExecuteRead)));
    EXPECT_EQ(o.after, Pte::valid(o.frame, protection(page::kExecuteRead), true));
    EXPECT_EQ(pte(page(0)), o.after);
    EXPECT_EQ(mm().pfns().entry(o.frame).use, PageUse::UserPrivate);
    EXPECT_EQ(mmu().aliasOf(page(0)), o.frame) << "announced before the guest retries";
    EXPECT_EQ(mm().faults().demandZero, 1u);
    EXPECT_EQ(o.describe().rfind("demand-zero: frame", 0), 0u) << o.describe();
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceFaultTest, DemandZeroUsesTheFrameItsProtectionAllows) {
    reserve(page(0), 3);
    ASSERT_EQ(commit(page(0), 1, page::kReadOnly), NtStatus::Success);
    ASSERT_EQ(commit(page(1), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(commit(page(2), 1, page::kExecute), NtStatus::Success);
    EXPECT_EQ(touch(page(0), AccessKind::Read).response, PageFaultResponse::Resolved);
    EXPECT_EQ(touch(page(1), AccessKind::Write).response, PageFaultResponse::Resolved);
    EXPECT_EQ(touch(page(2), AccessKind::Execute).response, PageFaultResponse::Resolved);
    EXPECT_TRUE(pte(page(1)).has(PteBit::Write));
    EXPECT_FALSE(pte(page(2)).has(PteBit::NoExecute));
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceFaultTest, GuardPageFiresOnceThenResolves) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    const auto first = touch(page(0), AccessKind::Write);
    EXPECT_EQ(first.response, PageFaultResponse::GuardPage);
    EXPECT_EQ(first.kind, FaultKind::Guard);
    EXPECT_EQ(first.after, Pte::demandZero(protection(page::kReadWrite)));
    EXPECT_EQ(mm().faults().guard, 1u);
    const auto second = touch(page(0), AccessKind::Write);
    EXPECT_EQ(second.response, PageFaultResponse::Resolved);
    EXPECT_EQ(second.kind, FaultKind::DemandZero);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceFaultTest, GuardPageWithAFrameBecomesValidAgain) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadOnly | page::kGuard), NtStatus::Success);
    const Pfn frame = *space().materialize(page(0));
    EXPECT_TRUE(pte(page(0)).isTransition());
    EXPECT_EQ(mm().pfns().entry(frame).state, PageState::Modified) << "out of the working set";
    const auto o = touch(page(0), AccessKind::Read);
    EXPECT_EQ(o.response, PageFaultResponse::GuardPage);
    EXPECT_EQ(pte(page(0)), Pte::transition(frame, protection(page::kReadOnly)))
        << "the guard goes; the frame stays out until the access is retried";
    const auto retried = touch(page(0), AccessKind::Read);
    EXPECT_EQ(retried.response, PageFaultResponse::Resolved);
    EXPECT_EQ(retried.kind, FaultKind::Transition);
    EXPECT_EQ(pte(page(0)), Pte::valid(frame, protection(page::kReadOnly), true));
    EXPECT_EQ(mmu().aliasOf(page(0)), frame);
    EXPECT_EQ(mm().pfns().entry(frame).state, PageState::Active);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceFaultTest, NoAccessRefusesEveryAccess) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kNoAccess), NtStatus::Success);
    for (AccessKind a : {AccessKind::Read, AccessKind::Write, AccessKind::Execute}) {
        const auto o = touch(page(0), a);
        EXPECT_EQ(o.response, PageFaultResponse::AccessViolation);
        EXPECT_EQ(o.kind, FaultKind::NoAccess);
        EXPECT_EQ(o.access, a);
        EXPECT_EQ(o.after, o.before);
    }
    EXPECT_EQ(pte(page(0)), Pte::demandZero(protection(page::kNoAccess)));
    EXPECT_EQ(mm().faults().accessViolation, 3u);
}

TEST_F(AddressSpaceFaultTest, WriteToReadOnlyIsRefused) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kExecuteRead), NtStatus::Success);
    const auto o = touch(page(0), AccessKind::Write);
    EXPECT_EQ(o.response, PageFaultResponse::AccessViolation);
    EXPECT_EQ(o.kind, FaultKind::ReadOnly);
    EXPECT_EQ(o.describe(), "access violation (write): read-only");
    EXPECT_EQ(pte(page(0)), Pte::demandZero(protection(page::kExecuteRead)));
    // Also once the page is valid: a present write fault.
    ASSERT_EQ(touch(page(0), AccessKind::Read).response, PageFaultResponse::Resolved);
    EXPECT_EQ(touch(page(0), AccessKind::Write).kind, FaultKind::ReadOnly);
}

TEST_F(AddressSpaceFaultTest, FetchFromNonExecutableIsRefused) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(touch(page(0), AccessKind::Write).response, PageFaultResponse::Resolved);
    const auto o = touch(page(0), AccessKind::Execute);
    EXPECT_EQ(o.response, PageFaultResponse::AccessViolation);
    EXPECT_EQ(o.kind, FaultKind::NoExecute);
    EXPECT_EQ(o.access, AccessKind::Execute);
}

TEST_F(AddressSpaceFaultTest, ReservedAndFreePagesAreNotCommitted) {
    reserve(page(0), 1);
    for (VirtualAddress va : {page(0), page(1), VirtualAddress(0), VirtualAddress(0x10000)}) {
        const auto o = touch(va, AccessKind::Read);
        EXPECT_EQ(o.response, PageFaultResponse::AccessViolation) << va.value();
        EXPECT_EQ(o.kind, FaultKind::NotCommitted) << va.value();
    }
    EXPECT_EQ(mm().pfns().count(PageUse::UserPrivate), 0u);
}

TEST_F(AddressSpaceFaultTest, SystemAddressIsRefused) {
    for (std::uint64_t va :
         {kSystemSpaceStart, kKernelWindowBase, kUserSpaceEnd, ~std::uint64_t{0}}) {
        const auto o = space().handleFault(VirtualAddress(va), hal::pf::kUser | hal::pf::kPresent);
        EXPECT_EQ(o.response, PageFaultResponse::AccessViolation) << va;
        EXPECT_EQ(o.kind, FaultKind::SystemAddress) << va;
    }
}

TEST_F(AddressSpaceFaultTest, ReservedBitFaultIsRefused) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    const auto o = space().handleFault(page(0), hal::pf::kUser | hal::pf::kReserved);
    EXPECT_EQ(o.response, PageFaultResponse::AccessViolation);
    EXPECT_EQ(o.kind, FaultKind::Reserved);
    EXPECT_EQ(pte(page(0)), Pte::demandZero(protection(page::kReadWrite)));
}

TEST_F(AddressSpaceFaultTest, FirstWriteToWriteCopyMakesItReadWrite) {
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 2, page::kWriteCopy), NtStatus::Success);
    // Not yet valid: the write resolves as a demand-zero page that is already written.
    const auto fresh = touch(page(0), AccessKind::Write);
    EXPECT_EQ(fresh.response, PageFaultResponse::Resolved);
    EXPECT_EQ(pte(page(0)), Pte::valid(fresh.frame, protection(page::kReadWrite), true));
    // Valid and read first: the write promotes the same frame.
    ASSERT_EQ(touch(page(1), AccessKind::Read).response, PageFaultResponse::Resolved);
    const Pfn frame = pte(page(1)).pfn();
    EXPECT_FALSE(pte(page(1)).has(PteBit::Write));
    const auto o = touch(page(1), AccessKind::Write);
    EXPECT_EQ(o.response, PageFaultResponse::Resolved);
    EXPECT_EQ(o.kind, FaultKind::CopyOnWrite);
    EXPECT_EQ(o.frame, frame);
    EXPECT_EQ(pte(page(1)), Pte::valid(frame, protection(page::kReadWrite), true));
    EXPECT_EQ(mm().faults().copyOnWrite, 1u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AddressSpaceFaultTest, FirstWriteToExecuteWriteCopyMakesItExecuteReadWrite) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kExecuteWriteCopy), NtStatus::Success);
    ASSERT_EQ(touch(page(0), AccessKind::Execute).response, PageFaultResponse::Resolved);
    EXPECT_EQ(touch(page(0), AccessKind::Write).kind, FaultKind::CopyOnWrite);
    EXPECT_EQ(pte(page(0)).protection(), protection(page::kExecuteReadWrite));
}

TEST_F(AddressSpaceFaultTest, StaleTranslationOfAValidPageIsRetried) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(touch(page(0), AccessKind::Write).response, PageFaultResponse::Resolved);
    const Pte before = pte(page(0));
    const auto o = touch(page(0), AccessKind::Write);
    EXPECT_EQ(o.response, PageFaultResponse::Resolved);
    EXPECT_EQ(pte(page(0)), before);
}

// Regression: WRITECOMBINE (0x18 | base) shares the guard bit, and MmProtection::isGuard()
// once took it for a guard: the first access to PAGE_READWRITE|PAGE_WRITECOMBINE memory raised
// a guard-page violation and "disarmed" it into a NOCACHE page.
TEST_F(AddressSpaceFaultTest, WriteCombinedPageIsNotAGuardPage) {
    reserve(page(0), 1, page::kReadWrite | page::kWriteCombine);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite | page::kWriteCombine), NtStatus::Success);
    const auto o = touch(page(0), AccessKind::Write);
    EXPECT_EQ(o.response, PageFaultResponse::Resolved)
        << "first access to a WRITECOMBINE page: " << o.describe();
    EXPECT_EQ(pte(page(0)).protection(), protection(page::kReadWrite | page::kWriteCombine))
        << "the page's protection changed on first access";
}

// The stack that grows is the one the current thread's TEB describes (DeallocationStack up to
// StackBase), whoever allocated it: no mark on the allocation is needed.
class ThreadStackTest : public test::AddressSpaceFixture {
protected:
    // A 16-page stack: the top two pages committed, a guard page below them.
    void SetUp() override {
        reserve(page(0), kPages);
        ASSERT_EQ(commit(page(kPages - 2), 2, page::kReadWrite), NtStatus::Success);
        ASSERT_EQ(commit(page(kPages - 3), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
        makeCurrentTeb(page(0), page(kPages - 2), page(kPages));
    }
    static constexpr std::uint64_t kPages = 16;
};

TEST_F(ThreadStackTest, TouchingTheGuardGrowsTheStackByOnePage) {
    const std::uint64_t committed = space().committedPages();
    const auto o = touch(page(kPages - 3) + 0xFF8, AccessKind::Write);
    EXPECT_EQ(o.response, PageFaultResponse::Resolved);
    EXPECT_EQ(o.kind, FaultKind::StackGrowth);
    EXPECT_EQ(pte(page(kPages - 3)), Pte::demandZero(protection(page::kReadWrite)));
    EXPECT_EQ(pte(page(kPages - 4)), Pte::demandZero(protection(page::kReadWrite | page::kGuard)));
    EXPECT_EQ(space().committedPages(), committed + 1);
    EXPECT_EQ(tebStackLimit(), page(kPages - 3)) << "the TEB's StackLimit follows";
    EXPECT_EQ(mm().faults().stackGrowth, 1u);
    // The retried access is then an ordinary demand-zero fault.
    EXPECT_EQ(touch(page(kPages - 3), AccessKind::Write).kind, FaultKind::DemandZero);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(ThreadStackTest, ReachingTheBottomOfTheReservationIsAStackOverflow) {
    for (std::uint64_t guard = kPages - 3; guard >= 2; --guard) {
        const auto o = touch(page(guard), AccessKind::Write);
        ASSERT_EQ(o.response, PageFaultResponse::Resolved) << guard;
        ASSERT_TRUE(pte(page(guard - 1)).protection().isGuard()) << guard;
    }
    // The guard is now at page 1; the page below it is the reservation's last.
    const auto o = touch(page(1), AccessKind::Write);
    EXPECT_EQ(o.response, PageFaultResponse::StackOverflow);
    EXPECT_TRUE(pte(page(0)).isZero()) << "the lowest page is never committed";
    EXPECT_EQ(pte(page(1)).protection(), protection(page::kReadWrite))
        << "the last guard page is spent";
    EXPECT_EQ(touch(page(0), AccessKind::Write).kind, FaultKind::NotCommitted);
    EXPECT_EQ(tebStackLimit(), page(2));
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(ThreadStackTest, AGuardPageOutsideTheTebsStackDoesNotGrow) {
    reserve(page(kPages), 4);
    ASSERT_EQ(commit(page(kPages + 1), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    EXPECT_EQ(touch(page(kPages + 1), AccessKind::Read).response, PageFaultResponse::GuardPage);
    EXPECT_TRUE(pte(page(kPages)).isZero());
}

TEST_F(ThreadStackTest, AStackTheTebNoLongerDescribesDoesNotGrow) {
    makeCurrentTeb(page(kPages), page(kPages + 1), page(kPages + 2));  // a fiber switched away
    EXPECT_EQ(touch(page(kPages - 3), AccessKind::Write).response, PageFaultResponse::GuardPage);
    EXPECT_TRUE(pte(page(kPages - 4)).isZero());
    EXPECT_EQ(mm().faults().stackGrowth, 0u);
}

TEST_F(ThreadStackTest, ATebWithoutReadAccessOrARangeGrowsNothing) {
    makeCurrentTeb(page(kPages), page(kPages), page(0));  // DeallocationStack above StackBase
    EXPECT_EQ(touch(page(kPages - 3), AccessKind::Write).response, PageFaultResponse::GuardPage);
    ASSERT_EQ(commit(page(kPages - 3), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    makeCurrentTeb(page(0), page(kPages - 2), page(kPages));
    space().protect(kTeb, kTeb + kPageSize, protection(page::kNoAccess));
    EXPECT_EQ(touch(page(kPages - 3), AccessKind::Write).response, PageFaultResponse::GuardPage)
        << "the kernel reads the TEB without faulting: a NOACCESS TEB describes no stack";
    ASSERT_EQ(commit(page(kPages - 3), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    space().setCurrentTeb(VirtualAddress(0));
    EXPECT_EQ(touch(page(kPages - 3), AccessKind::Write).response, PageFaultResponse::GuardPage);
    EXPECT_EQ(mm().faults().stackGrowth, 0u);
}

TEST_F(ThreadStackTest, ATrimmedTebStillDescribesTheStack) {
    space().trim(space().workingSet().size());
    ASSERT_TRUE(pte(kTeb).isTransition()) << "the TEB's frame waits out of the working set";
    EXPECT_EQ(touch(page(kPages - 3), AccessKind::Write).kind, FaultKind::StackGrowth);
    EXPECT_EQ(tebStackLimit(), page(kPages - 3)) << "written into the frame, still out of it";
    EXPECT_TRUE(pte(kTeb).isTransition());
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(ThreadStackTest, AHandMadeStackInAnyAllocationGrowsAndItsTebLimitFollows) {
    // A fiber's stack: allocated by the program, one page and a guard committed at its top.
    constexpr std::uint64_t kFiber = 64;
    reserve(page(kFiber), 8);
    ASSERT_EQ(commit(page(kFiber + 7), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(commit(page(kFiber + 6), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    makeCurrentTeb(page(kFiber), page(kFiber + 7), page(kFiber + 8));
    for (std::uint64_t guard = kFiber + 6; guard > kFiber + 1; --guard)
        ASSERT_EQ(touch(page(guard) + 8, AccessKind::Write).kind, FaultKind::StackGrowth) << guard;
    EXPECT_EQ(tebStackLimit(), page(kFiber + 2));
    EXPECT_EQ(touch(page(kFiber + 1), AccessKind::Write).response,
              PageFaultResponse::StackOverflow);
    EXPECT_EQ(touch(page(kPages - 3), AccessKind::Write).response, PageFaultResponse::GuardPage)
        << "the thread's own stack is not the current one";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::mm

namespace ntoy::mm {
namespace {

// Regression: a fault on a page whose PTE already allows the access (a translation cached
// before a flushed change) was labelled "demand-zero: frame 0x0".
TEST_F(AddressSpaceFaultTest, SpuriousFaultIsLabelledSoAndRetried) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(touch(page(0), AccessKind::Write).kind, FaultKind::DemandZero);
    const auto again = touch(page(0), AccessKind::Write);
    EXPECT_EQ(again.response, PageFaultResponse::Resolved);
    EXPECT_EQ(again.kind, FaultKind::Spurious);
    EXPECT_EQ(again.describe().rfind("spurious", 0), 0u) << again.describe();
    EXPECT_EQ(mm().faults().demandZero, 1u);
}

// Regression: image frames were handed out as private frames and relabelled afterwards, so the
// counts by use drifted and the image count wrapped below zero on release.
TEST_F(AddressSpaceFaultTest, MaterializedImagePagesAreCountedAsImage) {
    const std::uint64_t privateBefore = mm().pfns().count(PageUse::UserPrivate);
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 2, page::kReadOnly), NtStatus::Success);
    ASSERT_TRUE(space().materialize(page(0), PageUse::UserImage));
    ASSERT_TRUE(space().materialize(page(1), PageUse::UserImage));
    EXPECT_EQ(mm().pfns().count(PageUse::UserImage), 2u);
    EXPECT_EQ(mm().pfns().count(PageUse::UserPrivate), privateBefore);
    space().decommit(page(0), page(2));
    EXPECT_EQ(mm().pfns().count(PageUse::UserImage), 0u);
    EXPECT_EQ(mm().pfns().verify(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::mm
