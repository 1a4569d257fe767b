// The kernel's access to user memory: frameForKernelAccess page by page, and UserMemory's
// whole-range checks.
#include "kernel/mm/UserMemory.h"

#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::mm {
namespace {

using test::protection;

class UserMemoryTest : public test::AddressSpaceFixture {
protected:
    UserMemory user() { return UserMemory(space()); }
    static std::vector<std::byte> pattern(std::size_t n, int seed) {
        std::vector<std::byte> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = static_cast<std::byte>((i * 7 + static_cast<std::size_t>(seed)) & 0xFF);
        return v;
    }
};

TEST_F(UserMemoryTest, KernelAccessResolvesDemandZeroPages) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    const auto frame = space().frameForKernelAccess(page(0), AccessKind::Write);
    ASSERT_TRUE(frame);
    EXPECT_EQ(pte(page(0)), Pte::valid(*frame, protection(page::kReadWrite), true));
    EXPECT_EQ(mmu().aliasOf(page(0)), *frame);
    EXPECT_EQ(space().frameForKernelAccess(page(0), AccessKind::Read), frame);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(UserMemoryTest, KernelAccessRefusesWhatTheGuestCouldNotDo) {
    reserve(page(0), 5);
    ASSERT_EQ(commit(page(0), 1, page::kReadOnly), NtStatus::Success);
    ASSERT_EQ(commit(page(1), 1, page::kNoAccess), NtStatus::Success);
    ASSERT_EQ(commit(page(3), 1, page::kExecute), NtStatus::Success);
    const auto av = std::unexpected(NtStatus::AccessViolation);
    EXPECT_TRUE(space().frameForKernelAccess(page(0), AccessKind::Read));
    EXPECT_EQ(space().frameForKernelAccess(page(0), AccessKind::Write), av);
    EXPECT_EQ(space().frameForKernelAccess(page(1), AccessKind::Read), av);
    EXPECT_EQ(space().frameForKernelAccess(page(2), AccessKind::Read), av) << "reserved";
    EXPECT_EQ(space().frameForKernelAccess(page(5), AccessKind::Read), av) << "free";
    EXPECT_EQ(space().frameForKernelAccess(page(3), AccessKind::Write), av);
    for (std::uint64_t va :
         {kUserSpaceEnd, kSystemSpaceStart, kKernelWindowBase, ~std::uint64_t{0}})
        EXPECT_EQ(space().frameForKernelAccess(VirtualAddress(va), AccessKind::Read), av) << va;
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(UserMemoryTest, KernelAccessDisarmsAndRefusesAGuardPage) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    EXPECT_EQ(space().frameForKernelAccess(page(0), AccessKind::Read),
              std::unexpected(NtStatus::AccessViolation));
    EXPECT_EQ(pte(page(0)).protection(), protection(page::kReadWrite)) << "as on Windows";
    EXPECT_TRUE(space().frameForKernelAccess(page(0), AccessKind::Read));
}

TEST_F(UserMemoryTest, KernelWriteIntoAThreadStackGuardGrowsTheStack) {
    // An exception frame pushed below the committed stack: the stack grows, as for the CPU.
    reserve(page(0), 4);
    ASSERT_EQ(commit(page(3), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(commit(page(2), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    makeCurrentTeb(page(0), page(3), page(4));
    const auto data = pattern(0x200, 5);
    EXPECT_EQ(user().write(page(3) - 0x100, std::as_bytes(std::span(data))), NtStatus::Success);
    EXPECT_EQ(pte(page(2)).protection(), protection(page::kReadWrite));
    EXPECT_EQ(pte(page(1)).protection(), protection(page::kReadWrite | page::kGuard));
    EXPECT_EQ(guest().peek<std::byte>(page(3) - 0x100), data[0]);
    // The next guard is the reservation's last page but one: growing into it overflows.
    EXPECT_EQ(user().write(page(2) - 8, std::uint64_t{1}), NtStatus::AccessViolation);
    EXPECT_TRUE(pte(page(0)).isZero()) << "the lowest page is never committed";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(UserMemoryTest, KernelWriteToWriteCopyPromotesIt) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kWriteCopy), NtStatus::Success);
    ASSERT_TRUE(space().materialize(page(0)));
    ASSERT_TRUE(space().frameForKernelAccess(page(0), AccessKind::Write));
    EXPECT_EQ(pte(page(0)).protection(), protection(page::kReadWrite));
}

TEST_F(UserMemoryTest, CopiesAcrossPages) {
    reserve(page(0), 4);
    ASSERT_EQ(commit(page(0), 4, page::kReadWrite), NtStatus::Success);
    const auto data = pattern(3 * kPageSize, 1);
    const VirtualAddress at = page(0) + 0x801;
    ASSERT_EQ(user().write(at, std::as_bytes(std::span(data))), NtStatus::Success);
    std::vector<std::byte> back(data.size());
    ASSERT_EQ(user().read(at, std::span(back)), NtStatus::Success);
    EXPECT_EQ(back, data);
    for (std::size_t i = 0; i < data.size(); i += 0x3FF)
        EXPECT_EQ(guest().peek<std::byte>(at + i), data[i]) << i;
    auto value = user().read<std::uint64_t>(page(1) - 4);  // straddles two pages
    ASSERT_TRUE(value);
    std::uint64_t expected;
    std::memcpy(&expected, data.data() + (kPageSize - 0x801 - 4), 8);
    EXPECT_EQ(*value, expected);
}

TEST_F(UserMemoryTest, WriteSpanningACommittedAndAReservedPageChangesNothing) {
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    const auto old = pattern(kPageSize, 2);
    ASSERT_EQ(user().write(page(0), std::as_bytes(std::span(old))), NtStatus::Success);
    const auto data = pattern(0x800, 3);
    EXPECT_EQ(user().write(page(1) - 0x400, std::as_bytes(std::span(data))),
              NtStatus::AccessViolation);
    std::vector<std::byte> back(kPageSize);
    ASSERT_EQ(user().read(page(0), std::span(back)), NtStatus::Success);
    EXPECT_EQ(back, old) << "no byte moves unless the whole range is writable";
    EXPECT_TRUE(pte(page(1)).isZero());
}

TEST_F(UserMemoryTest, WriteSpanningAReadOnlyPageChangesNothing) {
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(commit(page(1), 1, page::kReadOnly), NtStatus::Success);
    const std::uint64_t value = 0x1122334455667788;
    EXPECT_EQ(user().write(page(1) - 4, value), NtStatus::AccessViolation);
    EXPECT_EQ(guest().peek<std::uint32_t>(page(1) - 4).value_or(1), 0u);
    EXPECT_EQ(user().probeForWrite(page(1) - 4, 8), NtStatus::AccessViolation);
    EXPECT_EQ(user().probeForWrite(page(1) - 4, 4), NtStatus::Success);
}

TEST_F(UserMemoryTest, ReadIntoFreeOrSystemSpaceFails) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    std::vector<std::byte> out(16, std::byte{0xEE});
    EXPECT_EQ(user().read(page(1) - 8, std::span(out)), NtStatus::AccessViolation);
    EXPECT_EQ(out, std::vector<std::byte>(16, std::byte{0xEE})) << "the output is untouched";
    EXPECT_EQ(user().read(VirtualAddress(kSystemSpaceStart), std::span(out)),
              NtStatus::AccessViolation);
    EXPECT_EQ(user().read(VirtualAddress(kUserSpaceEnd - 8), std::span(out)),
              NtStatus::AccessViolation);
    EXPECT_EQ(user().read(VirtualAddress(~0ull - 7), std::span(out)), NtStatus::AccessViolation)
        << "a range that wraps around";
}

TEST_F(UserMemoryTest, EmptyAccessSucceedsAnywhere) {
    for (std::uint64_t va : {std::uint64_t{0}, kSystemSpaceStart, ~std::uint64_t{0}}) {
        EXPECT_EQ(user().read(VirtualAddress(va), {}), NtStatus::Success);
        EXPECT_EQ(user().write(VirtualAddress(va), {}), NtStatus::Success);
        EXPECT_EQ(user().probeForWrite(VirtualAddress(va), 0), NtStatus::Success);
    }
}

TEST_F(UserMemoryTest, ProbeRejectsRangesThatWrapOrLeaveUserSpace) {
    reserve(page(0), 1);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    EXPECT_EQ(user().probeForWrite(page(0), ~0ull), NtStatus::AccessViolation);
    EXPECT_EQ(user().probeForWrite(page(0), kUserSpaceEnd), NtStatus::AccessViolation);
    EXPECT_EQ(user().probeForWrite(page(0), kPageSize), NtStatus::Success);
    EXPECT_EQ(user().probeForWrite(page(0), kPageSize + 1), NtStatus::AccessViolation);
}

TEST_F(UserMemoryTest, AGuardPageInTheRangeIsDisarmedAndNothingMoves) {
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 1, page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(commit(page(1), 1, page::kReadWrite | page::kGuard), NtStatus::Success);
    const auto data = pattern(32, 4);
    EXPECT_EQ(user().write(page(1) - 16, std::as_bytes(std::span(data))),
              NtStatus::AccessViolation);
    EXPECT_EQ(guest().peek<std::uint64_t>(page(1) - 16).value_or(1), 0u);
    EXPECT_FALSE(pte(page(1)).protection().isGuard());
    EXPECT_EQ(user().write(page(1) - 16, std::as_bytes(std::span(data))), NtStatus::Success)
        << "the guard is spent";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::mm
