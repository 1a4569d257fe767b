// NtProtectVirtualMemory against shared/spec/nt-virtual-memory.md.
#include <gtest/gtest.h>

#include "tests/kernel/SystemCallFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::page::kExecuteRead;
using mm::page::kNoAccess;
using mm::page::kReadOnly;
using mm::page::kReadWrite;

constexpr std::uint64_t kAt = 0x5000'0000;

class ProtectVirtualMemoryTest : public SystemCallFixture {
protected:
    void SetUp() override { allocateAt(kAt, 0x4000, mem::kReserve | mem::kCommit, kReadWrite); }
    std::uint32_t protectionAt(std::uint64_t va) {
        return space().tables().pteAt(VirtualAddress(va)).protection().toWin32();
    }
    // After a failed call: the outputs as protect() set them, and the pages as they were.
    void expectUnchanged(std::uint64_t base, std::uint64_t size) {
        EXPECT_EQ(this->base(), base);
        EXPECT_EQ(this->size(), size);
        EXPECT_EQ(get(2), 0xDEAD'BEEF'DEAD'BEEFu) << "a bad argument writes no OldProtect";
        for (std::uint64_t va = kAt; va < kAt + 0x4000; va += kPageSize)
            EXPECT_EQ(protectionAt(va), kReadWrite) << std::hex << va;
    }
};

TEST_F(ProtectVirtualMemoryTest, ReturnsTheFirstPagesOldProtection) {
    ASSERT_EQ(protect(kAt + 0x1000, 0x1000, kReadOnly), NtStatus::Success);
    ASSERT_EQ(protect(kAt + 0x0800, 0x1000, kExecuteRead), NtStatus::Success);
    EXPECT_EQ(oldProtect(), kReadWrite);
    EXPECT_EQ(base(), kAt);
    EXPECT_EQ(size(), 0x2000u);
    EXPECT_EQ(protectionAt(kAt), kExecuteRead);
    EXPECT_EQ(protectionAt(kAt + 0x1000), kExecuteRead);
    EXPECT_EQ(protectionAt(kAt + 0x2000), kReadWrite);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(ProtectVirtualMemoryTest, SizeZeroProtectsOnePage) {
    ASSERT_EQ(protect(kAt + 0x1234, 0, kReadOnly), NtStatus::Success);
    EXPECT_EQ(base(), kAt + 0x1000);
    EXPECT_EQ(size(), 0x1000u);
    EXPECT_EQ(protectionAt(kAt + 0x1000), kReadOnly);
    EXPECT_EQ(protectionAt(kAt + 0x2000), kReadWrite);
}

TEST_F(ProtectVirtualMemoryTest, ContentsSurviveNoAccessThenReadOnly) {
    ASSERT_TRUE(guest().poke(VirtualAddress(kAt + 8), std::uint64_t{0xC0FFEE}));
    ASSERT_EQ(protect(kAt, 0x1000, kNoAccess), NtStatus::Success);
    ASSERT_EQ(protect(kAt, 0x1000, kReadOnly), NtStatus::Success);
    EXPECT_EQ(oldProtect(), kNoAccess);
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(kAt + 8)), 0xC0FFEEu);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(ProtectVirtualMemoryTest, InvalidProtectionChangesNothing) {
    for (std::uint32_t p : {0u, kReadOnly | kReadWrite, kNoAccess | mm::page::kGuard,
                            kReadWrite | mm::page::kGuard | mm::page::kNoCache, 0x800u}) {
        EXPECT_EQ(protect(kAt, 0x1000, p), NtStatus::InvalidPageProtection) << p;
        expectUnchanged(kAt, 0x1000);
    }
}

TEST_F(ProtectVirtualMemoryTest, CopyOnWriteIsRefusedForPrivateMemory) {
    EXPECT_EQ(protect(kAt, 0x1000, mm::page::kWriteCopy), NtStatus::InvalidPageProtection);
    EXPECT_EQ(protect(kAt, 0x1000, mm::page::kExecuteWriteCopy), NtStatus::InvalidPageProtection);
    EXPECT_EQ(protectionAt(kAt), kReadWrite);
}

TEST_F(ProtectVirtualMemoryTest, BadOldProtectPointerIsAnAccessViolation) {
    for (std::uint64_t bad : {std::uint64_t{0}, kSystemPointer, kReadOnlyPage, kReservedPage}) {
        EXPECT_EQ(protect(kAt, 0x1000, kNoAccess, bad), NtStatus::AccessViolation) << bad;
        expectUnchanged(kAt, 0x1000);
    }
}

// OldProtect is the one output a failed call writes: PAGE_NOACCESS, when the range cannot be
// protected (Windows 8 and later; Wine's and ReactOS's tests assert it).
TEST_F(ProtectVirtualMemoryTest, UncommittedPageInTheRangeIsNotCommitted) {
    ASSERT_EQ(free(kAt + 0x3000, 0x1000, mem::kDecommit), NtStatus::Success);
    EXPECT_EQ(protect(kAt, 0x4000, kReadOnly), NtStatus::NotCommitted);
    EXPECT_EQ(base(), kAt);
    EXPECT_EQ(size(), 0x4000u);
    EXPECT_EQ(get(2), 0xDEAD'BEEF'0000'0000u | kNoAccess) << "OldProtect: PAGE_NOACCESS";
    for (std::uint64_t va = kAt; va < kAt + 0x3000; va += kPageSize)
        EXPECT_EQ(protectionAt(va), kReadWrite) << "pages before the hole are unchanged";
    EXPECT_EQ(protect(kAt + 0x3000, 0x1000, kReadOnly), NtStatus::NotCommitted);
    EXPECT_EQ(oldProtect(), kNoAccess) << "a reserved page alone";
}

TEST_F(ProtectVirtualMemoryTest, RangeMustLieInsideOneAllocation) {
    EXPECT_EQ(protect(kAt + 0x3000, 0x2000, kReadOnly), NtStatus::ConflictingAddresses);
    EXPECT_EQ(oldProtect(), kNoAccess) << "running past the allocation";
    EXPECT_EQ(protect(0x6000'0000, 0x1000, kReadOnly), NtStatus::ConflictingAddresses);
    EXPECT_EQ(oldProtect(), kNoAccess) << "free memory";
    EXPECT_EQ(protectionAt(kAt + 0x3000), kReadWrite);
    EXPECT_EQ(protect(mm::kHighestUserAddress + 1, 0x1000, kReadOnly), NtStatus::InvalidParameter2);
    EXPECT_EQ(protect(kAt, ~0ull, kReadOnly), NtStatus::InvalidParameter3);
    EXPECT_EQ(protect(kAt, 0x1000, kReadOnly, cell(2).value(), 0), NtStatus::InvalidHandle);
    EXPECT_EQ(protectionAt(kAt), kReadWrite);
}

TEST_F(ProtectVirtualMemoryTest, ProtectingPartOfARegionSplitsWhatAQueryShows) {
    ASSERT_EQ(protect(kAt + 0x1000, 0x1000, kReadOnly), NtStatus::Success);
    std::uint64_t expectedSizes[] = {0x1000, 0x1000, 0x2000};
    std::uint32_t expectedProtect[] = {kReadWrite, kReadOnly, kReadWrite};
    std::uint64_t at = kAt;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(harness_.call(ke::NtQueryVirtualMemory,
                                {kCurrentProcess, at, 0, kInfo, sizeof(MemoryBasicInformation), 0}),
                  NtStatus::Success);
        const auto info = *guest().peek<MemoryBasicInformation>(VirtualAddress(kInfo));
        EXPECT_EQ(info.baseAddress, at);
        EXPECT_EQ(info.regionSize, expectedSizes[i]) << i;
        EXPECT_EQ(info.protect, expectedProtect[i]) << i;
        EXPECT_EQ(info.allocationBase, kAt);
        at += info.regionSize;
    }
}

// On current Windows PAGE_NOCACHE and PAGE_WRITECOMBINE belong to the allocation: they stay
// through VirtualProtect, OldProtect and queries show them, and a plain allocation ignores one
// passed to protect.
TEST_F(ProtectVirtualMemoryTest, CacheAttributesBelongToTheAllocation) {
    using mm::page::kNoCache;
    using mm::page::kWriteCombine;
    constexpr std::uint64_t kUncached = kAt + 0x10000;
    allocateAt(kUncached, 0x2000, mem::kReserve | mem::kCommit, kReadWrite | kNoCache);
    ASSERT_EQ(protect(kUncached, 0x1000, kReadWrite), NtStatus::Success);
    EXPECT_EQ(oldProtect(), kReadWrite | kNoCache);
    EXPECT_EQ(protectionAt(kUncached), kReadWrite | kNoCache);
    ASSERT_EQ(harness_.call(ke::NtQueryVirtualMemory, {kCurrentProcess, kUncached, 0, kInfo,
                                                       sizeof(MemoryBasicInformation), 0}),
              NtStatus::Success);
    EXPECT_EQ(guest().peek<MemoryBasicInformation>(VirtualAddress(kInfo))->regionSize, 0x2000u)
        << "the region is not split";

    ASSERT_EQ(protect(kUncached, 0x1000, kReadOnly), NtStatus::Success);
    EXPECT_EQ(oldProtect(), kReadWrite | kNoCache);
    EXPECT_EQ(protectionAt(kUncached), kReadOnly | kNoCache);
    ASSERT_EQ(protect(kUncached, 0x1000, kReadOnly | kWriteCombine), NtStatus::Success);
    EXPECT_EQ(protectionAt(kUncached), kReadOnly | kNoCache);
    EXPECT_TRUE(guest().poke(VirtualAddress(kUncached + 0x1000), std::uint8_t{1}));
    EXPECT_TRUE(
        space().tables().pteAt(VirtualAddress(kUncached + 0x1000)).has(mm::PteBit::CacheDisable));

    ASSERT_EQ(protect(kAt, 0x1000, kReadOnly | kNoCache), NtStatus::Success);
    EXPECT_EQ(oldProtect(), kReadWrite);
    EXPECT_EQ(protectionAt(kAt), kReadOnly) << "accepted and ignored";
    ASSERT_EQ(protect(kAt, 0x1000, kReadWrite | kWriteCombine), NtStatus::Success);
    EXPECT_EQ(protectionAt(kAt), kReadWrite);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(ProtectVirtualMemoryTest, AFiredGuardPageTakesItsAllocationsCacheAttributeAgain) {
    using mm::page::kWriteCombine;
    constexpr std::uint64_t kCombined = kAt + 0x10000;
    allocateAt(kCombined, 0x1000, mem::kReserve | mem::kCommit, kReadWrite | kWriteCombine);
    ASSERT_EQ(protect(kCombined, 0x1000, kReadWrite | mm::page::kGuard), NtStatus::Success);
    EXPECT_EQ(oldProtect(), kReadWrite | kWriteCombine);
    EXPECT_EQ(protectionAt(kCombined), kReadWrite | mm::page::kGuard);
    EXPECT_EQ(space().handleFault(VirtualAddress(kCombined), hal::pf::kUser).response,
              mm::PageFaultResponse::GuardPage);
    EXPECT_EQ(protectionAt(kCombined), kReadWrite | kWriteCombine);
}

TEST_F(ProtectVirtualMemoryTest, GuardShowsUntilAnAccessDisarmsIt) {
    ASSERT_EQ(protect(kAt, 0x1000, kReadWrite | mm::page::kGuard), NtStatus::Success);
    EXPECT_EQ(protectionAt(kAt), kReadWrite | mm::page::kGuard);
    const auto o = space().handleFault(VirtualAddress(kAt), hal::pf::kUser);
    EXPECT_EQ(o.response, mm::PageFaultResponse::GuardPage);
    ASSERT_EQ(harness_.call(ke::NtQueryVirtualMemory,
                            {kCurrentProcess, kAt, 0, kInfo, sizeof(MemoryBasicInformation), 0}),
              NtStatus::Success);
    const auto info = *guest().peek<MemoryBasicInformation>(VirtualAddress(kInfo));
    EXPECT_EQ(info.protect, kReadWrite);
    EXPECT_EQ(info.allocationProtect, kReadWrite);
}

}  // namespace
}  // namespace ntoy::test
