#include "emulator/gdb/RegisterFile.h"

#include <gtest/gtest.h>

namespace ntoy::gdb {
namespace {

TEST(RegisterFile, LaysRegistersOutInGdbsAmd64Order) {
    const auto layout = RegisterFile::layout();
    EXPECT_EQ(layout[kRax].name, "rax");
    EXPECT_EQ(layout[kRbx].name, "rbx");
    EXPECT_EQ(layout[kRsp].name, "rsp");
    EXPECT_EQ(layout[kR15].name, "r15");
    EXPECT_EQ(layout[kRip].name, "rip");
    EXPECT_EQ(layout[kGs].name, "gs");
    EXPECT_EQ(layout[kSt0 + 7].name, "st7");
    EXPECT_EQ(layout[kFop].name, "fop");
    EXPECT_EQ(layout[kXmm0 + 15].name, "xmm15");
    EXPECT_EQ(layout[kMxcsr].name, "mxcsr");
    EXPECT_EQ(layout[kGsBase].name, "gs_base");
    // gdb's own numbers for these (amd64-tdep.h).
    EXPECT_EQ(kRip, 16u);
    EXPECT_EQ(kSt0, 24u);
    EXPECT_EQ(kXmm0, 40u);
    EXPECT_EQ(kMxcsr, 56u);
}

TEST(RegisterFile, PacksRegistersBackToBack) {
    EXPECT_EQ(RegisterFile::offset(kRip), 16 * 8u);
    EXPECT_EQ(RegisterFile::offset(kEflags), 17 * 8u);
    EXPECT_EQ(RegisterFile::offset(kSt0), 17 * 8u + 7 * 4u);
    EXPECT_EQ(RegisterFile::size(kSt0), 10u);
    EXPECT_EQ(RegisterFile::offset(kXmm0), RegisterFile::offset(kFctrl) + 8 * 4u);
    EXPECT_EQ(RegisterFile::size(kXmm0), 16u);
    EXPECT_EQ(RegisterFile::offset(kGsBase) + 8, RegisterFile::kBytes);
}

TEST(RegisterFile, EncodesValuesLittleEndian) {
    RegisterFile regs;
    regs.setValue(kRip, 0x140001000);
    regs.setValue(kEflags, 0x246);
    EXPECT_EQ(regs.encodeOne(kRip), "0010004001000000");
    EXPECT_EQ(regs.encodeOne(kEflags), "46020000");
    const std::string all = regs.encode();
    EXPECT_EQ(all.size(), 2 * RegisterFile::kBytes);
    EXPECT_EQ(all.substr(2 * RegisterFile::offset(kRip), 16), "0010004001000000");
}

TEST(RegisterFile, TruncatesToTheRegistersSize) {
    RegisterFile regs;
    regs.setValue(kCs, 0x1234'0033);
    EXPECT_EQ(regs.value(kCs), 0x1234'0033u);
    regs.setValue(kFctrl, ~0ull);
    EXPECT_EQ(regs.value(kFctrl), 0xFFFF'FFFFu);
    EXPECT_EQ(regs.value(kFstat), 0u);  // its neighbour is untouched
}

TEST(RegisterFile, DecodesWhatItEncodes) {
    RegisterFile regs;
    for (unsigned n = 0; n < kRegisterCount; ++n)
        for (std::size_t i = 0; i < RegisterFile::size(n); ++i)
            regs.bytes(n)[i] = static_cast<std::byte>(n * 7 + i);
    RegisterFile copy;
    ASSERT_TRUE(copy.decode(regs.encode()));
    EXPECT_EQ(copy, regs);
}

TEST(RegisterFile, RefusesABlockOfTheWrongSize) {
    RegisterFile regs;
    const std::string all = regs.encode();
    EXPECT_FALSE(regs.decode(all.substr(2)));
    EXPECT_FALSE(regs.decode(all + "00"));
    EXPECT_FALSE(regs.decode(std::string(all.size(), 'x')));
}

TEST(RegisterFile, WritesOneRegisterOfExactlyItsSize) {
    RegisterFile regs;
    EXPECT_TRUE(regs.decodeOne(kRax, "0100000000000000"));
    EXPECT_EQ(regs.value(kRax), 1u);
    EXPECT_FALSE(regs.decodeOne(kRax, "01"));
    EXPECT_FALSE(regs.decodeOne(kEflags, "0100000000000000"));
    EXPECT_FALSE(regs.decodeOne(kRegisterCount, "00"));
    EXPECT_FALSE(regs.encodeOne(kRegisterCount));
    EXPECT_EQ(regs.encodeOne(kSt0), std::string(20, '0'));
}

}  // namespace
}  // namespace ntoy::gdb
