// NtFreeVirtualMemory against shared/spec/nt-virtual-memory.md.
#include <gtest/gtest.h>

#include "kernel/mm/UserMemory.h"
#include "tests/kernel/SystemCallArguments.h"
#include "tests/kernel/SystemCallFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::page::kReadWrite;

constexpr std::uint64_t kAt = 0x5000'0000;

class FreeVirtualMemoryTest : public SystemCallFixture {
protected:
    struct State {
        std::uint64_t base, size, charge, vads, committed;
        bool operator==(const State&) const = default;
    };
    State state() {
        return {base(), size(), mm().commit().charge(), space().vads().size(),
                space().committedPages()};
    }
    void expectRefused(NtStatus status, std::uint64_t base, std::uint64_t size, std::uint32_t type,
                       std::uint64_t handle = kCurrentProcess) {
        set(0, base);
        set(1, size);
        const State before = state();
        EXPECT_EQ(free(base, size, type, handle), status)
            << std::hex << "base " << base << " size " << size << " type " << type;
        EXPECT_EQ(state(), before) << "a failed call changes nothing, outputs included";
    }
    // Eight committed pages at kAt, the first and the last touched.
    void SetUp() override {
        allocateAt(kAt, 0x8000, mem::kReserve | mem::kCommit, kReadWrite);
        ASSERT_TRUE(guest().poke(VirtualAddress(kAt), std::uint64_t{1}));
        ASSERT_TRUE(guest().poke(VirtualAddress(kAt + 0x7000), std::uint64_t{1}));
    }
};

TEST_F(FreeVirtualMemoryTest, FreeTypeMustBeExactlyDecommitOrRelease) {
    for (std::uint32_t type : {0u, mem::kDecommit | mem::kRelease, mem::kFree, mem::kCommit,
                               mem::kRelease | 0x1u, 0xFFFF'FFFFu})
        expectRefused(NtStatus::InvalidParameter4, kAt, 0, type);
}

TEST_F(FreeVirtualMemoryTest, NothingAllocatedThereIsMemoryNotAllocated) {
    expectRefused(NtStatus::MemoryNotAllocated, 0x6000'0000, 0, mem::kRelease);
    expectRefused(NtStatus::MemoryNotAllocated, kAt + 0x8000, 0x1000, mem::kRelease);  // 64K tail
    expectRefused(NtStatus::MemoryNotAllocated, 0, 0, mem::kDecommit);
    ASSERT_EQ(free(kAt, 0, mem::kRelease), NtStatus::Success);
    expectRefused(NtStatus::MemoryNotAllocated, kAt, 0, mem::kRelease);  // released before
}

TEST_F(FreeVirtualMemoryTest, SizeZeroNeedsTheAllocationsFirstPage) {
    expectRefused(NtStatus::FreeVmNotAtBase, kAt + 0x1000, 0, mem::kRelease);
    expectRefused(NtStatus::FreeVmNotAtBase, kAt + 0x7FFF, 0, mem::kDecommit);
    EXPECT_EQ(free(kAt + 0x10, 0, mem::kRelease), NtStatus::Success) << "inside the first page";
    EXPECT_EQ(base(), kAt);
}

TEST_F(FreeVirtualMemoryTest, ReleaseOfTheWholeAllocationGivesEverythingBack) {
    const std::uint64_t charge = mm().commit().charge();
    const std::uint64_t frames = mm().pfns().count(mm::PageUse::UserPrivate);
    ASSERT_EQ(free(kAt, 0, mem::kRelease), NtStatus::Success);
    EXPECT_EQ(base(), kAt);
    EXPECT_EQ(size(), 0x8000u);
    EXPECT_EQ(space().findVad(VirtualAddress(kAt)), nullptr);
    EXPECT_EQ(mm().commit().charge(), charge - 8 - 1) << "eight pages and their leaf table";
    EXPECT_EQ(mm().pfns().count(mm::PageUse::UserPrivate), frames - 2);
    EXPECT_FALSE(mmu().aliasOf(VirtualAddress(kAt)));
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(FreeVirtualMemoryTest, DecommitOfTheWholeAllocationKeepsItReserved) {
    const std::uint64_t charge = mm().commit().charge();
    ASSERT_EQ(free(kAt, 0, mem::kDecommit), NtStatus::Success);
    EXPECT_EQ(base(), kAt);
    EXPECT_EQ(size(), 0u) << "as the spec says for DECOMMIT with size 0";
    ASSERT_NE(space().findVad(VirtualAddress(kAt)), nullptr);
    EXPECT_FALSE(space().tables().pteAt(VirtualAddress(kAt)).isCommitted());
    EXPECT_EQ(mm().commit().charge(), charge - 8 - 1);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(FreeVirtualMemoryTest, PartialReleaseSplitsTheAllocation) {
    ASSERT_EQ(free(kAt + 0x2010, 0x1FF0, mem::kRelease), NtStatus::Success);
    EXPECT_EQ(base(), kAt + 0x2000);
    EXPECT_EQ(size(), 0x2000u);
    EXPECT_EQ(space().findVad(VirtualAddress(kAt + 0x2000)), nullptr);
    EXPECT_EQ(space().findVad(VirtualAddress(kAt + 0x3FFF)), nullptr);
    // Each remaining part is an allocation of its own, released with its own base.
    expectRefused(NtStatus::FreeVmNotAtBase, kAt + 0x5000, 0, mem::kRelease);
    ASSERT_EQ(free(kAt + 0x4000, 0, mem::kRelease), NtStatus::Success);
    EXPECT_EQ(size(), 0x4000u);
    ASSERT_EQ(free(kAt, 0, mem::kRelease), NtStatus::Success);
    EXPECT_EQ(size(), 0x2000u);
    EXPECT_EQ(space().vads().size(), 1u) << "only the cells";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(FreeVirtualMemoryTest, RangeMustLieInsideOneAllocation) {
    expectRefused(NtStatus::UnableToFreeVm, kAt + 0x7000, 0x1001, mem::kRelease);
    expectRefused(NtStatus::UnableToFreeVm, kAt, 0x9000, mem::kDecommit);
    ASSERT_EQ(free(kAt + 0x2000, 0x1000, mem::kRelease), NtStatus::Success);
    expectRefused(NtStatus::UnableToFreeVm, kAt, 0x4000, mem::kRelease);  // across the hole
}

TEST_F(FreeVirtualMemoryTest, DecommitOfReservedPagesSucceeds) {
    ASSERT_EQ(free(kAt + 0x1000, 0x2000, mem::kDecommit), NtStatus::Success);
    const std::uint64_t charge = mm().commit().charge();
    ASSERT_EQ(free(kAt + 0x1000, 0x2000, mem::kDecommit), NtStatus::Success);
    EXPECT_EQ(base(), kAt + 0x1000);
    EXPECT_EQ(size(), 0x2000u);
    EXPECT_EQ(mm().commit().charge(), charge);
}

TEST_F(FreeVirtualMemoryTest, FreedPagesCannotBeReadAfterwards) {
    mmu().clearRecord();
    ASSERT_EQ(free(kAt, 0x8000, mem::kDecommit), NtStatus::Success);
    mm::UserMemory user(space());
    EXPECT_EQ(user.read<std::uint64_t>(VirtualAddress(kAt)).error(), NtStatus::AccessViolation);
    EXPECT_EQ(user.read<std::uint64_t>(VirtualAddress(kAt + 0x7000)).error(),
              NtStatus::AccessViolation);
    EXPECT_EQ(mmu().counts().unmapped, 2u) << "the two pages that had frames";
    EXPECT_FALSE(mmu().aliasOf(VirtualAddress(kAt)));
    // The guest runs again only after the kernel entry's flush (the harness does it, as the
    // engine does): no access may see a stale translation.
    mmu().guestAccess(VirtualAddress(kAt));
    EXPECT_TRUE(mmu().accessesWhileStale().empty());
}

TEST_F(FreeVirtualMemoryTest, ChecksBaseSizeAndHandle) {
    expectRefused(NtStatus::InvalidParameter2, mm::kHighestUserAddress + 1, 0, mem::kRelease);
    expectRefused(NtStatus::InvalidParameter3, kAt, ~0ull, mem::kRelease);
    expectRefused(NtStatus::InvalidParameter3, mm::kHighestUserAddress, 2, mem::kRelease);
    expectRefused(NtStatus::InvalidHandle, kAt, 0, mem::kRelease, 0);
    expectRefused(NtStatus::ObjectTypeMismatch,  // a thread is no process
                  kAt, 0, mem::kRelease, kCurrentThreadHandle);
    set(1, 0);
    EXPECT_EQ(harness_.call(ke::NtFreeVirtualMemory,
                            {kCurrentProcess, kReadOnlyPage, cell(1).value(), mem::kRelease}),
              NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtFreeVirtualMemory,
                            {kCurrentProcess, cell(0).value(), kSystemPointer, mem::kRelease}),
              NtStatus::AccessViolation);
    EXPECT_NE(space().findVad(VirtualAddress(kAt)), nullptr);
}

}  // namespace
}  // namespace ntoy::test
