#include "emulator/gdb/Hex.h"

#include <gtest/gtest.h>

namespace ntoy::gdb {
namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
    std::vector<std::byte> out;
    for (unsigned v : values)
        out.push_back(static_cast<std::byte>(v));
    return out;
}

TEST(Hex, EncodesBytesAsLowerCasePairs) {
    EXPECT_EQ(toHex(bytes({0x00, 0x0f, 0xa5, 0xff})), "000fa5ff");
    EXPECT_EQ(toHex(std::string_view("!pte")), "21707465");
    EXPECT_EQ(toHex(std::span<const std::byte>()), "");
}

TEST(Hex, DecodesEitherCase) {
    EXPECT_EQ(fromHex("000FA5ff"), bytes({0x00, 0x0f, 0xa5, 0xff}));
    EXPECT_EQ(fromHex(""), std::vector<std::byte>());
}

TEST(Hex, RefusesOddLengthsAndNonDigits) {
    EXPECT_FALSE(fromHex("abc"));
    EXPECT_FALSE(fromHex("zz"));
    EXPECT_FALSE(fromHex("0x"));
}

TEST(Hex, ParsesNumbersUpToSixtyFourBits) {
    EXPECT_EQ(parseHexNumber("140001000"), 0x140001000u);
    EXPECT_EQ(parseHexNumber("ffffffffffffffff"), ~0ull);
    EXPECT_EQ(parseHexNumber("0"), 0u);
    EXPECT_FALSE(parseHexNumber("10000000000000000"));  // 65 bits
    EXPECT_FALSE(parseHexNumber(""));
    EXPECT_FALSE(parseHexNumber("-1"));
    EXPECT_FALSE(parseHexNumber("12g"));
}

}  // namespace
}  // namespace ntoy::gdb
