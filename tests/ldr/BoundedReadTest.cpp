#include "kernel/ldr/BoundedRead.h"

#include <gtest/gtest.h>

#include <array>
#include <limits>

namespace ntoy::ldr {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

TEST(BoundedRead, SliceStaysInsideTheBytes) {
    std::array<std::byte, 8> storage{};
    std::span<const std::byte> bytes(storage);
    EXPECT_EQ(sliceAt(bytes, 0, 8)->size(), 8u);
    EXPECT_EQ(sliceAt(bytes, 8, 0)->size(), 0u);
    EXPECT_FALSE(sliceAt(bytes, 9, 0).has_value());
    EXPECT_FALSE(sliceAt(bytes, 4, 5).has_value());
    // Offsets and sizes whose sum wraps must not slip through.
    EXPECT_FALSE(sliceAt(bytes, 4, kMax).has_value());
    EXPECT_FALSE(sliceAt(bytes, kMax, 2).has_value());
}

TEST(BoundedRead, ReadsAndWritesUnalignedValues) {
    std::array<std::byte, 11> storage{};
    std::span<std::byte> bytes(storage);
    EXPECT_TRUE(writeAt(bytes, 3, std::uint64_t{0x1122334455667788}));
    EXPECT_EQ(readAt<std::uint64_t>(bytes, 3), 0x1122334455667788u);
    EXPECT_EQ(readAt<std::uint8_t>(bytes, 3), 0x88);
    EXPECT_FALSE(readAt<std::uint64_t>(bytes, 4).has_value());
    EXPECT_FALSE(writeAt(bytes, 4, std::uint64_t{0}));
}

TEST(BoundedRead, CStringReportsEachFault) {
    const char text[] = "abc\0def";
    auto bytes = std::as_bytes(std::span(text, sizeof(text) - 1));  // "def" is unterminated
    EXPECT_EQ(cStringAt(bytes, 0, 16), "abc");
    EXPECT_EQ(cStringAt(bytes, 3, 16), "");
    EXPECT_EQ(cStringAt(bytes, 0, 3), "abc");  // exactly the limit still fits
    EXPECT_EQ(cStringAt(bytes, 0, 2).error(), CStringFault::TooLong);
    EXPECT_EQ(cStringAt(bytes, 4, 16).error(), CStringFault::Unterminated);
    EXPECT_EQ(cStringAt(bytes, 7, 16).error(), CStringFault::OutOfRange);
    EXPECT_EQ(cStringAt(bytes, kMax, 16).error(), CStringFault::OutOfRange);
}

}  // namespace
}  // namespace ntoy::ldr
