// What the debugger prints of memory and code: gdb's x layout and Capstone's disassembly.
#include <gtest/gtest.h>

#include <array>

#include "emulator/debugger/CodeView.h"
#include "emulator/debugger/Disassembler.h"
#include "emulator/debugger/MemoryDump.h"

namespace ntoy::dbg {
namespace {

std::vector<std::byte> sequence(std::size_t n) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<std::byte>(i);
    return v;
}

TEST(MemoryDump, WordsFourToALineLittleEndian) {
    EXPECT_EQ(formatDump(0x1000, sequence(20), 4),
              "0x1000:\t0x03020100\t0x07060504\t0x0b0a0908\t0x0f0e0d0c\n"
              "0x1010:\t0x13121110\n");
}

TEST(MemoryDump, GiantWordsTwoToALine) {
    EXPECT_EQ(formatDump(0x20, sequence(16), 8), "0x20:\t0x0706050403020100\t0x0f0e0d0c0b0a0908\n");
}

TEST(MemoryDump, BytesEightToALineAndPartialUnitsLeftOut) {
    EXPECT_EQ(formatDump(0, sequence(9), 1),
              "0x0:\t0x00\t0x01\t0x02\t0x03\t0x04\t0x05\t0x06\t0x07\n0x8:\t0x08\n");
    EXPECT_EQ(formatDump(0, sequence(3), 2), "0x0:\t0x0100\n");
    EXPECT_EQ(formatDump(0, {}, 8), "");
}

TEST(Disassembler, IntelSyntaxWithAddressesAndBytes) {
    auto d = Disassembler::create();
    ASSERT_TRUE(d) << d.error();
    const std::array<std::uint8_t, 5> code = {0x88, 0x14, 0x01, 0x48, 0xcf};
    const auto insns = d->disassemble(std::as_bytes(std::span(code)), 0x180101079, 10);
    ASSERT_EQ(insns.size(), 2u);
    EXPECT_EQ(insns[0].text, "mov byte ptr [rcx + rax], dl");
    EXPECT_EQ(insns[1].address, 0x18010107cu);
    EXPECT_EQ(insns[1].text, "iretq");
    EXPECT_EQ(formatInstruction(insns[0]),
              "0x180101079  881401               mov byte ptr [rcx + rax], dl");
}

TEST(Disassembler, GoesOnPastBytesThatDoNotDecodeAsObjdumpDoes) {
    auto d = Disassembler::create();
    ASSERT_TRUE(d);
    std::array<std::uint8_t, 20> code{};
    code.fill(0x90);
    code[1] = 0x06;  // push es: not in 64-bit mode
    const auto insns = d->disassemble(std::as_bytes(std::span(code)), 0x1000, 3);
    ASSERT_EQ(insns.size(), 3u);
    EXPECT_EQ(insns[0].text, "nop");
    EXPECT_EQ(insns[1].text, "(bad)");
    EXPECT_EQ(insns[1].bytes, std::vector<std::uint8_t>{0x06});
    EXPECT_EQ(insns[2].address, 0x1002u);
    EXPECT_EQ(insns[2].text, "nop");
}

TEST(Disassembler, StopsWhereTheCodeMayBeCutShort) {
    auto d = Disassembler::create();
    ASSERT_TRUE(d);
    // A REX prefix with nothing after it: the instruction goes on past what could be read.
    const std::array<std::uint8_t, 2> code = {0x90, 0x48};
    const auto insns = d->disassemble(std::as_bytes(std::span(code)), 0, 10);
    ASSERT_EQ(insns.size(), 1u);
    EXPECT_EQ(insns[0].text, "nop");
}

}  // namespace
}  // namespace ntoy::dbg
