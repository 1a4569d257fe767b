#include "emulator/AliasWindow.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

namespace ntoy::emu {
namespace {

// Whether the host may read the byte at `p`: the kernel copies from it into a pipe, and
// answers EFAULT instead of crashing the test when it is not mapped readable.
bool hostCanRead(const void* p) {
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    const bool ok = write(fds[1], p, 1) == 1;
    close(fds[0]);
    close(fds[1]);
    return ok;
}

class AliasWindowTest : public ::testing::Test {
protected:
    static constexpr std::uint64_t kFrames = 16;
    static constexpr VirtualAddress kBase{0x4000'0000};
    static constexpr std::uint64_t kWindowPages = 256;

    void SetUp() override {
        auto ram = GuestRam::create(kFrames * kPageSize);
        ASSERT_TRUE(ram) << ram.error();
        ram_.emplace(std::move(*ram));
        auto window = AliasWindow::reserve(*ram_, kBase, kWindowPages * kPageSize);
        ASSERT_TRUE(window) << window.error();
        window_.emplace(std::move(*window));
        for (std::uint64_t i = 0; i < kFrames; ++i)  // each frame says which it is
            std::memset(frame(i), static_cast<int>(0xA0 + i), kPageSize);
    }
    Pfn pfn(std::uint64_t i) const { return ram_->physicalMemory().firstPfn() + i; }
    std::byte* frame(std::uint64_t i) const { return ram_->hostView() + i * kPageSize; }
    VirtualAddress page(std::uint64_t i) const { return kBase + i * kPageSize; }
    std::byte* alias(std::uint64_t page) const { return window_->host() + page * kPageSize; }

    std::optional<GuestRam> ram_;
    std::optional<AliasWindow> window_;
};

TEST_F(AliasWindowTest, ReservesAnInaccessibleWindow) {
    EXPECT_EQ(window_->base(), kBase);
    EXPECT_EQ(window_->size(), kWindowPages * kPageSize);
    EXPECT_TRUE(window_->contains(page(0)));
    EXPECT_TRUE(window_->contains(page(kWindowPages - 1) + kPageSize - 1));
    EXPECT_FALSE(window_->contains(page(kWindowPages)));
    EXPECT_FALSE(window_->contains(kBase - 1));
    EXPECT_FALSE(hostCanRead(alias(0)));
    EXPECT_FALSE(hostCanRead(alias(kWindowPages - 1)));
}

TEST_F(AliasWindowTest, AnAliasedFrameShowsTheSameBytesBothWays) {
    ASSERT_TRUE(window_->alias(page(8), pfn(3)));
    ASSERT_TRUE(hostCanRead(alias(8)));
    EXPECT_EQ(alias(8)[0], std::byte{0xA3});
    EXPECT_EQ(alias(8)[kPageSize - 1], std::byte{0xA3});
    frame(3)[100] = std::byte{0x11};  // the kernel's direct view writes...
    EXPECT_EQ(alias(8)[100], std::byte{0x11});
    alias(8)[200] = std::byte{0x22};  // ...and so does the guest through its page
    EXPECT_EQ(frame(3)[200], std::byte{0x22});
    EXPECT_FALSE(hostCanRead(alias(7))) << "the page before stays unmapped";
}

TEST_F(AliasWindowTest, OneFrameAtTwoAddressesIsShared) {
    ASSERT_TRUE(window_->alias(page(10), pfn(5)));
    ASSERT_TRUE(window_->alias(page(100), pfn(5)));
    alias(10)[7] = std::byte{0x77};
    EXPECT_EQ(alias(100)[7], std::byte{0x77});
    EXPECT_EQ(frame(5)[7], std::byte{0x77});
}

TEST_F(AliasWindowTest, ReAliasingAfterUnaliasShowsTheNewFrameOnly) {
    ASSERT_TRUE(window_->alias(page(20), pfn(1)));
    window_->unalias(page(20));
    ASSERT_TRUE(window_->alias(page(20), pfn(2)));
    EXPECT_EQ(alias(20)[0], std::byte{0xA2});
    alias(20)[1] = std::byte{0x42};
    EXPECT_EQ(frame(2)[1], std::byte{0x42});
    EXPECT_EQ(frame(1)[1], std::byte{0xA1}) << "the old frame is no longer reachable from here";
}

TEST_F(AliasWindowTest, ReAliasingTheSameFrameAfterUnaliasStillShowsIt) {
    ASSERT_TRUE(window_->alias(page(30), pfn(4)));
    window_->unalias(page(30));
    ASSERT_TRUE(window_->alias(page(30), pfn(4)));
    EXPECT_EQ(alias(30)[0], std::byte{0xA4});
}

TEST_F(AliasWindowTest, RepointingAnAliasedPageNeedsNoUnalias) {
    ASSERT_TRUE(window_->alias(page(40), pfn(6)));
    ASSERT_TRUE(window_->alias(page(40), pfn(7)));
    EXPECT_EQ(alias(40)[0], std::byte{0xA7});
}

TEST_F(AliasWindowTest, AliasesAtTheEdgesOfTheWindowAndOfRam) {
    ASSERT_TRUE(window_->alias(page(kWindowPages - 1), pfn(0)));
    EXPECT_EQ(alias(kWindowPages - 1)[0], std::byte{0xA0});
    ASSERT_TRUE(window_->alias(page(50), pfn(kFrames - 1)));
    EXPECT_EQ(alias(50)[0], std::byte{0xA0 + kFrames - 1});
    ASSERT_TRUE(window_->alias(page(0), pfn(0)));
    EXPECT_EQ(alias(0)[kPageSize - 1], std::byte{0xA0});
}

TEST_F(AliasWindowTest, MovingTheWindowKeepsItsAliases) {
    ASSERT_TRUE(window_->alias(page(60), pfn(9)));
    AliasWindow moved(std::move(*window_));
    window_.reset();
    EXPECT_EQ(moved.host()[60 * kPageSize], std::byte{0xA9});
    ASSERT_TRUE(moved.alias(page(61), pfn(8)));
    EXPECT_EQ(moved.host()[61 * kPageSize], std::byte{0xA8});
}

}  // namespace
}  // namespace ntoy::emu
