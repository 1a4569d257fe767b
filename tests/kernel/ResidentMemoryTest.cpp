// readResidentUser: the kernel's non-faulting look at user pages (the #GP classifier's read).
#include "kernel/mm/ResidentMemory.h"

#include <gtest/gtest.h>

#include <vector>

#include "kernel/mm/SystemLayout.h"
#include "kernel/mm/UserMemory.h"
#include "tests/kernel/AddressSpaceFixture.h"

namespace ntoy::mm {
namespace {

class ResidentMemoryTest : public test::AddressSpaceFixture {};

TEST_F(ResidentMemoryTest, CopiesValidPagesAndStopsAtTheFirstThatIsNot) {
    reserve(page(0), 3);
    ASSERT_EQ(commit(page(0), 3, page::kReadWrite), NtStatus::Success);
    ASSERT_TRUE(space().materialize(page(0)));
    ASSERT_TRUE(space().materialize(page(1)));
    ASSERT_EQ(UserMemory(space()).write(page(1) - 4, std::uint64_t{0x1122334455667788}),
              NtStatus::Success);
    std::vector<std::byte> out(kPageSize + 8, std::byte{0xEE});
    EXPECT_EQ(readResidentUser(space(), page(1) - 4, out), kPageSize + 4)
        << "page 2 is demand-zero: not resident";
    std::uint64_t value;
    std::memcpy(&value, out.data(), 8);
    EXPECT_EQ(value, 0x1122334455667788u);
    EXPECT_EQ(out[kPageSize + 4], std::byte{0xEE}) << "nothing past the resident pages";
    EXPECT_TRUE(pte(page(2)).isDemandZero()) << "and nothing was faulted in";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(ResidentMemoryTest, ReadsNothingOutsideValidUserPages) {
    reserve(page(0), 2);
    ASSERT_EQ(commit(page(0), 1, page::kNoAccess), NtStatus::Success);
    ASSERT_TRUE(space().materialize(page(0)));
    std::vector<std::byte> out(16);
    EXPECT_EQ(readResidentUser(space(), page(0), out), 0u) << "no access: a frame, not valid";
    EXPECT_EQ(readResidentUser(space(), page(1), out), 0u) << "reserved";
    for (std::uint64_t va : {std::uint64_t{kUserSpaceEnd - 8}, kSystemSpaceStart, kKernelWindowBase,
                             ~std::uint64_t{0} - 7})
        EXPECT_EQ(readResidentUser(space(), VirtualAddress(va), out), 0u) << va;
}

}  // namespace
}  // namespace ntoy::mm
