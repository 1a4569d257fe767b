// The initial thread's stack size from the image header (ps::initialStackSize): Windows'
// rounding, and a clear refusal for sizes the address space cannot hold (issue 8, defect 14).
#include "kernel/ps/ProcessEnvironment.h"

#include <gtest/gtest.h>

#include "tests/ldr/TestImages.h"
#include "tests/ldr/TestSupport.h"

namespace ntoy::ldr::test {
namespace {

std::expected<ps::StackSize, std::string> stackFor(std::uint64_t reserve, std::uint64_t commit) {
    PeBuilder b = returnZeroExe();
    b.stackReserve = reserve;
    b.stackCommit = commit;
    return ps::initialStackSize(parseValid(b.build()));
}

TEST(InitialStackSize, RoundsAsWindowsDoes) {
    auto size = stackFor(0x100000, 0x1000);
    ASSERT_TRUE(size);
    EXPECT_EQ(size->reserve, 0x100000u);
    EXPECT_EQ(size->commit, 0x1000u);
    size = stackFor(0x12345, 0x1001);  // reserve to 64 KB, commit to pages
    ASSERT_TRUE(size);
    EXPECT_EQ(size->reserve, 0x20000u);
    EXPECT_EQ(size->commit, 0x2000u);
    size = stackFor(0, 0);  // at least one granule and one page
    ASSERT_TRUE(size);
    EXPECT_EQ(size->reserve, 0x10000u);
    EXPECT_EQ(size->commit, 0x1000u);
}

TEST(InitialStackSize, ACommitTheReserveCannotHoldGrowsTheReserveToMegabytes) {
    auto size = stackFor(0x100000, 0x100000);  // plus the guard page and the lowest page
    ASSERT_TRUE(size);
    EXPECT_EQ(size->commit, 0x100000u);
    EXPECT_EQ(size->reserve, 0x200000u);
    size = stackFor(0x10000, 1ull << 30);
    ASSERT_TRUE(size);
    EXPECT_EQ(size->reserve, (1ull << 30) + 0x100000);
}

TEST(InitialStackSize, RefusesSizesLargerThanUserSpace) {
    for (auto [reserve, commit, field] :
         {std::tuple{~0ull, 0x1000ull, "SizeOfStackReserve 0xffffffffffffffff"},
          std::tuple{1ull << 40, 0x1000ull, "SizeOfStackReserve 0x10000000000"},
          std::tuple{0x100000ull, ~0ull, "SizeOfStackCommit 0xffffffffffffffff"},
          std::tuple{0x100000ull, ~0ull - 0xFFF, "SizeOfStackCommit 0xfffffffffffff000"}}) {
        auto size = stackFor(reserve, commit);
        ASSERT_FALSE(size) << field;
        EXPECT_EQ(size.error(),
                  std::string(field) + " is larger than the user address space (0xfefffe0000)");
    }
}

}  // namespace
}  // namespace ntoy::ldr::test
