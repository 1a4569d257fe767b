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
    EXPECT_EQ(query(kAt, 2), NtStatus::InvalidInfoClass);
    EXPECT_EQ(query(kAt, 5), NtStatus::InvalidInfoClass);
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

// MEMORY_REGION_INFORMATION and MEMORY_IMAGE_INFORMATION, x64.
struct RegionInformation {
    std::uint64_t allocationBase;
    std::uint32_t allocationProtect, regionType;
    std::uint64_t regionSize, commitSize, partitionId, nodePreference;
};
struct ImageInformation {
    std::uint64_t imageBase, sizeOfImage;
    std::uint32_t imageFlags, reserved;
};
constexpr std::uint64_t kRegionClass = 3, kWorkingSetExClass = 4, kImageClass = 6;

TEST_F(QueryVirtualMemoryTest, RegionInformationDescribesTheWholeAllocation) {
    allocateAt(kAt, 0x10000, mem::kReserve, kExecuteRead);
    ASSERT_EQ(allocate(kAt + 0x3000, 0x2000, mem::kCommit, kReadWrite), NtStatus::Success);
    ASSERT_EQ(query(kAt + 0x8123, kRegionClass, kInfo, 48), NtStatus::Success);
    const auto info = *guest().peek<RegionInformation>(VirtualAddress(kInfo));
    EXPECT_EQ(info.allocationBase, kAt);
    EXPECT_EQ(info.allocationProtect, kExecuteRead);
    EXPECT_EQ(info.regionType, 0u);
    EXPECT_EQ(info.regionSize, 0x10000u);
    EXPECT_EQ(info.commitSize, 0x2000u);
    EXPECT_EQ(info.partitionId, 0u);
    EXPECT_EQ(returnLength(), 48u);
}

TEST_F(QueryVirtualMemoryTest, RegionInformationTakesAShortBufferDownToCommitSize) {
    constexpr std::uint64_t kBuffer = kInfo + 0x200;  // not cleared by query()
    allocateAt(kAt, 0x10000, mem::kReserve | mem::kCommit, kReadWrite);
    (void)guest().poke(VirtualAddress(kBuffer + 24), ~0ull);
    ASSERT_EQ(query(kAt, kRegionClass, kBuffer, 24), NtStatus::Success);
    EXPECT_EQ(returnLength(), 24u) << "the bytes written";
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(kBuffer + 16)), 0x10000u) << "RegionSize";
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(kBuffer + 24)), ~0ull)
        << "CommitSize was not asked for";
    EXPECT_EQ(query(kAt, kRegionClass, kInfo, 23), NtStatus::InfoLengthMismatch);
    EXPECT_EQ(query(kAt, kRegionClass, kInfo, 16), NtStatus::InfoLengthMismatch);
}

TEST_F(QueryVirtualMemoryTest, RegionAndImageInformationRefuseFreeMemoryUntouched) {
    for (std::uint64_t infoClass : {kRegionClass, kImageClass}) {
        EXPECT_EQ(query(0x4000'0000, infoClass), NtStatus::InvalidAddress) << infoClass;
        EXPECT_EQ(returnLength(), 0xDEADu);
        EXPECT_EQ(info().baseAddress, 0u) << "nothing written";
        EXPECT_EQ(query(mm::kHighestUserAddress + 1, infoClass), NtStatus::InvalidParameter);
    }
}

TEST_F(QueryVirtualMemoryTest, ImageInformationNamesTheImageOrNothing) {
    allocateAt(kAt, 0x2000, mem::kReserve, kReadWrite);
    ASSERT_EQ(query(kAt + 0x1000, kImageClass, kInfo, 40), NtStatus::Success);
    EXPECT_EQ(returnLength(), 24u);
    const auto none = *guest().peek<ImageInformation>(VirtualAddress(kInfo));
    EXPECT_EQ(none.imageBase, 0u);
    EXPECT_EQ(none.sizeOfImage, 0u);
    EXPECT_EQ(none.imageFlags, 0u);
    EXPECT_EQ(query(kAt, kImageClass, kInfo, 23), NtStatus::InfoLengthMismatch);

    constexpr std::uint64_t kImage = 0x1'4000'0000;
    space().reserve(VirtualAddress(kImage), 3, 0x80, mm::VadType::Image);
    ps::LoadedImage loaded;
    loaded.name = loaded.path = "a.exe";
    loaded.base = VirtualAddress(kImage);
    loaded.size = 0x2A00;
    process_->images().push_back(std::move(loaded));
    ASSERT_EQ(query(kImage + 0x2FFF, kImageClass), NtStatus::Success);
    const auto image = *guest().peek<ImageInformation>(VirtualAddress(kInfo));
    EXPECT_EQ(image.imageBase, kImage);
    EXPECT_EQ(image.sizeOfImage, 0x2A00u) << "SizeOfImage as the image gave it";
    EXPECT_EQ(image.imageFlags, 0u);
}

TEST_F(QueryVirtualMemoryTest, WorkingSetExTellsPageByPage) {
    constexpr std::uint64_t kEntries = kInfo + 0x200;  // not cleared by query()
    allocateAt(kAt, 0x3000, mem::kReserve | mem::kCommit, kReadWrite);
    ASSERT_TRUE(guest().poke(VirtualAddress(kAt + 0x1000), std::uint8_t{1}));
    ASSERT_EQ(protect(kAt + 0x2000, 0x1000, mm::page::kNoAccess), NtStatus::Success);
    ASSERT_TRUE(space().materialize(VirtualAddress(kAt + 0x2000)));
    constexpr std::uint64_t kImage = 0x1'4000'0000;
    space().reserve(VirtualAddress(kImage), 2, 0x80, mm::VadType::Image);
    ASSERT_TRUE(space().commit(VirtualAddress(kImage), VirtualAddress(kImage + 0x2000),
                               *mm::MmProtection::fromWin32(mm::page::kWriteCopy)) ==
                NtStatus::Success);
    ASSERT_TRUE(space().materialize(VirtualAddress(kImage), mm::PageUse::UserImage));
    ASSERT_TRUE(space().materialize(VirtualAddress(kImage + 0x1000), mm::PageUse::UserImage));
    ASSERT_TRUE(space().frameForKernelAccess(VirtualAddress(kImage + 0x1000),
                                             mm::AccessKind::Write));  // its private copy
    const std::uint64_t addresses[] = {kAt, kAt + 0x1000,   kAt + 0x2000, kImage, kImage + 0x1000,
                                       0,   kSystemPointer, 0x4000'0000};
    for (std::size_t i = 0; i < std::size(addresses); ++i) {
        ASSERT_TRUE(guest().poke(VirtualAddress(kEntries + 16 * i), addresses[i]));
        ASSERT_TRUE(guest().poke(VirtualAddress(kEntries + 16 * i + 8), ~0ull));
    }
    ASSERT_EQ(query(0, kWorkingSetExClass, kEntries, 16 * std::size(addresses) + 8),
              NtStatus::Success);
    EXPECT_EQ(returnLength(), 16 * std::size(addresses) + 8) << "the length passed, as x64 does";
    const auto attributes = [&](std::size_t i) {
        return *guest().peek<std::uint64_t>(VirtualAddress(kEntries + 16 * i + 8));
    };
    constexpr std::uint64_t kValid = 1, kShared = 1 << 15;
    const auto protection = [](std::uint64_t win32) { return win32 << 4; };
    EXPECT_EQ(attributes(0), 0u) << "committed, never touched";
    EXPECT_EQ(attributes(1), kValid | protection(kReadWrite));
    EXPECT_EQ(attributes(2), 0u) << "NOACCESS: resident, but not valid";
    EXPECT_EQ(attributes(3), kValid | protection(mm::page::kWriteCopy) | kShared | (1 << 1))
        << "an image page not yet written is shared, once";
    EXPECT_EQ(attributes(4), kValid | protection(kReadWrite)) << "copied on write: private";
    for (std::size_t i = 5; i < std::size(addresses); ++i)
        EXPECT_EQ(attributes(i), 0u) << std::hex << addresses[i];
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(kEntries + 16)), kAt + 0x1000)
        << "the addresses stay";

    EXPECT_EQ(query(0, kWorkingSetExClass, kEntries, 15), NtStatus::InfoLengthMismatch);
    EXPECT_EQ(query(0, kWorkingSetExClass, kReadOnlyPage, 16), NtStatus::AccessViolation);
    EXPECT_EQ(query(0, kWorkingSetExClass, kCells + 2 * kPageSize - 16, 32),
              NtStatus::AccessViolation)
        << "the array runs into the read-only page";
}

}  // namespace
}  // namespace ntoy::test
