// How the debugger and the extensions read numbers, addresses and x's /N[bhwgq] format.
#include <gtest/gtest.h>

#include "emulator/debugger/CommandArguments.h"
#include "emulator/debugger/Registers.h"
#include "kernel/kd/NumberArgument.h"

namespace ntoy {
namespace {

// Registers hold their own index times 0x100, so that every value is distinct.
class FakeCpu final : public hal::Cpu {
public:
    std::uint64_t reg(hal::Reg r) override { return static_cast<std::uint64_t>(r) * 0x100; }
    void setReg(hal::Reg, std::uint64_t) override {}
    Vector128 xmm(unsigned) override { return {}; }
    void setXmm(unsigned, const Vector128&) override {}
    void requestStop() override {}
};

TEST(WinDbgNumber, HexByDefaultWithOptionalPrefixAndBackticks) {
    EXPECT_EQ(kd::parseWinDbgNumber("10"), 0x10u);
    EXPECT_EQ(kd::parseWinDbgNumber("0x10"), 0x10u);
    EXPECT_EQ(kd::parseWinDbgNumber("0n10"), 10u);
    EXPECT_EQ(kd::parseWinDbgNumber("00007ff6`3b5c0000"), 0x7ff63b5c0000u);
    EXPECT_EQ(kd::parseWinDbgNumber("FFFFF80000000000"), 0xfffff80000000000u);
}

TEST(WinDbgNumber, RejectsWhatIsNotANumber) {
    EXPECT_EQ(kd::parseWinDbgNumber("zz").error(), "'zz' is not a number");
    EXPECT_FALSE(kd::parseWinDbgNumber(""));
    EXPECT_FALSE(kd::parseWinDbgNumber("0x"));
    EXPECT_FALSE(kd::parseWinDbgNumber("0n1f"));
    EXPECT_EQ(kd::parseWinDbgNumber("10000000000000000").error(),
              "'10000000000000000' does not fit in 64 bits");
}

TEST(Count, DecimalOrPrefixedHexAtLeastOne) {
    EXPECT_EQ(dbg::parseCount("10"), 10u);
    EXPECT_EQ(dbg::parseCount("0x10"), 16u);
    EXPECT_EQ(dbg::parseCount("0").error(), "a count must be at least 1");
    EXPECT_EQ(dbg::parseCount("ten").error(), "'ten' is not a count");
}

TEST(Address, NumbersRegistersAndOffsets) {
    FakeCpu cpu;
    EXPECT_EQ(dbg::parseAddress("140001000", cpu), 0x140001000u);
    EXPECT_EQ(dbg::parseAddress("rsp", cpu), 4u * 0x100);
    EXPECT_EQ(dbg::parseAddress("$rip+8", cpu), 16u * 0x100 + 8);
    EXPECT_EQ(dbg::parseAddress("rbp-10", cpu), 5u * 0x100 - 0x10);
    EXPECT_EQ(dbg::parseAddress("1000+20", cpu), 0x1020u);
    EXPECT_EQ(dbg::parseAddress("zz", cpu).error(), "bad address: 'zz' is not a number");
    EXPECT_FALSE(dbg::parseAddress("rsp+zz", cpu));
}

TEST(Registers, NamesWithOrWithoutDollar) {
    EXPECT_EQ(dbg::registerByName("rax"), hal::Reg::Rax);
    EXPECT_EQ(dbg::registerByName("$r15"), hal::Reg::R15);
    EXPECT_EQ(dbg::registerByName("@rsp"), hal::Reg::Rsp);
    EXPECT_EQ(dbg::registerByName("efl"), hal::Reg::Rflags);
    EXPECT_FALSE(dbg::registerByName("eax"));
}

TEST(Registers, WinDbgLayoutWithFlagMnemonics) {
    FakeCpu cpu;
    const std::string r = dbg::formatRegisters(cpu);
    EXPECT_NE(r.find("rax=0000000000000000 rbx=0000000000000300 rcx=0000000000000100\n"),
              std::string::npos)
        << r;
    EXPECT_NE(r.find("rip=0000000000001000"), std::string::npos) << r;
    // RFLAGS is 0x1100 here: IOPL 1, every arithmetic flag clear, interrupts disabled.
    EXPECT_NE(r.find("iopl=1         nv up di pl nz na po nc\n"), std::string::npos) << r;
}

TEST(DumpFormat, CountAndUnit) {
    auto f = dbg::parseDumpFormat("4g");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->count, 4u);
    EXPECT_EQ(f->unitSize, 8u);
    f = dbg::parseDumpFormat("");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->count, 1u);
    EXPECT_EQ(f->unitSize, 4u);
    f = dbg::parseDumpFormat("16xb");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->count, 16u);
    EXPECT_EQ(f->unitSize, 1u);
    EXPECT_EQ(dbg::parseDumpFormat("2q")->unitSize, 8u);
    EXPECT_EQ(dbg::parseDumpFormat("4z").error(),
              "bad format /4z: use /N followed by b, h, w, g or q");
}

TEST(Words, SplitOnAnyWhitespace) {
    EXPECT_EQ(dbg::splitWords("  x/4g\t rsp  "), (std::vector<std::string_view>{"x/4g", "rsp"}));
    EXPECT_TRUE(dbg::splitWords("   ").empty());
}

}  // namespace
}  // namespace ntoy
