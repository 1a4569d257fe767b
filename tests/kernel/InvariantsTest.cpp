// The invariant checker the robustness test and the checked kernel rely on must notice each
// kind of damage.
#include "kernel/mm/Invariants.h"

#include <gtest/gtest.h>

#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

class InvariantsTest : public AddressSpaceFixture {
protected:
    void SetUp() override {
        reserve(page(0), 4);
        ASSERT_EQ(commit(page(0), 2, mm::page::kReadWrite), NtStatus::Success);
        ASSERT_TRUE(space().materialize(page(0)));
        ASSERT_EQ(brokenInvariant(), std::nullopt);
    }
    void expectFound(const char* what) {
        const auto problem = brokenInvariant();
        ASSERT_TRUE(problem) << "the checker missed it";
        EXPECT_NE(problem->find(what), std::string::npos) << *problem;
    }
};

TEST_F(InvariantsTest, FindsAChargeNobodyOwns) {
    auto charge = mm().commit().charge(1);
    ASSERT_TRUE(charge);
    charge->keep();
    expectFound("commit charge");
}

TEST_F(InvariantsTest, FindsALeakedFrame) {
    ASSERT_TRUE(mm().pfns().allocateZeroed(mm::PageUse::UserPrivate));
    expectFound("user frames are in use");
}

TEST_F(InvariantsTest, FindsAValidPageTheMmuWasNotToldAbout) {
    const PhysicalAddress at = *space().tables().findPte(page(1));
    const Pfn frame = *mm().pfns().allocateZeroed(mm::PageUse::UserPrivate);
    mm().pfns().entry(frame).pteAddress = at;
    space().tables().write(at, mm::Pte::valid(frame, protection(mm::page::kReadWrite), true));
    expectFound("not announced");
    // Undone, so that the address space can be destroyed without a bug check.
    space().tables().write(at, mm::Pte::demandZero(protection(mm::page::kReadWrite)));
    mm().pfns().release(frame);
}

TEST_F(InvariantsTest, AcceptsTheAccessedAndDirtyBitsTheCpuSets) {
    const PhysicalAddress at = *space().tables().findPte(page(0));
    const mm::Pte pte = space().tables().pteAt(page(0));
    space().tables().write(at,
                           mm::Pte(pte.raw() | static_cast<std::uint64_t>(mm::PteBit::Accessed) |
                                   static_cast<std::uint64_t>(mm::PteBit::Dirty)));
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(InvariantsTest, FindsAValidPteWithABitTheKernelDidNotSet) {
    const PhysicalAddress at = *space().tables().findPte(page(0));
    const mm::Pte pte = space().tables().pteAt(page(0));
    space().tables().write(at, mm::Pte(pte.raw() | static_cast<std::uint64_t>(mm::PteBit::Global)));
    expectFound("valid PTE of");
    space().tables().write(at, pte);  // undone, as above
}

TEST_F(InvariantsTest, FindsACommittedPageOutsideEveryAllocation) {
    const PhysicalAddress at = *space().tables().findPte(page(4));
    space().tables().write(at, mm::Pte::demandZero(protection(mm::page::kReadWrite)));
    expectFound("lies in no allocation");
}

TEST_F(InvariantsTest, FindsACommittedPageThatIsNotCharged) {
    const PhysicalAddress at = *space().tables().findPte(page(3));
    space().tables().write(at, mm::Pte::demandZero(protection(mm::page::kReadWrite)));
    expectFound("the process is charged for");
}

TEST_F(InvariantsTest, FindsAMiscountedTable) {
    const PhysicalAddress at = *space().tables().findPte(page(0));
    ++mm().pfns().entry(at.pfn()).usedEntries;
    expectFound("entries in use");
}

TEST_F(InvariantsTest, FindsAFrameOwnedByTwoPages) {
    const PhysicalAddress at = *space().tables().findPte(page(1));
    const Pfn shared = space().tables().pteAt(page(0)).pfn();
    const mm::Pte before = space().tables().read(at);
    space().tables().write(at, mm::Pte::transition(shared, protection(mm::page::kNoAccess)));
    expectFound("named by two PTEs");
    space().tables().write(at, before);  // undone, as above
}

TEST_F(InvariantsTest, FindsAStaleAlias) {
    const Pfn frame = *mm().pfns().allocateZeroed(mm::PageUse::UserPrivate);
    mmu().mapped(page(2), frame);
    mm().pfns().release(frame);
    EXPECT_EQ(staleAliases(space(), mmu()), std::vector<VirtualAddress>{page(2)});
}

TEST_F(InvariantsTest, AProcessExitGivesEverythingBack) {
    const auto before = mm::MemoryBaseline::of(mm());
    auto other = system_.createProcess();
    ASSERT_TRUE(other);
    other->space().reserve(page(0), 4, mm::page::kReadWrite, mm::VadType::Private);
    ASSERT_EQ(other->space().commit(page(0), page(2), protection(mm::page::kReadWrite)),
              NtStatus::Success);
    ASSERT_TRUE(other->space().materialize(page(1)));
    EXPECT_NE(mm::checkNothingLeaked(mm(), before), std::nullopt);
    other.reset();
    EXPECT_EQ(mm::checkNothingLeaked(mm(), before), std::nullopt);
}

TEST_F(InvariantsTest, FindsAFrameKeptAfterAnExit) {
    const auto before = mm::MemoryBaseline::of(mm());
    ASSERT_TRUE(mm().pfns().allocateZeroed(mm::PageUse::UserPrivate));
    const auto leaked = mm::checkNothingLeaked(mm(), before);
    ASSERT_TRUE(leaked);
    EXPECT_NE(leaked->find("leaked"), std::string::npos) << *leaked;
}

}  // namespace
}  // namespace ntoy::test
