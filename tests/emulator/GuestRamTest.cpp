#include "emulator/GuestRam.h"

#include <gtest/gtest.h>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::emu {
namespace {

TEST(GuestRam, IsOneFileSeenThroughOneHostView) {
    auto ram = GuestRam::create(16 * kPageSize);
    ASSERT_TRUE(ram) << ram.error();
    EXPECT_GE(ram->fd(), 0);
    EXPECT_EQ(ram->bytes(), 16 * kPageSize);
    ASSERT_NE(ram->hostView(), nullptr);
    const auto memory = ram->physicalMemory();
    EXPECT_EQ(memory.firstPfn(), PhysicalAddress(mm::kRamPhysicalBase).pfn());
    EXPECT_EQ(memory.frameCount(), 16u);
    EXPECT_EQ(memory.frame(memory.firstPfn() + 3).data(), ram->hostView() + 3 * kPageSize);
}

TEST(GuestRam, StartsZeroed) {
    auto ram = GuestRam::create(4 * kPageSize);
    ASSERT_TRUE(ram);
    for (std::uint64_t i = 0; i < ram->bytes(); i += 512)
        ASSERT_EQ(ram->hostView()[i], std::byte{0}) << i;
}

TEST(GuestRam, RejectsSizesThatAreNotWholePagesWithinTheLimit) {
    for (std::uint64_t bytes :
         {std::uint64_t{0}, std::uint64_t{1}, kPageSize + 1, mm::kMaxRamBytes + kPageSize}) {
        auto ram = GuestRam::create(bytes);
        ASSERT_FALSE(ram) << bytes;
        EXPECT_NE(ram.error().find("whole number of pages"), std::string::npos) << ram.error();
    }
}

TEST(GuestRam, MovesItsFile) {
    auto ram = GuestRam::create(kPageSize);
    ASSERT_TRUE(ram);
    const int fd = ram->fd();
    GuestRam moved(std::move(*ram));
    EXPECT_EQ(moved.fd(), fd);
    EXPECT_EQ(ram->fd(), -1);  // NOLINT(bugprone-use-after-move): the moved-from state
    EXPECT_EQ(ram->hostView(), nullptr);
}

}  // namespace
}  // namespace ntoy::emu
