#include "kernel/mm/VadTree.h"
#include "tests/kernel/fakes/Printers.h"

#include <gtest/gtest.h>

namespace ntoy::mm {
namespace {

constexpr std::uint64_t k64K = kAllocationGranularity;

Vad vad(std::uint64_t start, std::uint64_t bytes) {
    Vad v;
    v.startVpn = start >> kPageShift;
    v.endVpn = v.startVpn + bytes / kPageSize - 1;
    return v;
}

VirtualAddress va(std::uint64_t v) {
    return VirtualAddress(v);
}

TEST(VadTree, FindsTheAllocationHoldingAnAddress) {
    VadTree tree;
    tree.insert(vad(0x50000, 0x3000));
    tree.insert(vad(0x70000, 0x1000));
    EXPECT_EQ(tree.size(), 2u);
    ASSERT_TRUE(tree.find(va(0x50000)));
    EXPECT_EQ(tree.find(va(0x50000))->start(), va(0x50000));
    EXPECT_EQ(tree.find(va(0x52FFF))->start(), va(0x50000));
    EXPECT_EQ(tree.find(va(0x50000))->end(), va(0x53000));
    EXPECT_EQ(tree.find(va(0x53000)), nullptr) << "end is exclusive";
    EXPECT_EQ(tree.find(va(0x4FFFF)), nullptr);
    EXPECT_EQ(tree.find(va(0x70FFF))->start(), va(0x70000));
    EXPECT_EQ(tree.find(va(0)), nullptr);
    EXPECT_EQ(tree.find(va(~0ull)), nullptr);
}

TEST(VadTree, FindsTheFirstAllocationEndingAbove) {
    VadTree tree;
    tree.insert(vad(0x50000, 0x3000));
    tree.insert(vad(0x70000, 0x1000));
    EXPECT_EQ(tree.firstEndingAbove(va(0x10000))->start(), va(0x50000));
    EXPECT_EQ(tree.firstEndingAbove(va(0x51000))->start(), va(0x50000));
    EXPECT_EQ(tree.firstEndingAbove(va(0x53000))->start(), va(0x70000));
    EXPECT_EQ(tree.firstEndingAbove(va(0x71000)), nullptr);
}

TEST(VadTree, DetectsOverlaps) {
    VadTree tree;
    tree.insert(vad(0x50000, 0x3000));
    EXPECT_TRUE(tree.overlaps(va(0x50000), va(0x51000)));
    EXPECT_TRUE(tree.overlaps(va(0x40000), va(0x50001)));
    EXPECT_TRUE(tree.overlaps(va(0x52000), va(0x60000)));
    EXPECT_TRUE(tree.overlaps(va(0x40000), va(0x60000)));
    EXPECT_FALSE(tree.overlaps(va(0x40000), va(0x50000))) << "touching below";
    EXPECT_FALSE(tree.overlaps(va(0x53000), va(0x60000))) << "touching above";
}

TEST(VadTree, RemovesByStart) {
    VadTree tree;
    const Vad a = vad(0x50000, 0x3000);
    tree.insert(a);
    tree.insert(vad(0x70000, 0x1000));
    tree.remove(a);
    EXPECT_EQ(tree.size(), 1u);
    EXPECT_EQ(tree.find(va(0x50000)), nullptr);
    EXPECT_TRUE(tree.find(va(0x70000)));
}

TEST(VadTree, InsertKeepsTheFields) {
    VadTree tree;
    Vad v = vad(0x50000, 0x3000);
    v.allocationProtect = 0x40;
    v.type = VadType::Image;
    v.threadStack = true;
    Vad& stored = tree.insert(v);
    EXPECT_EQ(stored.allocationProtect, 0x40u);
    EXPECT_EQ(stored.type, VadType::Image);
    EXPECT_TRUE(stored.threadStack);
    EXPECT_EQ(stored.pages(), 3u);
}

TEST(VadTree, FindFreeBottomUpTakesTheLowestAlignedGap) {
    VadTree tree;
    const VirtualAddress low(0x10000), high(0x1000000);
    EXPECT_EQ(tree.findFree(0x1000, low, high, false), va(0x10000));
    tree.insert(vad(0x10000, 0x1000));  // a 4 KB allocation wastes the rest of its 64 KB
    EXPECT_EQ(tree.findFree(0x1000, low, high, false), va(0x20000));
    tree.insert(vad(0x20000, 0x10000));
    tree.insert(vad(0x40000, 0x10000));  // a 64 KB hole at 0x30000
    EXPECT_EQ(tree.findFree(0x10000, low, high, false), va(0x30000));
    EXPECT_EQ(tree.findFree(0x10001, low, high, false), va(0x50000)) << "too big";
    EXPECT_EQ(tree.findFree(0x20000, va(0x48000), high, false), va(0x50000))
        << "low is rounded up to the alignment";
}

TEST(VadTree, FindFreeTopDownTakesTheHighestAlignedGap) {
    VadTree tree;
    const VirtualAddress low(0x10000), high(0x100000);
    EXPECT_EQ(tree.findFree(0x1000, low, high, true), va(0xF0000));
    EXPECT_EQ(tree.findFree(0x11000, low, high, true), va(0xE0000));
    tree.insert(vad(0xF0000, 0x1000));
    EXPECT_EQ(tree.findFree(0x1000, low, high, true), va(0xE0000))
        << "the tail of 0xF0000's block lies above its end but is not aligned";
    tree.insert(vad(0x20000, 0xC0000));  // leaves [0x10000, 0x20000) and [0xE0000, 0xF0000)
    EXPECT_EQ(tree.findFree(0x10000, low, high, true), va(0xE0000));
    EXPECT_EQ(tree.findFree(0x10001, low, high, true), std::nullopt);
}

TEST(VadTree, FindFreeStaysWithinBounds) {
    VadTree tree;
    EXPECT_EQ(tree.findFree(0, va(0x10000), va(0x20000), false), std::nullopt);
    EXPECT_EQ(tree.findFree(0x10000, va(0x10000), va(0x20000), false), va(0x10000));
    EXPECT_EQ(tree.findFree(0x10001, va(0x10000), va(0x20000), false), std::nullopt);
    EXPECT_EQ(tree.findFree(0x1000, va(0x20000), va(0x10000), false), std::nullopt);
    EXPECT_EQ(tree.findFree(~0ull, va(0x10000), va(0x20000), true), std::nullopt);
    EXPECT_EQ(tree.findFree(0x1000, va(0x11000), va(0x20000), false), std::nullopt)
        << "no aligned start inside [low, high)";
    EXPECT_EQ(tree.findFree(0x1000, va(0x11000), va(0x21000), false), va(0x20000));
    EXPECT_EQ(tree.findFree(0x1000, va(0x11000), va(0x21000), true), va(0x20000));
}

TEST(VadTree, FindFreeFillsEveryGapThenFails) {
    VadTree tree;
    const VirtualAddress low(0x10000), high(0x90000);
    for (int i = 0; i < 8; ++i) {
        const auto at = tree.findFree(0x8000, low, high, i % 2 == 1);
        ASSERT_TRUE(at) << i;
        EXPECT_EQ(at->value() % k64K, 0u);
        EXPECT_FALSE(tree.overlaps(*at, *at + 0x8000));
        tree.insert(vad(at->value(), 0x8000));
    }
    EXPECT_EQ(tree.findFree(0x1000, low, high, false), std::nullopt);
    EXPECT_EQ(tree.findFree(0x1000, low, high, true), std::nullopt);
}

}  // namespace
}  // namespace ntoy::mm
