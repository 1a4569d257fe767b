// Guest code as the debugger reads and shows it: instructions at a virtual address, read
// with kd::readVirtual (never faulting anything in) and decoded by Capstone, and listed with
// the symbols of the addresses they start at and reach.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "emulator/debugger/Disassembler.h"
#include "kernel/mm/AddressSpace.h"

namespace ntoy::dbg {

class Symbols;

// Up to `count` instructions from `va`; fewer where the code is not readable.
std::vector<Instruction> instructionsAt(const mm::AddressSpace& space,
                                        const Disassembler& disassembler, std::uint64_t va,
                                        std::size_t count);

// "mov byte ptr [rax], cl", or "(code not readable)".
std::string instructionTextAt(const mm::AddressSpace& space, const Disassembler& disassembler,
                              std::uint64_t va);

// "0x140001050  8808                 mov byte ptr [rax], cl", with what a branch reaches and
// what a RIP-relative operand addresses named after it, as objdump names them:
// "call 0x140001600 <spin!spin_outer>", "... [rip + 0x2fb2]  # 0x140005070 <spin!__imp_X>".
std::string formatInstruction(const Instruction& instruction, const Symbols* symbols = nullptr);

// A listing: each instruction on its own line, "=> " marking `rip`, and before the first
// one and wherever a symbol starts, a label line as WinDbg prints one ("spin!spin_inner:",
// "spin!spin_inner+0x10:").
std::string formatListing(std::span<const Instruction> code, std::uint64_t rip,
                          const Symbols* symbols);

}  // namespace ntoy::dbg
