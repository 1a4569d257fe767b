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

TEST(MemoryDump, WinDbgBytesWithADashAndTheirText) {
    std::vector<std::byte> bytes;
    for (char c : std::string_view("Hello, ntoy!\n\x01zz-more"))
        bytes.push_back(static_cast<std::byte>(c));
    EXPECT_EQ(
        formatWinDbgDump(0x210000, bytes, 1),
        "00000000`00210000  48 65 6c 6c 6f 2c 20 6e-74 6f 79 21 0a 01 7a 7a  Hello, ntoy!..zz\n"
        "00000000`00210010  2d 6d 6f 72 65                                   -more\n");
}

TEST(MemoryDump, WinDbgWordsDwordsAndQwords) {
    const auto bytes = sequence(16);
    EXPECT_EQ(formatWinDbgDump(0x10, bytes, 2),
              "00000000`00000010  0100 0302 0504 0706 0908 0b0a 0d0c 0f0e\n");
    EXPECT_EQ(formatWinDbgDump(0x10, bytes, 4),
              "00000000`00000010  03020100 07060504 0b0a0908 0f0e0d0c\n");
    EXPECT_EQ(formatWinDbgDump(0x10, bytes, 8),
              "00000000`00000010  07060504`03020100 0f0e0d0c`0b0a0908\n");
}

TEST(Disassembler, NamesBranchTargetsAndRipRelativeAddresses) {
    auto d = Disassembler::create();
    ASSERT_TRUE(d) << d.error();
    // call 0x1010; mov rax, [rip + 0x10]
    const std::array<std::uint8_t, 12> code = {0xe8, 0x0b, 0x00, 0x00, 0x00, 0x48,
                                               0x8b, 0x05, 0x10, 0x00, 0x00, 0x00};
    const auto insns = d->disassemble(std::as_bytes(std::span(code)), 0x1000, 2);
    ASSERT_EQ(insns.size(), 2u);
    EXPECT_EQ(insns[0].branchTarget, 0x1010u);
    EXPECT_FALSE(insns[0].memoryTarget);
    EXPECT_EQ(insns[1].memoryTarget, 0x101Cu);
    EXPECT_EQ(formatInstruction(insns[1]),
              "0x1005  488b0510000000       mov rax, qword ptr [rip + 0x10]  # 0x101c");
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
