#include "kernel/ldr/AsciiText.h"

#include <gtest/gtest.h>

namespace ntoy::ldr {
namespace {

TEST(AsciiText, ComparesIgnoringAsciiCaseOnly) {
    EXPECT_TRUE(asciiEqualsIgnoreCase("KERNEL32.dll", "kernel32.DLL"));
    EXPECT_TRUE(asciiEqualsIgnoreCase("", ""));
    EXPECT_FALSE(asciiEqualsIgnoreCase("kernel32", "kernel32.dll"));
    EXPECT_FALSE(asciiEqualsIgnoreCase("a", "b"));
    // '@' and '`' sit next to the letters and must not fold onto them.
    EXPECT_FALSE(asciiEqualsIgnoreCase("@", "`"));
    EXPECT_FALSE(asciiEqualsIgnoreCase("\xC4", "\xE4"));  // Latin-1 letters are not ASCII
}

TEST(AsciiText, MakesHostileNamesPrintable) {
    EXPECT_EQ(printableAscii("plain.dll"), "plain.dll");
    EXPECT_EQ(printableAscii(std::string_view("a\nb\x1b\x7f\xff", 6)), "a?b???");
}

}  // namespace
}  // namespace ntoy::ldr
