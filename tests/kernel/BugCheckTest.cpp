// Bug checks: what NTOY_ASSERT and ke::bugCheck carry to the kernel's trap entry.
#include <gtest/gtest.h>

#include "kernel/ke/BugCheck.h"
#include "tests/kernel/CaughtBugCheck.h"

namespace ntoy::ke {
namespace {

using test::caught;

TEST(BugCheck, CarriesCodeParametersAndPlace) {
    const BugCheck c = caught([] {
        bugCheck(BugCheckCode::PageFaultInNonpagedArea, 0xFFFF800000001000, 0, 0x140001000, 2,
                 "a test");
    });
    EXPECT_EQ(c.code, 0x50u);
    EXPECT_EQ(c.parameters, (std::array<std::uint64_t, 4>{0xFFFF800000001000, 0, 0x140001000, 2}));
    EXPECT_EQ(c.detail, "a test");
    EXPECT_TRUE(c.where.starts_with("BugCheckTest.cpp:")) << c.where;
}

TEST(BugCheck, AssertPassesWhenTheInvariantHolds) {
    NTOY_ASSERT(1 + 1 == 2, BugCheckCode::MemoryManagement, 1, 2, 3, 4);
}

TEST(BugCheck, AssertNamesTheBrokenInvariant) {
    const int frames = 3;
    const BugCheck c =
        caught([&] { NTOY_ASSERT(frames == 4, BugCheckCode::PfnListCorrupt, 0x99, frames, 0, 0); });
    EXPECT_EQ(c.code, 0x4Eu);
    EXPECT_EQ(c.parameters[1], 3u);
    EXPECT_EQ(c.detail, "assertion failed: frames == 4");
}

TEST(BugCheck, DescribeLeadsWithTheStopLineAndName) {
    BugCheck c{0x1A, {0x41790, 0xff00035, 0, 0}, "a page table page has been corrupted", "x.cpp:1"};
    EXPECT_EQ(describe(c),
              "*** STOP: 0x0000001a (0x0000000000041790, 0x000000000ff00035, 0x0000000000000000, "
              "0x0000000000000000)\nMEMORY_MANAGEMENT\na page table page has been corrupted (at "
              "x.cpp:1)");
    EXPECT_EQ(bugCheckName(0x12345), "BUGCHECK_0x12345");
    EXPECT_EQ(bugCheckName(0xD1), "DRIVER_IRQL_NOT_LESS_OR_EQUAL");
}

}  // namespace
}  // namespace ntoy::ke
