// KUSER_SHARED_DATA: one system frame, kept current from the clock, mapped read-only in every
// address space; no process is charged for it, can change it or free it, and its end leaves
// the frame to the system.
#include "kernel/ke/SharedUserData.h"

#include <gtest/gtest.h>

#include "kernel/mm/RegionQuery.h"
#include "ntoy/shared_user_data.h"
#include "tests/kernel/SystemCallFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::page::kReadOnly;
using mm::page::kReadWrite;

constexpr VirtualAddress kUserPage(NTOY_USER_SHARED_DATA);

class SharedUserDataTest : public SystemCallFixture {
protected:
    SharedUserDataTest() {
        clock_.advance(ke::NtDuration(123'456'789));
        data_ = ke::SharedUserData::create(mm(), clock_);
        // Boot made it; a process comes afterwards and maps it.
        baseline_ = mm::MemoryBaseline::of(mm());
        mapped_ = data_ && data_->mapInto(space());
    }

    template <typename T>
    T field(std::uint64_t offset) {
        return system_.memory().read<T>(data_->frame().address() + offset);
    }
    std::uint64_t systemTimeField(std::uint64_t offset) {
        const auto high1 = field<std::uint32_t>(offset + NTOY_KSYSTEM_TIME_HIGH1_TIME);
        const auto high2 = field<std::uint32_t>(offset + NTOY_KSYSTEM_TIME_HIGH2_TIME);
        EXPECT_EQ(high1, high2) << "at offset " << offset;
        return (std::uint64_t{high1} << 32) |
               field<std::uint32_t>(offset + NTOY_KSYSTEM_TIME_LOW_PART);
    }

    ke::Clock clock_ = ke::Clock::deterministic();
    std::optional<ke::SharedUserData> data_;
    mm::MemoryBaseline baseline_;
    bool mapped_ = false;
};

TEST_F(SharedUserDataTest, IsAKernelPageAtKiUserSharedData) {
    ASSERT_TRUE(data_);
    ASSERT_TRUE(mapped_);
    const mm::Pte system = mm().systemTables().pteAt(VirtualAddress(NTOY_KI_USER_SHARED_DATA));
    ASSERT_TRUE(system.isValid());
    EXPECT_EQ(system.pfn(), data_->frame());
    EXPECT_FALSE(system.has(mm::PteBit::User));
    EXPECT_EQ(mm().pfns().entry(data_->frame()).use, mm::PageUse::Kernel);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(SharedUserDataTest, HoldsWindowsConstants) {
    ASSERT_TRUE(data_);
    EXPECT_EQ(field<std::uint32_t>(NTOY_USD_TICK_COUNT_MULTIPLIER), 0x0100'0000u);
    EXPECT_EQ(field<std::uint16_t>(NTOY_USD_IMAGE_NUMBER_LOW), 0x8664u);
    EXPECT_EQ(field<std::uint16_t>(NTOY_USD_IMAGE_NUMBER_HIGH), 0x8664u);
    const char16_t want[] = u"C:\\Windows";
    for (std::size_t i = 0; i < std::size(want); ++i)
        EXPECT_EQ(field<char16_t>(NTOY_USD_NT_SYSTEM_ROOT + 2 * i), want[i]) << i;
    EXPECT_EQ(field<std::uint32_t>(NTOY_USD_NT_PRODUCT_TYPE), 1u);
    EXPECT_EQ(field<std::uint8_t>(NTOY_USD_PRODUCT_TYPE_IS_VALID), 1u);
    EXPECT_EQ(field<std::uint32_t>(NTOY_USD_NT_MAJOR_VERSION), 10u);
    EXPECT_EQ(field<std::uint32_t>(NTOY_USD_NT_MINOR_VERSION), 0u);
    EXPECT_EQ(field<std::uint32_t>(NTOY_USD_NUMBER_OF_PHYSICAL_PAGES), mm().pfns().total());
    EXPECT_EQ(field<std::int64_t>(NTOY_USD_QPC_FREQUENCY), 10'000'000);
    EXPECT_EQ(systemTimeField(NTOY_USD_TIME_ZONE_BIAS), 0u);
}

TEST_F(SharedUserDataTest, PublishesTheClock) {
    ASSERT_TRUE(data_);
    EXPECT_EQ(systemTimeField(NTOY_USD_INTERRUPT_TIME), 123'456'789u);
    EXPECT_EQ(systemTimeField(NTOY_USD_SYSTEM_TIME),
              ke::kDeterministicBootSystemTime + 123'456'789u);
    EXPECT_EQ(systemTimeField(NTOY_USD_TICK_COUNT), 12'345u);
    // Past 2^32 in every field, so the high parts move too.
    clock_.advance(ke::NtDuration(500'000'000'000'000));
    data_->update(clock_);
    EXPECT_EQ(systemTimeField(NTOY_USD_INTERRUPT_TIME), 500'000'123'456'789u);
    EXPECT_EQ(systemTimeField(NTOY_USD_SYSTEM_TIME),
              ke::kDeterministicBootSystemTime + 500'000'123'456'789u);
    EXPECT_EQ(systemTimeField(NTOY_USD_TICK_COUNT), 50'000'012'345u);
}

TEST_F(SharedUserDataTest, UserSeesTheSameFrameReadOnlyAndNoExecute) {
    ASSERT_TRUE(mapped_);
    const mm::Pte pte = space().tables().pteAt(kUserPage);
    ASSERT_TRUE(pte.isValid());
    EXPECT_EQ(pte.pfn(), data_->frame());
    EXPECT_TRUE(pte.has(mm::PteBit::User));
    EXPECT_FALSE(pte.has(mm::PteBit::Write));
    EXPECT_TRUE(pte.has(mm::PteBit::NoExecute));
    EXPECT_EQ(mmu().shownFrame(kUserPage), data_->frame());
    EXPECT_EQ(guest().peek<std::int64_t>(kUserPage + NTOY_USD_QPC_FREQUENCY), 10'000'000);
}

TEST_F(SharedUserDataTest, NoProcessIsChargedForIt) {
    ASSERT_TRUE(mapped_);
    const std::uint64_t committed = space().committedPages();
    const std::uint64_t workingSet = space().workingSet().size();
    auto other = system_.createProcess();
    ASSERT_TRUE(other);
    ASSERT_TRUE(data_->mapInto(other->space()));
    EXPECT_EQ(other->space().committedPages(), 0u);
    EXPECT_EQ(other->space().workingSet().size(), 0u);
    EXPECT_EQ(space().committedPages(), committed);
    EXPECT_EQ(space().workingSet().size(), workingSet);
    EXPECT_EQ(other->space().tables().pteAt(kUserPage).pfn(), data_->frame());
    const mm::AddressSpace* spaces[] = {&space(), &other->space()};
    EXPECT_EQ(mm::checkMemoryInvariants(mm(), spaces), std::nullopt);
}

TEST_F(SharedUserDataTest, AnAddressSpacesEndLeavesTheFrameToTheSystem) {
    ASSERT_TRUE(data_);
    const auto before = mm::MemoryBaseline::of(mm());
    auto other = system_.createProcess();
    ASSERT_TRUE(other);
    ASSERT_TRUE(data_->mapInto(other->space()));
    other.reset();
    EXPECT_EQ(mm::checkNothingLeaked(mm(), before), std::nullopt);
    EXPECT_EQ(mm().pfns().entry(data_->frame()).use, mm::PageUse::Kernel);
    EXPECT_EQ(mm().pfns().entry(data_->frame()).state, mm::PageState::Active);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(SharedUserDataTest, MappingItTwiceFails) {
    ASSERT_TRUE(mapped_);
    EXPECT_FALSE(data_->mapInto(space()));
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(SharedUserDataTest, QueryShowsACommittedPrivateReadOnlyPage) {
    ASSERT_TRUE(mapped_);
    const auto info = mm::queryRegion(space(), kUserPage + 0x320);
    EXPECT_EQ(info.baseAddress, NTOY_USER_SHARED_DATA);
    EXPECT_EQ(info.allocationBase, NTOY_USER_SHARED_DATA);
    EXPECT_EQ(info.allocationProtect, kReadOnly);
    EXPECT_EQ(info.regionSize, kPageSize);
    EXPECT_EQ(info.state, mem::kCommit);
    EXPECT_EQ(info.protect, kReadOnly);
    EXPECT_EQ(info.type, mem::kPrivate);
    const auto next = mm::queryRegion(space(), kUserPage + kPageSize);
    EXPECT_EQ(next.state, mem::kFree);
}

TEST_F(SharedUserDataTest, UserWritesAndFetchesAreAccessViolations) {
    ASSERT_TRUE(mapped_);
    const std::uint32_t user = hal::pf::kUser | hal::pf::kPresent;
    auto write = space().handleFault(kUserPage + 8, user | hal::pf::kWrite);
    EXPECT_EQ(write.response, mm::PageFaultResponse::AccessViolation);
    EXPECT_EQ(write.kind, mm::FaultKind::ReadOnly);
    auto fetch = space().handleFault(kUserPage, user | hal::pf::kFetch);
    EXPECT_EQ(fetch.response, mm::PageFaultResponse::AccessViolation);
    EXPECT_EQ(fetch.kind, mm::FaultKind::NoExecute);
    EXPECT_EQ(space().tables().pteAt(kUserPage).pfn(), data_->frame());
}

TEST_F(SharedUserDataTest, TheKernelReadsItForTheGuestButNeverWritesIt) {
    ASSERT_TRUE(mapped_);
    EXPECT_EQ(space().frameForKernelAccess(kUserPage, mm::AccessKind::Read), data_->frame());
    EXPECT_EQ(space().frameForKernelAccess(kUserPage, mm::AccessKind::Write),
              std::unexpected(NtStatus::AccessViolation));
}

TEST_F(SharedUserDataTest, FreeingItIsRefused) {
    ASSERT_TRUE(mapped_);
    EXPECT_EQ(free(NTOY_USER_SHARED_DATA, 0, mem::kRelease), NtStatus::InvalidPageProtection);
    EXPECT_EQ(free(NTOY_USER_SHARED_DATA, kPageSize, mem::kDecommit),
              NtStatus::InvalidPageProtection);
    EXPECT_EQ(space().tables().pteAt(kUserPage).pfn(), data_->frame());
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(SharedUserDataTest, ProtectingItIsRefused) {
    ASSERT_TRUE(mapped_);
    EXPECT_EQ(protect(NTOY_USER_SHARED_DATA, kPageSize, kReadWrite),
              NtStatus::InvalidPageProtection);
    EXPECT_EQ(oldProtect(), mm::page::kNoAccess);
    EXPECT_EQ(protect(NTOY_USER_SHARED_DATA, kPageSize, kReadOnly),
              NtStatus::InvalidPageProtection);
    EXPECT_EQ(mm::queryRegion(space(), kUserPage).protect, kReadOnly);
}

TEST_F(SharedUserDataTest, CommittingOrReservingItIsRefused) {
    ASSERT_TRUE(mapped_);
    EXPECT_EQ(allocate(NTOY_USER_SHARED_DATA, kPageSize, mem::kCommit, kReadWrite),
              NtStatus::InvalidPageProtection);
    EXPECT_EQ(allocate(NTOY_USER_SHARED_DATA, kPageSize, mem::kReset, kReadWrite),
              NtStatus::InvalidPageProtection);
    EXPECT_EQ(allocate(NTOY_USER_SHARED_DATA, kPageSize, mem::kReserve, kReadWrite),
              NtStatus::ConflictingAddresses);
    EXPECT_EQ(mm::queryRegion(space(), kUserPage).protect, kReadOnly);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(SharedUserDataTest, AllocationsAnywhereStepAroundIt) {
    ASSERT_TRUE(mapped_);
    // Top-down below 2 GB (ZeroBits as a mask): the granule above it, then the one below it,
    // never its own.
    constexpr std::uint64_t kBelow2G = 0x7FFF'FFFF;
    ASSERT_EQ(allocate(0, 0x10000, mem::kReserve | mem::kTopDown, kReadWrite, kBelow2G),
              NtStatus::Success);
    EXPECT_EQ(base(), 0x7FFF'0000u);
    ASSERT_EQ(allocate(0, 0x10000, mem::kReserve | mem::kTopDown, kReadWrite, kBelow2G),
              NtStatus::Success);
    EXPECT_EQ(base(), 0x7FFD'0000u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(SharedUserDataTest, TheCheckerCatchesAKernelFrameOutsideASystemPage) {
    ASSERT_TRUE(data_);
    // A private page made to name the system's frame: a mapping nobody may make.
    const VirtualAddress at(0x6000'0000);
    space().reserve(at, 1, kReadOnly, mm::VadType::Private);
    const auto pte = space().tables().ensurePte(at);
    ASSERT_TRUE(pte);
    space().tables().write(
        *pte, mm::Pte::valid(data_->frame(), *mm::MmProtection::fromWin32(kReadOnly), true));
    const auto broken = brokenInvariant();
    ASSERT_TRUE(broken);
    EXPECT_NE(broken->find("outside a system page"), std::string::npos) << *broken;
    space().tables().write(*pte, mm::Pte());
    space().tables().pruneEmptyTables(at);
}

}  // namespace
}  // namespace ntoy::test
