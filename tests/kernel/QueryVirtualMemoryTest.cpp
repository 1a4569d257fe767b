// NtQueryVirtualMemory against shared/spec/nt-virtual-memory.md.
#include <gtest/gtest.h>

#include "tests/kernel/SystemCallFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::page::kExecuteRead;
using mm::page::kReadWrite;

constexpr std::uint64_t kAt = 0x5000'0000;
class QueryVirtualMemoryTest : public SystemCallFixture {
protected:
    static constexpr std::uint64_t kReturnLength = kCells + 0x100;

    NtStatus query(std::uint64_t address, std::uint64_t infoClass = 0, std::uint64_t buffer = kInfo,
                   std::uint64_t length = 48, std::uint64_t returnLength = kReturnLength,
                   std::uint64_t handle = kCurrentProcess) {
        (void)guest().poke(VirtualAddress(kInfo), MemoryBasicInformation{});
        (void)guest().poke(VirtualAddress(kReturnLength), std::uint64_t{0xDEAD});
        return harness_.call(ke::NtQueryVirtualMemory,
                             {handle, address, infoClass, buffer, length, returnLength});
    }
    MemoryBasicInformation info() {
        return *guest().peek<MemoryBasicInformation>(VirtualAddress(kInfo));
    }
    std::uint64_t returnLength() {
        return *guest().peek<std::uint64_t>(VirtualAddress(kReturnLength));
    }
};

TEST_F(QueryVirtualMemoryTest, FreeRegionRunsToTheNextAllocation) {
    allocateAt(kAt, 0x1000, mem::kReserve, kReadWrite);
    ASSERT_EQ(query(0x4000'1234), NtStatus::Success);
    const auto i = info();
    EXPECT_EQ(i.baseAddress, 0x4000'1000u);
    EXPECT_EQ(i.allocationBase, 0u);
    EXPECT_EQ(i.allocationProtect, 0u);
    EXPECT_EQ(i.regionSize, kAt - 0x4000'1000);
    EXPECT_EQ(i.state, mem::kFree);
    EXPECT_EQ(i.protect, mm::page::kNoAccess);
    EXPECT_EQ(i.type, 0u);
    EXPECT_EQ(returnLength(), 48u);
}

TEST_F(QueryVirtualMemoryTest, FreeRegionAtTheTopRunsToTheEndOfUserSpace) {
    ASSERT_EQ(query(0x80'0000'0000), NtStatus::Success);
    EXPECT_EQ(info().baseAddress + info().regionSize, mm::kHighestUserAddress + 1);
    ASSERT_EQ(query(mm::kHighestUserAddress), NtStatus::Success);
    EXPECT_EQ(info().state, mem::kFree);
    EXPECT_EQ(info().regionSize, mm::kHighestUserAddress + 1 - info().baseAddress);
}

TEST_F(QueryVirtualMemoryTest, ReservedRegionHasNoProtection) {
    allocateAt(kAt, 0x5000, mem::kReserve, kExecuteRead);
    ASSERT_EQ(query(kAt + 0x1800), NtStatus::Success);
    const auto i = info();
    EXPECT_EQ(i.baseAddress, kAt + 0x1000);
    EXPECT_EQ(i.allocationBase, kAt);
    EXPECT_EQ(i.allocationProtect, kExecuteRead);
    EXPECT_EQ(i.regionSize, 0x4000u);
    EXPECT_EQ(i.state, mem::kReserve);
    EXPECT_EQ(i.protect, 0u);
    EXPECT_EQ(i.type, mem::kPrivate);
}

TEST_F(QueryVirtualMemoryTest, RegionIsTheRunOfPagesAlike) {
    allocateAt(kAt, 0x6000, mem::kReserve, kReadWrite);
    ASSERT_EQ(allocate(kAt + 0x1000, 0x2000, mem::kCommit, kReadWrite), NtStatus::Success);
    ASSERT_EQ(allocate(kAt + 0x3000, 0x1000, mem::kCommit, kExecuteRead), NtStatus::Success);
    struct Expected {
        std::uint64_t size;
        std::uint32_t state, protect;
    };
    const Expected runs[] = {{0x1000, mem::kReserve, 0},
                             {0x2000, mem::kCommit, kReadWrite},
                             {0x1000, mem::kCommit, kExecuteRead},
                             {0x2000, mem::kReserve, 0}};
    std::uint64_t at = kAt;
    for (const auto& run : runs) {
        ASSERT_EQ(query(at), NtStatus::Success);
        EXPECT_EQ(info().baseAddress, at);
        EXPECT_EQ(info().regionSize, run.size) << std::hex << at;
        EXPECT_EQ(info().state, run.state) << std::hex << at;
        EXPECT_EQ(info().protect, run.protect) << std::hex << at;
        EXPECT_EQ(info().allocationBase, kAt);
        at += run.size;
    }
    ASSERT_EQ(query(at), NtStatus::Success);
    EXPECT_EQ(info().state, mem::kFree) << "the 64 KB block's tail is free";
}

TEST_F(QueryVirtualMemoryTest, ReservedRunAcrossMissingTablesIsOneRegion) {
    allocateAt(kAt, 0x40'0000, mem::kReserve, kReadWrite);  // 4 MB: two leaf tables' worth
    ASSERT_EQ(allocate(kAt + 0x3F'F000, 0x1000, mem::kCommit, kReadWrite), NtStatus::Success);
    ASSERT_EQ(query(kAt), NtStatus::Success);
    EXPECT_EQ(info().state, mem::kReserve);
    EXPECT_EQ(info().regionSize, 0x3F'F000u);
}

TEST_F(QueryVirtualMemoryTest, RejectsBadArgumentsWithoutWritingOutputs) {
    EXPECT_EQ(query(kAt, 1), NtStatus::InvalidInfoClass);
    EXPECT_EQ(query(kAt, ~0ull), NtStatus::InvalidInfoClass);
    EXPECT_EQ(query(kAt, 0, kInfo, 47), NtStatus::InfoLengthMismatch);
    EXPECT_EQ(query(kAt, 0, kInfo, 0), NtStatus::InfoLengthMismatch);
    EXPECT_EQ(query(mm::kHighestUserAddress + 1), NtStatus::InvalidParameter);
    EXPECT_EQ(query(kSystemPointer), NtStatus::InvalidParameter);
    EXPECT_EQ(query(kAt, 0, kInfo, 48, kReturnLength, 0), NtStatus::InvalidHandle);
    EXPECT_EQ(returnLength(), 0xDEADu);
    EXPECT_EQ(info().baseAddress, 0u);
    EXPECT_EQ(query(kAt, 0, 0), NtStatus::AccessViolation);
    EXPECT_EQ(query(kAt, 0, kReadOnlyPage), NtStatus::AccessViolation);
    EXPECT_EQ(query(kAt, 0, kCells + 2 * kPageSize - 40), NtStatus::AccessViolation)
        << "the buffer runs into the read-only page";
    EXPECT_EQ(query(kAt, 0, kInfo, 48, kSystemPointer), NtStatus::AccessViolation);
    EXPECT_EQ(info().baseAddress, 0u) << "a bad ReturnLength is found before the buffer is written";
}

TEST_F(QueryVirtualMemoryTest, AcceptsALongerBufferAndNoReturnLength) {
    EXPECT_EQ(query(kCells, 0, kInfo, 4096, 0), NtStatus::Success);
    EXPECT_EQ(info().baseAddress, kCells);
    EXPECT_EQ(info().state, mem::kCommit);
    EXPECT_EQ(info().regionSize, 2 * kPageSize);
    EXPECT_EQ(returnLength(), 0xDEADu);
}

}  // namespace
}  // namespace ntoy::test
