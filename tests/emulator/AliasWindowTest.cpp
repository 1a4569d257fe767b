#include "emulator/AliasWindow.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

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
        auto window = AliasWindow::reserve(*ram_, budget_, kBase, kWindowPages * kPageSize);
        ASSERT_TRUE(window) << window.error();
        window_.emplace(std::move(*window));
        for (std::uint64_t i = 0; i < kFrames; ++i)  // each frame says which it is
            std::memset(frame(i), static_cast<int>(0xA0 + i), kPageSize);
    }
    Pfn pfn(std::uint64_t i) const { return ram_->physicalMemory().firstPfn() + i; }
    std::byte* frame(std::uint64_t i) const { return ram_->hostView() + i * kPageSize; }
    VirtualAddress page(std::uint64_t i) const { return kBase + i * kPageSize; }
    std::byte* alias(std::uint64_t page) const { return window_->host() + page * kPageSize; }

    // Host mappings inside the window's range, from /proc/self/maps.
    std::uint64_t hostMappingsInWindow() const {
        const auto begin = reinterpret_cast<std::uintptr_t>(window_->host());
        const auto end = begin + window_->size();
        std::ifstream maps("/proc/self/maps");
        std::uint64_t n = 0;
        for (std::string line; std::getline(maps, line);) {
            const std::uintptr_t from = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
            if (from >= begin && from < end)
                ++n;
        }
        return n;
    }

    HostMappingBudget budget_{64};
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

// Issue 8, defect 3: aliases that were only forgotten accumulated host mappings without bound.
TEST_F(AliasWindowTest, StaleFragmentsGoBackToTheReservationWhenTheBudgetIsShort) {
    // One live page at a time, each at a new place: the footprint is one page.
    for (std::uint64_t i = 0; i < 200; ++i) {
        const std::uint64_t p = i % kWindowPages;
        ASSERT_TRUE(window_->alias(page(p), pfn(i % kFrames))) << i;
        EXPECT_EQ(alias(p)[0], std::byte(0xA0 + i % kFrames)) << i;
        window_->unalias(page(p));
        ASSERT_LE(budget_.fragments(), budget_.limit()) << i;
    }
    EXPECT_EQ(budget_.headroom(), budget_.limit()) << "every fragment is stale";
    EXPECT_LE(hostMappingsInWindow(), 2 * window_->fragmentCount() + 1);
}

TEST_F(AliasWindowTest, LiveFragmentsAreNeverReclaimedAndTheBudgetSaysSo) {
    // Scattered live pages, 8 apart so that no run joins two: one fragment each.
    std::uint64_t live = 0;
    for (std::uint64_t p = 0; p < kWindowPages && live < budget_.limit(); p += 8, ++live)
        ASSERT_TRUE(window_->alias(page(p), pfn(live % kFrames)));
    EXPECT_EQ(budget_.headroom(), budget_.limit() - live);
    if (live == budget_.limit()) {
        EXPECT_FALSE(window_->alias(page(kWindowPages - 3), pfn(0)))
            << "no stale fragment to reclaim: the kernel should have trimmed";
        EXPECT_EQ(alias(0)[0], std::byte{0xA0}) << "live aliases are untouched";
    }
}

TEST_F(AliasWindowTest, RepointingInsideARunSplitsItAndKeepsTheRestLive) {
    ASSERT_TRUE(window_->alias(page(100), pfn(0)));  // a run: pages 100.. show frames 0..
    ASSERT_TRUE(window_->alias(page(101), pfn(1)));  // in place, now live
    ASSERT_TRUE(window_->alias(page(102), pfn(2)));
    const std::uint64_t before = window_->fragmentCount();
    ASSERT_TRUE(window_->alias(page(101), pfn(9)));  // re-pointed: split in three
    EXPECT_EQ(window_->fragmentCount(), before + 2);
    EXPECT_EQ(alias(100)[0], std::byte{0xA0});
    EXPECT_EQ(alias(101)[0], std::byte{0xA9});
    EXPECT_EQ(alias(102)[0], std::byte{0xA2});
    EXPECT_LE(hostMappingsInWindow(), 2 * window_->fragmentCount() + 1);
}

TEST_F(AliasWindowTest, ABudgetIsSharedByItsWindowsAndReclaimsAcrossThem) {
    auto other = AliasWindow::reserve(*ram_, budget_, kBase + kWindowPages * kPageSize,
                                      kWindowPages * kPageSize);
    ASSERT_TRUE(other) << other.error();
    for (std::uint64_t p = 0; p < budget_.limit(); ++p) {  // fill the budget with stale ones
        ASSERT_TRUE(other->alias(other->base() + p * 4 * kPageSize, pfn(0)));
        other->unalias(other->base() + p * 4 * kPageSize);
    }
    EXPECT_EQ(budget_.fragments(), budget_.limit());
    ASSERT_TRUE(window_->alias(page(0), pfn(3))) << "the other window's stale ones make room";
    EXPECT_EQ(alias(0)[0], std::byte{0xA3});
    EXPECT_LE(budget_.fragments(), budget_.limit());
}

}  // namespace
}  // namespace ntoy::emu
