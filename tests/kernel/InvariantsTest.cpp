// The invariant checker the robustness test relies on must notice each kind of damage.
#include "tests/kernel/fakes/Invariants.h"

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

}  // namespace
}  // namespace ntoy::test
