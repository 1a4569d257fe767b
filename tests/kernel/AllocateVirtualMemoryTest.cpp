// NtAllocateVirtualMemory against shared/spec/nt-virtual-memory.md.
#include <gtest/gtest.h>

#include "tests/kernel/SystemCallFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::page::kExecuteRead;
using mm::page::kReadWrite;

class AllocateVirtualMemoryTest : public SystemCallFixture {
protected:
    // Everything a failed call must leave alone.
    struct State {
        std::uint64_t base, size, charge, vads, committed;
        bool operator==(const State&) const = default;
    };
    State state() {
        return {base(), size(), mm().commit().charge(), space().vads().size(),
                space().committedPages()};
    }
    // Calls with (base, size) and expects `status` with nothing changed.
    void expectRefused(NtStatus status, std::uint64_t base, std::uint64_t size, std::uint32_t type,
                       std::uint32_t protect, std::uint64_t zeroBits = 0,
                       std::uint64_t handle = kCurrentProcess) {
        set(0, base);
        set(1, size);
        const State before = state();
        EXPECT_EQ(allocate(base, size, type, protect, zeroBits, handle), status)
            << std::hex << "base " << base << " size " << size << " type " << type << " protect "
            << protect << " zeroBits " << zeroBits;
        EXPECT_EQ(state(), before) << "a failed call changes nothing, outputs included";
    }
};

TEST_F(AllocateVirtualMemoryTest, ReserveRoundsBaseDownTo64KAndEndUpToAPage) {
    ASSERT_EQ(allocate(0x5000'0000, 1, mem::kReserve, kReadWrite), NtStatus::Success);
    EXPECT_EQ(base(), 0x5000'0000u);
    EXPECT_EQ(size(), 0x1000u);
    ASSERT_EQ(allocate(0x6000'1010, 0x1000, mem::kReserve, kReadWrite), NtStatus::Success);
    EXPECT_EQ(base(), 0x6000'0000u);
    EXPECT_EQ(size(), 0x3000u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AllocateVirtualMemoryTest, ReserveCostsNoCommit) {
    const std::uint64_t charge = mm().commit().charge();
    ASSERT_EQ(allocate(0, 0x100000, mem::kReserve, kReadWrite), NtStatus::Success);
    EXPECT_EQ(mm().commit().charge(), charge);
}

TEST_F(AllocateVirtualMemoryTest, OverlapIncludingTheTailOfA64KBlockConflicts) {
    allocateAt(0x5000'0000, 0x1000, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::ConflictingAddresses, 0x5000'8000, 0x1000, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::ConflictingAddresses, 0x5000'0000, 0x1000, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::ConflictingAddresses, 0x4FFF'0000, 0x20000,
                  mem::kReserve | mem::kCommit, kReadWrite);
    EXPECT_EQ(allocate(0x5001'0000, 0x1000, mem::kReserve, kReadWrite), NtStatus::Success);
}

TEST_F(AllocateVirtualMemoryTest, NullBaseReservationsLand64KApart) {
    ASSERT_EQ(allocate(0, 0xC000, mem::kReserve, kReadWrite), NtStatus::Success);
    const std::uint64_t first = base();
    EXPECT_EQ(size(), 0xC000u);
    ASSERT_EQ(allocate(0, 0xC000, mem::kReserve, kReadWrite), NtStatus::Success);
    EXPECT_EQ(base(), first + 0x10000);
    EXPECT_EQ(first % kAllocationGranularity, 0u);
    EXPECT_GE(first, mm::kLowestUserAddress);
}

TEST_F(AllocateVirtualMemoryTest, TopDownTakesTheHighestFreeRange) {
    ASSERT_EQ(allocate(0, 0x3000, mem::kReserve | mem::kTopDown, kReadWrite), NtStatus::Success);
    EXPECT_EQ(base(), mm::kHighestUserAddress + 1 - 0x10000);
    ASSERT_EQ(allocate(0, 0x3000, mem::kReserve | mem::kTopDown, kReadWrite), NtStatus::Success);
    EXPECT_EQ(base(), mm::kHighestUserAddress + 1 - 0x20000);
}

TEST_F(AllocateVirtualMemoryTest, ZeroBitsLimitsWhereTheKernelPlacesIt) {
    ASSERT_EQ(allocate(0, 0x10000, mem::kReserve | mem::kTopDown, kReadWrite, 1),
              NtStatus::Success);
    EXPECT_EQ(base() + size(), 0x8000'0000u) << "1 zero bit: below 2 GB";
    ASSERT_EQ(allocate(0, 0x10000, mem::kReserve | mem::kTopDown, kReadWrite, 15),
              NtStatus::Success);
    EXPECT_EQ(base(), 0x10000u) << "15 zero bits: below 2^17, only the lowest 64 KB fits";
    // 21 zero bits: below 2 KB, where nothing may be allocated.
    expectRefused(NtStatus::NoMemory, 0, 0x1000, mem::kReserve, kReadWrite, 21);
    ASSERT_EQ(allocate(0, 0x10000, mem::kReserve | mem::kTopDown, kReadWrite, 0x3FFF'FFFF),
              NtStatus::Success);
    EXPECT_EQ(base() + size(), 0x4000'0000u) << "a mask of the allowed bits";
    expectRefused(NtStatus::NoMemory, 0, 0x100000, mem::kReserve, kReadWrite, 0xF'FFFF);
}

TEST_F(AllocateVirtualMemoryTest, ZeroBitsBetween22And31IsInvalid) {
    for (std::uint64_t zeroBits = 22; zeroBits < 32; ++zeroBits)
        expectRefused(NtStatus::InvalidParameter3, 0, 0x1000, mem::kReserve, kReadWrite, zeroBits);
}

TEST_F(AllocateVirtualMemoryTest, TypeMustBeCommitReserveOrReset) {
    const std::uint32_t invalid[] = {0,
                                     mem::kTopDown,
                                     mem::kDecommit,
                                     mem::kRelease,
                                     mem::kFree,
                                     mem::kPrivate,
                                     mem::kMapped,
                                     mem::kReset | mem::kCommit,
                                     mem::kReset | mem::kReserve,
                                     mem::kReset | mem::kTopDown,
                                     mem::kCommit | 0x1,
                                     mem::kReserve | 0x8000'0000};
    for (std::uint32_t type : invalid)
        expectRefused(NtStatus::InvalidParameter5, 0, 0x1000, type, kReadWrite);
}

TEST_F(AllocateVirtualMemoryTest, ProtectionMustBeOneBaseWithOneModifierAndNoCopy) {
    const std::uint32_t invalid[] = {0,
                                     mm::page::kReadOnly | mm::page::kReadWrite,
                                     mm::page::kNoAccess | mm::page::kGuard,
                                     mm::page::kNoAccess | mm::page::kNoCache,
                                     mm::page::kWriteCopy,
                                     mm::page::kExecuteWriteCopy,
                                     kReadWrite | mm::page::kGuard | mm::page::kNoCache,
                                     mm::page::kGuard};
    for (std::uint32_t protect : invalid)
        expectRefused(NtStatus::InvalidPageProtection, 0, 0x1000, mem::kReserve | mem::kCommit,
                      protect);
    for (std::uint32_t protect : {mm::page::kNoAccess, mm::page::kExecute,
                                  kReadWrite | mm::page::kGuard, kReadWrite | mm::page::kNoCache})
        EXPECT_EQ(allocate(0, 0x1000, mem::kReserve | mem::kCommit, protect), NtStatus::Success)
            << protect;
}

TEST_F(AllocateVirtualMemoryTest, ChecksArgumentsInTheSpecifiedOrder) {
    const std::uint64_t high = mm::kHighestUserAddress;
    expectRefused(NtStatus::InvalidParameter3, high + 1, 0, mem::kReserve, kReadWrite, 25);
    expectRefused(NtStatus::InvalidParameter4, high + 1, 0, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::InvalidParameter2, high + 1, 0x1000, mem::kReserve, kReadWrite, 0, 1);
    expectRefused(NtStatus::InvalidParameter2, ~0ull, 0x1000, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::InvalidParameter4, high - 0xFFF, 0x1001, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::InvalidParameter4, 0x10000, ~0ull, mem::kReserve, kReadWrite);
    // Base + size wraps around.
    expectRefused(NtStatus::InvalidParameter4, 0x10000, ~0ull - 0xFFFF, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::InvalidHandle, 0, 0x1000, mem::kReserve, kReadWrite, 0, 0);
    expectRefused(NtStatus::ObjectTypeMismatch,  // the console is no process
                  0, 0x1000, mem::kReserve, kReadWrite, 0, 8);
}

TEST_F(AllocateVirtualMemoryTest, UnusablePointersGiveAccessViolationBeforeAnyChange) {
    // The readable ones hold a usable base (0) and size (0x1000), so that only the pointer
    // itself is wrong: one in the read-only page, one straddling into it.
    const std::uint64_t readOnlyCell = kReadOnlyPage + 8;
    const std::uint64_t straddling = kReadOnlyPage - 4;
    ASSERT_TRUE(guest().poke(VirtualAddress(readOnlyCell), std::uint64_t{0x1000}));
    ASSERT_TRUE(guest().poke(VirtualAddress(straddling), std::uint32_t{0x1000}));
    const std::uint64_t charge = mm().commit().charge();
    for (std::uint64_t bad : {std::uint64_t{0}, kSystemPointer, kReservedPage, readOnlyCell,
                              straddling, std::uint64_t{0x0000'8000'0000'0000}}) {
        set(1, 0x1000);
        EXPECT_EQ(
            harness_.call(ke::NtAllocateVirtualMemory, {kCurrentProcess, bad, 0, cell(1).value(),
                                                        mem::kReserve | mem::kCommit, kReadWrite}),
            NtStatus::AccessViolation)
            << std::hex << bad;
        set(0, 0);
        EXPECT_EQ(
            harness_.call(ke::NtAllocateVirtualMemory, {kCurrentProcess, cell(0).value(), 0, bad,
                                                        mem::kReserve | mem::kCommit, kReadWrite}),
            NtStatus::AccessViolation)
            << std::hex << bad;
    }
    EXPECT_EQ(space().vads().size(), 1u) << "only the cells";
    EXPECT_EQ(mm().commit().charge(), charge);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AllocateVirtualMemoryTest, ChecksTheValuesBeforeProbingTheirPointersForWrite) {
    // Readable but not writable cells: the spec checks *Size and *Base before the probe.
    const std::uint64_t sizeCell = kReadOnlyPage + 16, baseCell = kReadOnlyPage + 24;
    ASSERT_TRUE(guest().poke(VirtualAddress(sizeCell), std::uint64_t{0}));
    ASSERT_TRUE(guest().poke(VirtualAddress(baseCell), mm::kHighestUserAddress + 1));
    set(0, 0);
    set(1, 0x1000);
    EXPECT_EQ(harness_.call(ke::NtAllocateVirtualMemory, {kCurrentProcess, cell(0).value(), 0,
                                                          sizeCell, mem::kReserve, kReadWrite}),
              NtStatus::InvalidParameter4);
    EXPECT_EQ(
        harness_.call(ke::NtAllocateVirtualMemory,
                      {kCurrentProcess, baseCell, 0, cell(1).value(), mem::kReserve, kReadWrite}),
        NtStatus::InvalidParameter2);
}

TEST_F(AllocateVirtualMemoryTest, AGuardedOutputPointerIsRefusedAndDisarmed) {
    set(0, 0);
    EXPECT_EQ(harness_.call(ke::NtAllocateVirtualMemory, {kCurrentProcess, cell(0).value(), 0,
                                                          kGuardPage, mem::kReserve, kReadWrite}),
              NtStatus::AccessViolation);
    EXPECT_EQ(space().tables().pteAt(VirtualAddress(kGuardPage)).protection().toWin32(),
              kReadWrite);
    EXPECT_EQ(space().vads().size(), 1u);
}

TEST_F(AllocateVirtualMemoryTest, CommitIsChargedOncePerPage) {
    const std::uint64_t charge = mm().commit().charge();
    ASSERT_EQ(allocate(0x5000'0000, 0x4000, mem::kReserve | mem::kCommit, kReadWrite),
              NtStatus::Success);
    const std::uint64_t afterFirst = mm().commit().charge();
    EXPECT_EQ(afterFirst, charge + 4 + 1) << "four pages and a leaf table (the cells' directory "
                                             "covers it)";
    EXPECT_EQ(space().committedPages(), 2u + 1 + 1 + 4) << "the cells' four and these four";
    ASSERT_EQ(allocate(0x5000'0000, 0x4000, mem::kCommit, kExecuteRead), NtStatus::Success);
    EXPECT_EQ(mm().commit().charge(), afterFirst) << "committed pages are not charged again";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AllocateVirtualMemoryTest, CommitWithANullBaseReserves) {
    ASSERT_EQ(allocate(0, 0x2000, mem::kCommit, kReadWrite), NtStatus::Success);
    EXPECT_NE(base(), 0u);
    EXPECT_EQ(size(), 0x2000u);
    ASSERT_NE(space().findVad(VirtualAddress(base())), nullptr);
    EXPECT_TRUE(space().tables().pteAt(VirtualAddress(base() + 0x1000)).isCommitted());
}

TEST_F(AllocateVirtualMemoryTest, CommitRoundsToPagesInsideTheAllocation) {
    allocateAt(0x5000'0000, 0x10000, mem::kReserve, kReadWrite);
    ASSERT_EQ(allocate(0x5000'1010, 0x1000, mem::kCommit, kReadWrite), NtStatus::Success);
    EXPECT_EQ(base(), 0x5000'1000u) << "committing rounds to pages, not to 64 KB";
    EXPECT_EQ(size(), 0x2000u);
    EXPECT_FALSE(space().tables().pteAt(VirtualAddress(0x5000'0000)).isCommitted());
    EXPECT_TRUE(space().tables().pteAt(VirtualAddress(0x5000'2000)).isCommitted());
}

TEST_F(AllocateVirtualMemoryTest, CommitMustLieInsideOneAllocation) {
    allocateAt(0x5000'0000, 0x3000, mem::kReserve, kReadWrite);
    allocateAt(0x5001'0000, 0x10000, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::ConflictingAddresses, 0x5800'0000, 0x1000, mem::kCommit, kReadWrite);
    // Past its end.
    expectRefused(NtStatus::ConflictingAddresses, 0x5000'2000, 0x2000, mem::kCommit, kReadWrite);
    // The unused tail of its 64 KB block.
    expectRefused(NtStatus::ConflictingAddresses, 0x5000'3000, 0x1000, mem::kCommit, kReadWrite);
    // Spanning two allocations.
    expectRefused(NtStatus::ConflictingAddresses, 0x5000'0000, 0x20000, mem::kCommit, kReadWrite);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AllocateVirtualMemoryTest, RecommitKeepsContentsAndTakesTheNewProtection) {
    allocateAt(0x5000'0000, 0x2000, mem::kReserve | mem::kCommit, kReadWrite);
    ASSERT_TRUE(guest().poke(VirtualAddress(0x5000'0010), std::uint64_t{0x1234}));
    ASSERT_EQ(allocate(0x5000'0000, 0x2000, mem::kCommit, mm::page::kReadOnly), NtStatus::Success);
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(0x5000'0010)), 0x1234u);
    EXPECT_EQ(space().tables().pteAt(VirtualAddress(0x5000'0000)).protection().toWin32(),
              mm::page::kReadOnly);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

// PAGE_NOCACHE and PAGE_WRITECOMBINE belong to the allocation: pages committed later take
// the allocation's, whatever the commit asks for.
TEST_F(AllocateVirtualMemoryTest, CommittedPagesTakeTheAllocationsCacheAttribute) {
    using mm::page::kNoCache;
    using mm::page::kWriteCombine;
    const auto protectionAt = [&](std::uint64_t va) {
        return space().tables().pteAt(VirtualAddress(va)).protection().toWin32();
    };
    allocateAt(0x5000'0000, 0x3000, mem::kReserve, kReadWrite | kNoCache);
    ASSERT_EQ(allocate(0x5000'0000, 0x1000, mem::kCommit, kReadWrite), NtStatus::Success);
    EXPECT_EQ(protectionAt(0x5000'0000), kReadWrite | kNoCache);
    ASSERT_EQ(allocate(0x5000'1000, 0x1000, mem::kCommit, kExecuteRead | kWriteCombine),
              NtStatus::Success);
    EXPECT_EQ(protectionAt(0x5000'1000), kExecuteRead | kNoCache);
    ASSERT_EQ(allocate(0x5000'2000, 0x1000, mem::kCommit, kReadWrite | mm::page::kGuard),
              NtStatus::Success);
    EXPECT_EQ(protectionAt(0x5000'2000), kReadWrite | mm::page::kGuard)
        << "a guard page has no room for a cache attribute until it fires";

    allocateAt(0x6000'0000, 0x1000, mem::kReserve, kReadWrite);
    ASSERT_EQ(allocate(0x6000'0000, 0x1000, mem::kCommit, kReadWrite | kNoCache),
              NtStatus::Success);
    EXPECT_EQ(protectionAt(0x6000'0000), kReadWrite) << "accepted and ignored";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AllocateVirtualMemoryTest, CommitmentLimitChangesNothing) {
    const std::uint64_t tooMany = (mm().commit().limit() + 1) * kPageSize;
    expectRefused(NtStatus::CommitmentLimit, 0, tooMany, mem::kReserve | mem::kCommit, kReadWrite);
    expectRefused(NtStatus::CommitmentLimit, 0x5000'0000, tooMany, mem::kReserve | mem::kCommit,
                  kReadWrite);
    allocateAt(0x6000'0000, tooMany, mem::kReserve, kReadWrite);
    expectRefused(NtStatus::CommitmentLimit, 0x6000'0000, tooMany, mem::kCommit, kReadWrite);
    EXPECT_FALSE(space().tables().pteAt(VirtualAddress(0x6000'0000)).isCommitted());
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AllocateVirtualMemoryTest, CommitUpToTheLimitThenOneMoreFails) {
    allocateAt(0x6000'0000, 0x200000, mem::kReserve, kReadWrite);  // one leaf table's span
    ASSERT_EQ(allocate(0x6000'0000, 0x1000, mem::kCommit, kReadWrite), NtStatus::Success);
    const std::uint64_t left = mm().commit().limit() - mm().commit().charge();
    ASSERT_LT(left, 511u);
    ASSERT_EQ(allocate(0x6000'1000, left * kPageSize, mem::kCommit, kReadWrite), NtStatus::Success);
    EXPECT_EQ(mm().commit().charge(), mm().commit().limit());
    expectRefused(NtStatus::CommitmentLimit, 0x6000'0000 + (left + 1) * kPageSize, 1, mem::kCommit,
                  kReadWrite);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(AllocateVirtualMemoryTest, ResetKeepsCommittedPagesCommitted) {
    allocateAt(0x5000'0000, 0x2000, mem::kReserve | mem::kCommit, kExecuteRead);
    const std::uint64_t charge = mm().commit().charge();
    ASSERT_EQ(allocate(0x5000'0000, 0x2000, mem::kReset, kReadWrite), NtStatus::Success);
    EXPECT_EQ(mm().commit().charge(), charge);
    EXPECT_EQ(space().tables().pteAt(VirtualAddress(0x5000'1000)).protection().toWin32(),
              kExecuteRead);
    // Past the allocation's end.
    expectRefused(NtStatus::ConflictingAddresses, 0x5000'0000, 0x3000, mem::kReset, kReadWrite);
}

}  // namespace
}  // namespace ntoy::test
